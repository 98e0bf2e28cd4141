//! Server time of accepting an invite, on SQLite and (when `GATEHOUSE_TEST_POSTGRES_URL` names
//! a server) PostgreSQL. Run with `make bench` or `cargo bench -p server --bench accept_invite`.
//!
//! - "Create account with passkey": the `finish_invite_sign_up` call over HTTP to an in-process
//!   server: take the ceremony, verify the new passkey, and in one transaction consume the invite,
//!   create the person and their passkey, the membership, the audit events and a session.
//! - "Accept invite" when signed in: `accept_invite` over HTTP (session, rate-limit counter,
//!   consume, join-external check, membership, three audit events).
//! - 100 concurrent accepts of one invite: the time until all 100 are answered (one wins).

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "../tests/integration/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../tests/integration/passkey.rs"]
mod passkey;
#[allow(dead_code)]
#[path = "../tests/integration/seed.rs"]
mod seed;

use std::time::{Duration, Instant};

use app::auth::model::PasskeyChallenge;
use app::ids::UserId;
use harness::{Backend, TestApp, TestDatabase};
use passkey::TestPasskey;
use reqwest::StatusCode;
use serde_json::json;
use webauthn_rs_proto::CreationChallengeResponse;

const RUNS: usize = 40;
const RACE_ROUNDS: usize = 5;
const CONTENDERS: usize = 100;

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    format!(
        "median {:>7.2} ms, p90 {:>7.2} ms, max {:>7.2} ms ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10]),
        ms(times[times.len() - 1]),
        times.len()
    )
}

/// Admins of a second tailnet, each signed in in their own browser.
async fn admins_elsewhere(app: &TestApp, count: usize) -> Vec<(UserId, TestApp)> {
    let now = app::context::now();
    let (home, _) = app::setup::server::create_tailnet(
        &app.db,
        &app::fields::TailnetName::parse("Elsewhere").expect("name"),
        &app.settings,
        now,
    )
    .await
    .expect("tailnet");
    let members: Vec<seed::SeedMember> = seed::plain_members(count, now, "elsewhere")
        .into_iter()
        .map(|member| seed::SeedMember {
            role: "admin",
            ..member
        })
        .collect();
    seed::members(&app.db, &home, &members).await;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM memberships WHERE tailnet_id = $1")
            .bind(home.as_str())
            .fetch_all(&app.db)
            .await
            .expect("members");
    let mut people = Vec::new();
    for id in ids {
        let user = UserId::from_raw(id);
        let browser = app.signed_in_as(&user).await;
        people.push((user, browser));
    }
    people
}

async fn run(backend: Backend, label: &str) {
    let Some(database) = TestDatabase::create(backend).await else {
        println!("\n{label} skipped: set GATEHOUSE_TEST_POSTGRES_URL to include it.");
        return;
    };
    // The runs come from one address faster than the limits a real server keeps.
    let vars = [
        ("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "1000000".to_owned()),
        (
            "GATEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE",
            "1000000".to_owned(),
        ),
    ];
    let app = TestApp::spawn_with(&database, &vars).await;
    app.with_owner("owner@example.com").await;
    let tailnet = app.home_tailnet().await;
    println!("\n{label}");

    let mut sign_ups = Vec::with_capacity(RUNS);
    for i in 0..RUNS {
        let token = app.invite_link_token(&tailnet, "member").await;
        let browser = app.other_browser();
        let mut passkey = TestPasskey::new(&app.public_origin);
        let (_, started) = browser
            .call::<PasskeyChallenge<CreationChallengeResponse>>(
                "start_invite_sign_up",
                json!({
                    "token": token,
                    "form": { "display_name": format!("Person {i}"), "email": format!("p{i}@example.com") }
                }),
            )
            .await;
        let challenge = started.expect("sign-up starts");
        let credential = passkey.register(challenge.options);
        let body = json!({ "ceremony": challenge.ceremony, "credential": credential });
        let clock = Instant::now();
        let (status, _) = browser.call::<String>("finish_invite_sign_up", body).await;
        sign_ups.push(clock.elapsed());
        assert_eq!(status, StatusCode::OK);
    }
    println!(
        "  Create account with passkey (finish)  {}",
        summary(sign_ups)
    );

    let mut people = admins_elsewhere(&app, RUNS + CONTENDERS).await;
    let mut accepts = Vec::with_capacity(RUNS);
    for (_, browser) in people.drain(..RUNS) {
        let token = app.invite_link_token(&tailnet, "member").await;
        let clock = Instant::now();
        let (status, _) = browser
            .call::<String>("accept_invite", json!({ "token": token }))
            .await;
        accepts.push(clock.elapsed());
        assert_eq!(status, StatusCode::OK);
    }
    println!(
        "  Accept invite, signed in               {}",
        summary(accepts)
    );

    let mut races = Vec::with_capacity(RACE_ROUNDS);
    for _ in 0..RACE_ROUNDS {
        let token = app.invite_link_token(&tailnet, "member").await;
        let clock = Instant::now();
        let answers = futures::future::join_all(people.iter().map(|(_, browser)| {
            browser.call::<String>("accept_invite", json!({ "token": token }))
        }))
        .await;
        races.push(clock.elapsed());
        let winners: Vec<usize> = answers
            .iter()
            .enumerate()
            .filter(|(_, (status, _))| *status == StatusCode::OK)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(winners.len(), 1);
        people.remove(winners[0]);
    }
    println!(
        "  {CONTENDERS} concurrent accepts of one invite  {}",
        summary(races)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        run(Backend::Sqlite, "SQLite").await;
        run(Backend::Postgres, "PostgreSQL").await;
    });
}
