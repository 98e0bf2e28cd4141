//! `make stress`: the system under attack and load, on SQLite and PostgreSQL. Each case prints
//! its figure and asserts its pass mark; none runs in `make test` (they are `#[ignore]`d and
//! take minutes).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::accept::{accept, invite_link, other_tailnet, owner_app, without_nonce};
use crate::harness::{Backend, TestApp, TestDatabase};

/// Runs a stress scenario once on SQLite and once on PostgreSQL, as two ignored tests.
macro_rules! stress_on_both_databases {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[tokio::test]
                #[ignore = "make stress"]
                async fn sqlite() {
                    super::$scenario(crate::harness::Backend::Sqlite).await;
                }

                #[tokio::test]
                #[ignore = "make stress"]
                async fn postgres() {
                    super::$scenario(crate::harness::Backend::Postgres).await;
                }
            }
        )*
    };
}

stress_on_both_databases!(
    a_thousand_concurrent_accepts_of_one_invite,
    ten_thousand_guessed_invite_tokens_from_one_client,
    a_pre_sign_in_flood_leaves_others_served,
    unusable_links_look_and_take_alike,
    oversized_requests_leave_the_server_responsive,
    fifty_concurrent_writers,
);

stress_on_both_databases!(pages_render_on_every_core);
use all_cores::pages_render_on_every_core;

mod all_cores;
mod kill_nine;
pub mod process;
mod two_servers;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

