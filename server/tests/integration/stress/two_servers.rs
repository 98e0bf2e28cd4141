//! Two servers on one PostgreSQL behind a load balancer, one killed mid-run: sessions carry
//! over, no invite is lost or doubled, and every email goes out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use super::process::{Process, clock_noise};
use crate::harness::{Backend, TestApp};
use crate::smtp::SmtpSink;

/// Several servers share one database only on PostgreSQL.
mod two_servers_on_one_database_one_killed {
    #[tokio::test]
    #[ignore = "make stress"]
    async fn postgres() {
        super::two_servers_on_one_database_one_killed(crate::harness::Backend::Postgres).await;
    }
}

/// How the load balancer in front of two servers answered one request.
enum Routed {
    /// A server answered (any status).
    Answered(StatusCode, String),
    /// The server it went to was gone, and the other one answered.
    FailedOver(StatusCode, String),
}

/// A load balancer in front of two servers: it alternates, and once a server stops accepting
/// connections it sends everything, including the request that found it gone, to the other.
struct LoadBalancer {
    addresses: [String; 2],
    down: [AtomicBool; 2],
    next: AtomicUsize,
}

impl LoadBalancer {
    async fn post(
        &self,
        client: &reqwest::Client,
        cookie: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Routed {
        let first = self.next.fetch_add(1, Ordering::Relaxed) % 2;
        let order = [first, 1 - first];
        let mut failed_over = false;
        for server in order {
            if self.down[server].load(Ordering::Relaxed) {
                continue;
            }
            let sent = client
                .post(format!("{}{path}", self.addresses[server]))
                .header("content-type", "application/json")
                .header("cookie", cookie)
                .body(body.to_string())
                .send()
                .await;
            let answer = match sent {
                Ok(response) => {
                    let status = response.status();
                    response.text().await.map(|text| (status, text))
                }
                Err(error) => Err(error),
            };
            match answer {
                Ok((status, text)) if failed_over => return Routed::FailedOver(status, text),
                Ok((status, text)) => return Routed::Answered(status, text),
                Err(_) => {
                    self.down[server].store(true, Ordering::Relaxed);
                    failed_over = true;
                }
            }
        }
        panic!("both servers are down");
    }
}

/// What the clients saw.
#[derive(Default)]
struct Outcome {
    /// Addresses whose invite a server confirmed (or, after a failover, reported as already
    /// invited: the dead server had committed it).
    acknowledged: Vec<String>,
    requests: usize,
    failovers: usize,
    /// Failed-over requests the surviving server refused: a session that did not carry over.
    refused_after_failover: usize,
    server_errors: usize,
}

async fn two_servers_on_one_database_one_killed(backend: Backend) {
    let Some((app, database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let owner = app.current_user().await.expect("signed in").user_id;
    let sink = SmtpSink::start().await;
    let public_url = "http://gatehouse.test";
    let smtp = [("GATEHOUSE_SMTP_URL", sink.url())];
    let survivor = Process::start_with(&database, Some(public_url), &smtp).await;
    let victim = Process::start_with(&database, Some(public_url), &smtp).await;
    let balancer = Arc::new(LoadBalancer {
        addresses: [survivor.address.clone(), victim.address.clone()],
        down: [AtomicBool::new(false), AtomicBool::new(false)],
        next: AtomicUsize::new(0),
    });

    // 20 people's browsers, each with its own session, invite and read the Users page.
    let list = json!({ "query": app::members::model::UserListQuery::first_page(tailnet.clone()) });
    let answered = Arc::new(AtomicUsize::new(0));
    let mut browsers = Vec::new();
    for person in 0..20 {
        let mut conn = app.db.acquire().await.expect("connection");
        let session =
            app::auth::sessions::start_session(&mut conn, &owner, None, app::context::now())
                .await
                .expect("session");
        drop(conn);
        let cookie = format!("gatehouse_session={}", session.expose());
        let client = TestApp::browser(public_url);
        let (balancer, tailnet, list) = (balancer.clone(), tailnet.clone(), list.clone());
        let answered = answered.clone();
        browsers.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            for step in 0..60 {
                let address = format!("p{person}-s{step}@example.com");
                let (path, body) = if step % 2 == 0 {
                    let invite = json!({ "invite": { "tailnet": tailnet,
                        "addresses": address, "role": "member" } });
                    ("/api/invite_by_email", invite)
                } else {
                    ("/api/list_users", list.clone())
                };
                outcome.requests += 1;
                let (status, text, failed_over) =
                    match balancer.post(&client, &cookie, path, &body).await {
                        Routed::Answered(status, text) => (status, text, false),
                        Routed::FailedOver(status, text) => (status, text, true),
                    };
                answered.fetch_add(1, Ordering::Relaxed);
                if failed_over {
                    outcome.failovers += 1;
                    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                        outcome.refused_after_failover += 1;
                    }
                }
                if status.is_server_error() {
                    outcome.server_errors += 1;
                }
                let invited =
                    status == StatusCode::OK || (failed_over && text.contains("already invited"));
                if step % 2 == 0 && invited {
                    outcome.acknowledged.push(address);
                }
            }
            outcome
        }));
    }
    // Somewhere in the middle (after 20% to 60% of the 1,200 requests), one server dies
    // without warning.
    let strike_after = 240 + usize::try_from(clock_noise(480)).expect("small");
    while answered.load(Ordering::Relaxed) < strike_after {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    victim.kill_nine();
    let mut outcome = Outcome::default();
    for browser in browsers {
        let seen = browser.await.expect("browser");
        outcome.acknowledged.extend(seen.acknowledged);
        outcome.requests += seen.requests;
        outcome.failovers += seen.failovers;
        outcome.refused_after_failover += seen.refused_after_failover;
        outcome.server_errors += seen.server_errors;
    }

    // The survivor's worker sends everything but the rows the dead server had leased. Those
    // wait out their lease: the last round below, run as if after it, takes them over. (Rows
    // still leased at the kill and untouched a few seconds on are the dead server's.)
    let leased: HashSet<String> = unsent_leases(&app).await.into_iter().flatten().collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut settled_since = Instant::now();
    loop {
        let unsent = unsent_leases(&app).await;
        let only_the_dead = unsent
            .iter()
            .all(|lease| lease.as_ref().is_some_and(|l| leased.contains(l)));
        if !only_the_dead {
            settled_since = Instant::now();
        }
        if settled_since.elapsed() > Duration::from_secs(5) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the survivor did not send its email"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let later = TestApp::spawn_with(&database, &[("GATEHOUSE_SMTP_URL", sink.url())]).await;
    let after_lease = app::context::now() + server::mail::LEASE_SECS + 1;
    while later.deliver_mail(after_lease).await.sent > 0 {}
    survivor.kill_nine();

    let mut invites_per_address = HashMap::<String, i64>::new();
    let stored: Vec<String> = sqlx::query_scalar("SELECT email FROM invites")
        .fetch_all(&app.db)
        .await
        .expect("invites");
    for email in stored {
        *invites_per_address.entry(email).or_default() += 1;
    }
    let lost = outcome
        .acknowledged
        .iter()
        .filter(|a| !invites_per_address.contains_key(*a))
        .count();
    let doubled = invites_per_address.values().filter(|n| **n > 1).count();
    let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE sent_at IS NULL")
        .fetch_one(&app.db)
        .await
        .expect("outbox");
    let taken_over: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE attempts > 1")
            .fetch_one(&app.db)
            .await
            .expect("outbox");
    let mut per_recipient = HashMap::<String, usize>::new();
    for mail in sink.received() {
        for to in mail.to {
            *per_recipient.entry(to).or_default() += 1;
        }
    }
    let twice = per_recipient.values().filter(|n| **n > 1).count();
    let without_email = invites_per_address
        .keys()
        .filter(|a| !per_recipient.contains_key(*a))
        .count();
    println!(
        "{backend:?}: two servers, one killed: {} requests, {} failed over ({} refused), {} 5xx; \
         {} invites acknowledged, {} stored, {lost} lost, {doubled} doubled; {} emails, \
         {without_email} invites without one, {unsent} unsent, {twice} sent twice \
         ({taken_over} taken over from the dead server's lease)",
        outcome.requests,
        outcome.failovers,
        outcome.refused_after_failover,
        outcome.server_errors,
        outcome.acknowledged.len(),
        invites_per_address.len(),
        per_recipient.values().sum::<usize>(),
    );
    assert!(outcome.failovers > 0, "the kill landed after the load");
    assert_eq!(
        (outcome.refused_after_failover, outcome.server_errors),
        (0, 0),
        "sessions carry over and nothing fails"
    );
    assert_eq!((lost, doubled, without_email, unsent), (0, 0, 0, 0));
    // SMTP cannot tell a sender that died whether its last message was taken, so the one
    // row the dead server was sending may go out again; nothing else may.
    assert!(taken_over <= 1, "{taken_over} rows taken over");
    assert!(
        i64::try_from(twice).expect("count") <= taken_over,
        "{twice} sent twice"
    );
}

/// The lease of every row of the outbox not yet sent (`None`: never leased).
async fn unsent_leases(app: &TestApp) -> Vec<Option<String>> {
    sqlx::query_scalar("SELECT lease_id FROM email_outbox WHERE sent_at IS NULL")
        .fetch_all(&app.db)
        .await
        .expect("outbox")
}
