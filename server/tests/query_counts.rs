//! S7 of issue 17: how many SQL statements the requests people wait on most cost, counted from
//! sqlx's own per-statement log on a server in this process, one request at a time (its own test
//! binary, so no other test's queries are counted). Each count fails above the figure set when it
//! was measured; lower it when a change saves a statement.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "integration/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "integration/passkey.rs"]
mod passkey;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use app::auth::model::PasskeyChallenge;
use harness::{Backend, TestApp, TestDatabase};
use passkey::TestPasskey;
use reqwest::StatusCode;
use serde_json::json;
use tracing_subscriber::layer::{Context, SubscriberExt};
use webauthn_rs_proto::CreationChallengeResponse;

/// The most statements each request may run on SQLite and on PostgreSQL (as measured on
/// 2026-11-29; sqlx logs one more statement for a PostgreSQL write transaction).
const LIMITS: &[(&str, usize, usize)] = &[
    ("Users page, full load", 4, 4),
    ("Sign-in page (/login), signed in", 1, 1),
    ("list_users (search or filter)", 3, 3),
    ("Accept invite, signed in", 16, 17),
    ("Create account with passkey (finish)", 21, 22),
    ("Sign in (start)", 2, 2),
    ("Sign in (finish)", 10, 11),
];

/// Counts sqlx's one log event per statement it ran, leaving out the `PRAGMA`s that set up a
/// new SQLite connection: those depend on how many the pool had open, not on the request.
struct StatementCounter(Arc<AtomicUsize>);

/// Whether the logged statement is a `PRAGMA`.
#[derive(Default)]
struct IsPragma(bool);

impl tracing::field::Visit for IsPragma {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            self.0 = value.trim_start().starts_with("PRAGMA");
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}")
                .trim_start_matches('"')
                .starts_with("PRAGMA");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementCounter {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.target() == "sqlx::query"
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut pragma = IsPragma::default();
            event.record(&mut pragma);
            if !pragma.0 {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

struct Counts {
    statements: Arc<AtomicUsize>,
    measured: Vec<(&'static str, usize)>,
}

impl Counts {
    /// The statements `request` ran, recorded under `name`.
    async fn count<T>(&mut self, name: &'static str, request: impl Future<Output = T>) -> T {
        let before = self.statements.load(Ordering::SeqCst);
        let answer = request.await;
        let ran = self.statements.load(Ordering::SeqCst) - before;
        self.measured.push((name, ran));
        answer
    }
}

async fn measure(
    backend: Backend,
    statements: Arc<AtomicUsize>,
) -> Option<Vec<(&'static str, usize)>> {
    let database = TestDatabase::create(backend).await?;
    let app = TestApp::spawn_on(&database).await;
    let (mut owner_passkey, _) = app.with_owner("owner@example.com").await;
    let tailnet = app.home_tailnet().await;
    let mut counts = Counts {
        statements,
        measured: Vec::new(),
    };
    // Some rows, so that the lists are not empty.
    for _ in 0..3 {
        app.invite_link_token(&tailnet, "member").await;
    }

    let (status, _, page) = counts
        .count("Sign-in page (/login), signed in", app.get_page("/login"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("owner@example.com"),
        "the account menu names the Owner"
    );
    let users_path = format!("/admin/{}/users", tailnet.as_str());
    let (status, _, page) = counts
        .count("Users page, full load", app.get_page(&users_path))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Invite external users"));
    let query = app::members::model::UserListQuery {
        search: "owner".to_owned(),
        ..app::members::model::UserListQuery::first_page(tailnet.clone())
    };
    let (status, _) = counts
        .count(
            "list_users (search or filter)",
            app.call_raw("list_users", json!({ "query": query })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Someone signed in elsewhere accepts.
    let (elsewhere, _) = app::setup::server::create_tailnet(
        &app.db,
        &app::fields::TailnetName::parse("Elsewhere").expect("name"),
        &app.settings,
        app::context::now(),
    )
    .await
    .expect("tailnet");
    let member = harness::insert_member(&app, &elsewhere, "admin@elsewhere.example", "admin").await;
    let browser = app.signed_in_as(&member).await;
    let token = app.invite_link_token(&tailnet, "member").await;
    let (status, answer) = counts
        .count(
            "Accept invite, signed in",
            browser.call::<String>("accept_invite", json!({ "token": token })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer:?}");

    // A new person creates an account with a passkey.
    let token = app.invite_link_token(&tailnet, "member").await;
    let newcomer = app.other_browser();
    let mut passkey = TestPasskey::new(&app.public_origin);
    let (_, started) = newcomer
        .call::<PasskeyChallenge<CreationChallengeResponse>>(
            "start_invite_sign_up",
            json!({ "token": token, "form": { "display_name": "Grace", "email": "grace@example.com" } }),
        )
        .await;
    let challenge = started.expect("sign-up starts");
    let credential = passkey.register(challenge.options);
    let body = json!({ "ceremony": challenge.ceremony, "credential": credential });
    let (status, answer) = counts
        .count(
            "Create account with passkey (finish)",
            newcomer.call::<String>("finish_invite_sign_up", body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer:?}");

    // The Owner signs in again in a new browser.
    let fresh = app.other_browser();
    let (_, started) = counts
        .count(
            "Sign in (start)",
            fresh.call::<PasskeyChallenge<webauthn_rs_proto::RequestChallengeResponse>>(
                "start_sign_in",
                json!({}),
            ),
        )
        .await;
    let challenge = started.expect("sign-in starts");
    let credential = owner_passkey.sign_in(challenge.options);
    let body = json!({ "ceremony": challenge.ceremony, "credential": credential });
    let (status, answer) = counts
        .count(
            "Sign in (finish)",
            fresh.call::<String>("finish_sign_in", body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer:?}");
    Some(counts.measured)
}

#[test]
fn the_busiest_requests_stay_within_their_statement_counts() {
    let statements = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(StatementCounter(statements.clone()));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(measured) = runtime.block_on(measure(backend, statements.clone())) else {
            continue;
        };
        for (name, ran) in measured {
            let limit = LIMITS
                .iter()
                .find(|(limited, _, _)| *limited == name)
                .map(|(_, sqlite, postgres)| match backend {
                    Backend::Sqlite => *sqlite,
                    Backend::Postgres => *postgres,
                })
                .expect("every request has a limit");
            println!("{backend:?}: {name}: {ran} statements (limit {limit})");
            report.push(serde_json::json!({
                "request": name, "backend": format!("{backend:?}"), "statements": ran, "limit": limit,
            }));
            if ran > limit || ran == 0 {
                failures.push(format!(
                    "{backend:?}: {name} ran {ran} statements, limit {limit}"
                ));
            }
        }
    }
    // `make bench` collects the counts into its table.
    if let Ok(path) = std::env::var("GATEHOUSE_QUERY_COUNTS_JSON") {
        let json = serde_json::Value::Array(report);
        std::fs::write(path, format!("{json:#}\n")).expect("write the counts");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
