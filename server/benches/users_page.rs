//! The Users page's server time with 10 and with 10,000 members plus as many open invites, on
//! SQLite and (when `GATEHOUSE_BENCH_POSTGRES_URL` names a server) PostgreSQL, and the query
//! plans of the list queries. Run with `cargo bench -p server --bench users_page`.
//!
//! Each figure is the median of 60 calls of the `list_users` server function over HTTP to an
//! in-process server, signed in as the Owner (so a call includes the session check, the
//! permission check, both list queries, JSON encoding and the HTTP round trip).

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../tests/integration/seed.rs"]
mod seed;

use std::time::{Duration, Instant};

use app::ids::{TailnetId, UserId};
use app::members::model::{RowStatus, UserListPage, UserListQuery};
use app::paging::PageRequest;
use serde_json::json;

const RUNS: usize = 60;

struct Bench {
    address: String,
    client: reqwest::Client,
    db: sqlx::AnyPool,
    tailnet: TailnetId,
    _dir: tempfile::TempDir,
}

async fn start(database_url: String, dir: tempfile::TempDir) -> Bench {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let origin = format!("http://localhost:{port}");
    let key = dir.path().join("secret.key").display().to_string();
    let vars = [
        ("GATEHOUSE_PUBLIC_URL", origin.clone()),
        ("GATEHOUSE_DATABASE_URL", database_url),
        ("GATEHOUSE_SECRET_KEY_FILE", key),
    ];
    let config = server::config::Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    let prepared = server::prepare(&config).await.expect("prepare");
    let db = prepared.state.db.clone();
    let router = server::build(prepared.state);
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });

    // The Owner, with a session made by the app's own code.
    let tailnet = TailnetId::generate();
    let owner = UserId::generate();
    let now = app::context::now();
    sqlx::query("INSERT INTO tailnets (id, name, created_at) VALUES ($1, 'Bench', $2)")
        .bind(tailnet.as_str())
        .bind(now)
        .execute(&db)
        .await
        .expect("tailnet");
    sqlx::query(
        "INSERT INTO users (id, webauthn_user_id, display_name, email, home_tailnet_id, created_at) \
         VALUES ($1, $2, 'Owner', 'owner@example.com', $3, $4)",
    )
    .bind(owner.as_str())
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(tailnet.as_str())
    .bind(now)
    .execute(&db)
    .await
    .expect("owner");
    sqlx::query(
        "INSERT INTO memberships (tailnet_id, user_id, role, status, joined_at) VALUES ($1, $2, 'owner', 'active', $3)",
    )
    .bind(tailnet.as_str())
    .bind(owner.as_str())
    .bind(now)
    .execute(&db)
    .await
    .expect("membership");
    let mut conn = db.acquire().await.expect("connection");
    let token = app::auth::sessions::start_session(&mut conn, &owner, None, now)
        .await
        .expect("session");
    drop(conn);
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let url: reqwest::Url = format!("http://127.0.0.1:{port}").parse().expect("url");
    jar.add_cookie_str(&format!("gatehouse_session={}", token.expose()), &url);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, origin.parse().expect("origin"));
    let client = reqwest::Client::builder()
        .cookie_provider(jar)
        .default_headers(headers)
        .build()
        .expect("client");
    Bench {
        address: format!("http://127.0.0.1:{port}"),
        client,
        db,
        tailnet,
        _dir: dir,
    }
}

impl Bench {
    async fn list(&self, query: &UserListQuery) -> UserListPage {
        let response = self
            .client
            .post(format!("{}/api/list_users", self.address))
            .header("content-type", "application/json")
            .body(json!({ "query": query }).to_string())
            .send()
            .await
            .expect("request");
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.expect("page")
    }

    async fn median(&self, query: &UserListQuery) -> Duration {
        self.list(query).await; // warm the connection and caches
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = Instant::now();
            let page = self.list(query).await;
            times.push(started.elapsed());
            std::hint::black_box(page);
        }
        times.sort();
        times[RUNS / 2]
    }
}

fn queries(
    tailnet: &TailnetId,
    deep: Option<app::paging::Cursor>,
) -> Vec<(&'static str, UserListQuery)> {
    let base = UserListQuery::first_page(tailnet.clone());
    let mut list = vec![
        ("first page", base.clone()),
        (
            "Status: Invited",
            UserListQuery {
                status: Some(RowStatus::Invited),
                ..base.clone()
            },
        ),
        (
            "Status: Idle",
            UserListQuery {
                status: Some(RowStatus::Idle),
                ..base.clone()
            },
        ),
        (
            "Search: \"person 7\"",
            UserListQuery {
                search: "person 7".into(),
                ..base.clone()
            },
        ),
    ];
    if let Some(cursor) = deep {
        list.push((
            "page after row 5,000",
            UserListQuery {
                page: PageRequest::After(cursor),
                ..base
            },
        ));
    }
    list
}

