//! Server time of the "Configuration audit logs" page with 1,000 and with 1,000,000 events in
//! the tailnet (and a tenth as many in another tailnet), on SQLite and (when `GATEHOUSE_TEST_POSTGRES_URL` names a server) PostgreSQL,
//! and the query plans. Run with `make bench` or `cargo bench -p server --bench audit_log`.
//!
//! Each figure is the median of the `list_audit_events` server function called over HTTP to an
//! in-process server, signed in as the Owner: session and permission checks, the keyset query,
//! JSON encoding and the HTTP round trip.

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

use app::audit::model::{AuditFilters, AuditPage, EventName};
use app::ids::TailnetId;
use app::paging::PageRequest;
use harness::{Backend, TestApp};
use serde_json::json;

const RUNS: usize = 30;
const SIZES: [usize; 2] = [1_000, 1_000_000];

async fn list(
    app: &TestApp,
    tailnet: &TailnetId,
    filters: &AuditFilters,
    page: &PageRequest,
) -> AuditPage {
    let response = app
        .client
        .post(format!("{}/api/list_audit_events", app.address))
        .header("content-type", "application/json")
        .body(
            json!({ "query": { "tailnet": tailnet, "filters": filters, "page": page } })
                .to_string(),
        )
        .send()
        .await
        .expect("request");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("page")
}

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    format!(
        "median {:>8.2} ms, p90 {:>8.2} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10]),
    )
}

async fn time_list(
    app: &TestApp,
    tailnet: &TailnetId,
    filters: &AuditFilters,
    page: &PageRequest,
) -> (String, usize) {
    let rows = list(app, tailnet, filters, page).await.rows.len(); // warm up
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        std::hint::black_box(list(app, tailnet, filters, page).await);
        times.push(started.elapsed());
    }
    (summary(times), rows)
}

async fn run(backend: Backend, label: &str) {
    for size in SIZES {
        let Some((app, _database)) = TestApp::spawn(backend).await else {
            println!("\n{label} skipped: set GATEHOUSE_TEST_POSTGRES_URL to include it.");
            return;
        };
        app.with_owner("owner@example.com").await;
        let tailnet = app.home_tailnet().await;
        let newest = app::context::now() - 60;
        let seeding = Instant::now();
        for chunk_start in (0..size).step_by(100_000) {
            let count = (size - chunk_start).min(100_000);
            let events = seed::plain_events(count, newest - i64::try_from(chunk_start).unwrap());
            seed::audit_events(&app.db, &tailnet, &events).await;
        }
        // Another tailnet with a tenth as many events, so the queries must keep to their own.
        let other = seed::tailnet(&app.db, "Other").await;
        seed::audit_events(&app.db, &other, &seed::plain_events(size / 10, newest)).await;
        let seeded = seeding.elapsed();
        if backend == Backend::Postgres {
            // As autovacuum does after a bulk change; without statistics the planner guesses.
            sqlx::query("ANALYZE")
                .execute(&app.db)
                .await
                .expect("analyze");
        }
        println!(
            "\n{label}: {size} events, and {} in another tailnet (seeded in {seeded:.1?})",
            size / 10
        );

        let all = AuditFilters::default();
        // A cursor 200 pages (10,000 events) down, when there are that many.
        let mut deep = None;
        if size >= 1_000_000 {
            let mut page = list(&app, &tailnet, &all, &PageRequest::First).await;
            for _ in 0..199 {
                page = list(
                    &app,
                    &tailnet,
                    &all,
                    &PageRequest::After(page.next.clone().unwrap()),
                )
                .await;
            }
            deep = page.next.map(PageRequest::After);
        }
        let cases: Vec<(&str, AuditFilters, PageRequest)> = vec![
            ("first page", all.clone(), PageRequest::First),
            (
                "Event: USER.LOGIN",
                AuditFilters {
                    event: Some(EventName::UserLogin),
                    ..all.clone()
                },
                PageRequest::First,
            ),
            (
                "last hour",
                AuditFilters {
                    from: Some(newest - 3_600),
                    ..all.clone()
                },
                PageRequest::First,
            ),
            (
                "Actor: \"actor 2\" (a third)",
                AuditFilters {
                    actor: "actor 2".into(),
                    ..all.clone()
                },
                PageRequest::First,
            ),
            (
                "Target: \"target7@\"",
                AuditFilters {
                    target: "target7@".into(),
                    ..all.clone()
                },
                PageRequest::First,
            ),
        ];
        for (name, filters, page) in cases
            .into_iter()
            .chain(deep.map(|page| ("page after 10,000 events", all.clone(), page)))
        {
            let (times, rows) = time_list(&app, &tailnet, &filters, &page).await;
            println!("  {name:<30} {times} ({rows} rows)");
        }
        if size >= 1_000_000 {
            for (name, filters) in [
                ("first page", all.clone()),
                (
                    "Event: USER.LOGIN",
                    AuditFilters {
                        event: Some(EventName::UserLogin),
                        ..all.clone()
                    },
                ),
            ] {
                let statement = app::audit::server::events_statement(
                    &tailnet,
                    &filters,
                    &PageRequest::First,
                    50,
                );
                println!("  plan, {name}:");
                for line in statement.explain(&app.db).await.expect("plan") {
                    println!("    {line}");
                }
            }
            // Export of the last 10,000 events as CSV, streamed.
            let started = Instant::now();
            let csv = app
                .client
                .get(format!(
                    "{}/admin/{tailnet}/logs/export?format=csv&from={}",
                    app.address,
                    newest - 9_999
                ))
                .send()
                .await
                .expect("export")
                .text()
                .await
                .expect("body");
            println!(
                "  export CSV, 10,000 events         {:>8.2} ms ({} lines, {} KiB)",
                started.elapsed().as_secs_f64() * 1_000.0,
                csv.lines().count(),
                csv.len() / 1024
            );
            let started = Instant::now();
            let removed = app::audit::server::purge_older_than(&app.db, newest - 899_999)
                .await
                .expect("purge");
            println!(
                "  retention purge of {removed} events    {:>8.2} ms",
                started.elapsed().as_secs_f64() * 1_000.0
            );
        }
    }
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