async fn a_thousand_concurrent_accepts_of_one_invite(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let vars = [
        ("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "1000000".to_owned()),
        (
            "GATEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE",
            "1000000".to_owned(),
        ),
    ];
    let (app, tailnet) = owner_app(&database, &vars).await;
    let (_, people) = other_tailnet(&app, "Other Co", 1_000, "admin").await;
    let mut contenders = Vec::new();
    for person in &people {
        contenders.push(app.signed_in_as(person).await);
    }
    for round in 1..=5 {
        let token = invite_link(&app, &tailnet, "member").await;
        let started = Instant::now();
        let answers =
            futures::future::join_all(contenders.iter().map(|browser| accept(browser, &token)))
                .await;
        let elapsed = started.elapsed();
        let wins = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        let server_errors = answers.iter().filter(|(s, _)| s.is_server_error()).count();
        println!(
            "{backend:?} round {round}: {} concurrent accepts of one invite: {wins} success, \
             {server_errors} 5xx, in {elapsed:?}",
            answers.len()
        );
        assert_eq!((wins, server_errors), (1, 0));
        // The winner is now a member; the others try the next invite.
        let winner = answers
            .iter()
            .position(|(s, _)| *s == StatusCode::OK)
            .expect("a winner");
        contenders.remove(winner);
    }
}

async fn ten_thousand_guessed_invite_tokens_from_one_client(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let _real = invite_link(&app, &tailnet, "member").await;
    let guesser = app.other_browser();
    let started = Instant::now();
    let (mut found, mut not_found, mut limited, mut other) = (0, 0, 0, 0);
    for _ in 0..10_000 {
        let guess = app::secrets::SecretToken::generate();
        let (status, _) = guesser
            .call_raw("inspect_invite", json!({ "token": guess.expose() }))
            .await;
        match status {
            StatusCode::OK => found += 1,
            StatusCode::NOT_FOUND => not_found += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            _ => other += 1,
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{backend:?}: 10,000 guessed invite tokens in {elapsed:?}: {found} found, {not_found} \
         looked up (404), {limited} refused (429), {other} other"
    );
    assert_eq!((found, other), (0, 0));
    assert!(not_found <= 30, "only the limit's worth were looked up");
    assert!(elapsed < Duration::from_secs(60), "within a minute");
}

async fn a_pre_sign_in_flood_leaves_others_served(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let app = TestApp::spawn_with(
        &database,
        &[("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1".to_owned())],
    )
    .await;
    let login = |app: &TestApp| {
        let request = app
            .client
            .get(format!("{}/login", app.address))
            .header("x-forwarded-for", "198.51.100.9");
        async move {
            let started = Instant::now();
            let status = request.send().await.expect("request").status();
            assert_eq!(status, StatusCode::OK);
            started.elapsed()
        }
    };
    let mut quiet = Vec::new();
    for _ in 0..30 {
        quiet.push(login(&app).await);
    }
    let flood = async {
        let flooder = reqwest::Client::new();
        let mut refused = 0;
        for _ in 0..50 {
            let requests = (0..100).map(|_| {
                flooder
                    .post(format!("{}/api/start_sign_in", app.address))
                    .header("content-type", "application/json")
                    .header("origin", &app.public_origin)
                    .header("x-forwarded-for", "203.0.113.7")
                    .body("{}")
                    .send()
            });
            for response in futures::future::join_all(requests).await {
                if response.expect("request").status() == StatusCode::TOO_MANY_REQUESTS {
                    refused += 1;
                }
            }
        }
        refused
    };
    let during = async {
        let mut samples = Vec::new();
        for _ in 0..30 {
            samples.push(login(&app).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        samples
    };
    let (refused, during) = tokio::join!(flood, during);
    let ceremonies = app.count("webauthn_ceremonies").await;
    let (quiet, during) = (median(quiet), median(during));
    println!(
        "{backend:?}: 5,000 start_sign_in from one client: {refused} refused (429), {ceremonies} \
         ceremonies stored; another client's /login median {quiet:?} quiet, {during:?} during"
    );
    assert!(ceremonies <= 60, "bounded by the per-client limit");
    assert!(during <= quiet * 2 + Duration::from_millis(5));
}

async fn unusable_links_look_and_take_alike(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let vars = [("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "1000000".to_owned())];
    let (app, tailnet) = owner_app(&database, &vars).await;
    let (_, people) = other_tailnet(&app, "Other Co", 1, "admin").await;
    // Used, deleted, expired and never issued.
    let used = invite_link(&app, &tailnet, "member").await;
    let joiner = app.signed_in_as(&people[0]).await;
    assert_eq!(accept(&joiner, &used).await.0, StatusCode::OK);
    let deleted = invite_link(&app, &tailnet, "member").await;
    sqlx::query("DELETE FROM invites WHERE token_hash = $1")
        .bind(app::secrets::SecretToken::from_client(deleted.clone()).hash())
        .execute(&app.db)
        .await
        .expect("delete");
    let expired = invite_link(&app, &tailnet, "member").await;
    sqlx::query("UPDATE invites SET expires_at = 0 WHERE token_hash = $1")
        .bind(app::secrets::SecretToken::from_client(expired.clone()).hash())
        .execute(&app.db)
        .await
        .expect("expire");
    let unknown = app::secrets::SecretToken::generate().expose().to_owned();
    let visitor = app.other_browser();
    let mut pages = Vec::new();
    let mut medians = Vec::new();
    for (what, token) in [
        ("used", &used),
        ("deleted", &deleted),
        ("expired", &expired),
        ("unknown", &unknown),
    ] {
        let mut samples = Vec::new();
        let mut page = String::new();
        for _ in 0..200 {
            let started = Instant::now();
            let (status, headers, html) = visitor.get_page(&format!("/invite/{token}")).await;
            samples.push(started.elapsed());
            assert_eq!(status, StatusCode::NOT_FOUND, "{what}");
            page = without_nonce(&headers, &html);
        }
        medians.push((what, median(samples)));
        pages.push(page);
    }
    println!("{backend:?}: unusable invite links, median time: {medians:?}");
    assert!(
        pages.windows(2).all(|pair| pair[0] == pair[1]),
        "byte-identical pages"
    );
    let times: Vec<Duration> = medians.iter().map(|(_, t)| *t).collect();
    let spread = *times.iter().max().expect("times") - *times.iter().min().expect("times");
    println!("{backend:?}: spread of the medians {spread:?}");
    assert!(spread < Duration::from_millis(1));
}

async fn oversized_requests_leave_the_server_responsive(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let addresses: Vec<String> = (0..200_000).map(|i| format!("p{i}@example.com")).collect();
    let batch = json!({ "invite": { "tailnet": tailnet, "addresses": addresses.join(","), "role": "member" } })
        .to_string();
    let search = json!({ "query": { "tailnet": tailnet, "status": null, "role": null,
        "search": "x".repeat(100_000), "page": "First" } })
    .to_string();
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        for (endpoint, body) in [("invite_by_email", &batch), ("list_users", &search)] {
            let started = Instant::now();
            let status = app
                .client
                .post(format!("{}/api/{endpoint}", app.address))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .expect("request")
                .status();
            slowest = slowest.max(started.elapsed());
            assert!(
                status == StatusCode::PAYLOAD_TOO_LARGE
                    || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{endpoint}: {status}"
            );
        }
        let started = Instant::now();
        assert_eq!(app.get_page("/login").await.0, StatusCode::OK);
        slowest = slowest.max(started.elapsed());
    }
    println!(
        "{backend:?}: 200,000-address batches and 100,000-character searches: slowest answer \
         {slowest:?}; /login kept answering"
    );
    assert!(slowest < Duration::from_secs(1));
}

async fn fifty_concurrent_writers(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let owner = app.current_user().await.expect("signed in").user_id;
    let deadline = Instant::now() + Duration::from_secs(30);
    let writer = |id: usize| {
        let app = app.clone();
        let (tailnet, owner) = (tailnet.clone(), owner.clone());
        async move {
            let browser = app.signed_in_as(&owner).await;
            let (mut samples, mut failures) = (Vec::new(), Vec::new());
            while Instant::now() < deadline {
                let started = Instant::now();
                let (status, body) = browser
                    .call_raw(
                        "create_invite_link",
                        json!({ "tailnet": tailnet, "role": "member" }),
                    )
                    .await;
                samples.push(started.elapsed());
                if status != StatusCode::OK {
                    failures.push(format!("writer {id}: {status} {body}"));
                }
            }
            (samples, failures)
        }
    };
    let results = futures::future::join_all((0..50).map(writer)).await;
    let samples: Vec<Duration> = results.iter().flat_map(|(s, _)| s.clone()).collect();
    let failures: Vec<String> = results.into_iter().flat_map(|(_, f)| f).collect();
    let writes = samples.len();
    println!(
        "{backend:?}: 50 writers for 30 s: {writes} invite links, {} failed; p50 {:?}, \
         p99 {:?}",
        failures.len(),
        percentile(samples.clone(), 0.5),
        percentile(samples, 0.99),
    );
    assert!(
        failures.is_empty(),
        "{:?}",
        &failures[..failures.len().min(5)]
    );
}