/// Each query's median at 10 + 10 and at 10,000 + 10,000, and the ratio (S6 of issue 17).
async fn run(backend: &str, database_url: impl Fn(&str) -> String) -> serde_json::Value {
    let mut medians: Vec<(usize, &'static str, f64)> = Vec::new();
    for size in [10_usize, 10_000] {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = database_url(&format!("{}", dir.path().join("bench.db").display()));
        let bench = start(url, dir).await;
        let now = app::context::now();
        let seeding = Instant::now();
        seed::members(
            &bench.db,
            &bench.tailnet,
            &seed::plain_members(size, now, "m"),
        )
        .await;
        seed::invites(
            &bench.db,
            &bench.tailnet,
            &seed::plain_invites(size, now, "i"),
        )
        .await;
        let seeded = seeding.elapsed();
        if backend == "PostgreSQL" {
            // As autovacuum does after a bulk change; without statistics the planner guesses.
            sqlx::query("ANALYZE")
                .execute(&bench.db)
                .await
                .expect("analyze");
        }
        // A cursor halfway down: keyset paging must not cost more there.
        let deep = if size >= 10_000 {
            let mut page = bench
                .list(&UserListQuery::first_page(bench.tailnet.clone()))
                .await;
            for _ in 0..99 {
                let next = page.next.clone().expect("more pages");
                page = bench
                    .list(&UserListQuery {
                        page: PageRequest::After(next),
                        ..UserListQuery::first_page(bench.tailnet.clone())
                    })
                    .await;
            }
            page.next.clone()
        } else {
            None
        };
        println!("\n{backend}: {size} members + {size} invites (seeded in {seeded:.1?})");
        for (name, query) in queries(&bench.tailnet, deep) {
            let median = bench.median(&query).await.as_secs_f64() * 1_000.0;
            println!("  {name:<24} median {median:>8.2} ms");
            medians.push((size, name, median));
        }
        if size >= 10_000 {
            for (name, query) in queries(&bench.tailnet, None).into_iter().take(2) {
                for (what, statement) in [
                    (
                        "members",
                        app::members::server::member_statement(&query, now),
                    ),
                    (
                        "invites",
                        app::members::server::invite_statement(&query, now),
                    ),
                ] {
                    let Some(statement) = statement else { continue };
                    let plan = statement.explain(&bench.db).await.expect("plan");
                    println!("  plan, {name}, {what}:");
                    for line in plan {
                        println!("    {line}");
                    }
                }
            }
        }
    }
    println!("\n{backend}: 10,000 + 10,000 against 10 + 10 (target: at most 1.5x)");
    let mut ratios = serde_json::Map::new();
    for (_, name, small) in medians.iter().filter(|(size, _, _)| *size == 10) {
        let Some((_, _, large)) = medians
            .iter()
            .find(|(size, other, _)| *size == 10_000 && other == name)
        else {
            continue;
        };
        println!("  {name:<24} {:>5.2}x", large / small);
        ratios.insert(
            (*name).to_owned(),
            serde_json::json!({ "ms_at_10": small, "ms_at_10000": large, "ratio": large / small }),
        );
    }
    serde_json::Value::Object(ratios)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let figures = runtime.block_on(async {
        let mut figures = serde_json::Map::new();
        let sqlite = run("SQLite", |file| format!("sqlite://{file}")).await;
        figures.insert("sqlite".to_owned(), sqlite);
        if let Ok(admin) = std::env::var("GATEHOUSE_BENCH_POSTGRES_URL") {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&admin).await.expect("PostgreSQL");
            let counter = std::sync::atomic::AtomicUsize::new(0);
            let mut names = Vec::new();
            for _ in 0..2 {
                let name = format!(
                    "gatehouse_bench_{}_{}",
                    std::process::id(),
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                );
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .expect("create database");
                names.push(name);
            }
            let names = std::sync::Mutex::new(names);
            let postgres = run("PostgreSQL", |_| {
                let name = names.lock().expect("lock").remove(0);
                let mut url = url::Url::parse(&admin).expect("url");
                url.set_path(&name);
                url.to_string()
            })
            .await;
            figures.insert("postgres".to_owned(), postgres);
        } else {
            println!("\nPostgreSQL skipped: set GATEHOUSE_BENCH_POSTGRES_URL to include it.");
        }
        figures
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let json = serde_json::Value::Object(figures);
    std::fs::write(dir.join("users-page.json"), format!("{json:#}\n")).expect("write");
}
