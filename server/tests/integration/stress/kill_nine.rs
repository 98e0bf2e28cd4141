//! `kill -9` of the real server in the middle of invite creation: nothing acknowledged is lost,
//! nothing is half-made, and every email goes out once after a restart.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::process::{Process, clock_noise};
use crate::harness::{Backend, TestApp};
use crate::smtp::SmtpSink;

stress_on_both_databases!(kill_nine_during_invite_creation_loses_nothing);

async fn kill_nine_during_invite_creation_loses_nothing(backend: Backend) {
    let Some((app, database)) = TestApp::spawn(backend).await else {
        return;
    };
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let owner = app.current_user().await.expect("signed in").user_id;
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..20 {
        let server = Process::start(&database).await;
        let mut conn = app.db.acquire().await.expect("connection");
        let session =
            app::auth::sessions::start_session(&mut conn, &owner, None, app::context::now())
                .await
                .expect("session");
        drop(conn);
        let client = TestApp::browser(&server.origin);
        let cookie = format!("gatehouse_session={}", session.expose());
        let url = format!("{}/api/invite_by_email", server.address);
        let invite = |n: usize| {
            let (client, cookie, url) = (client.clone(), cookie.clone(), url.clone());
            let body = json!({ "invite": { "tailnet": tailnet,
                "addresses": format!("r{round}-p{n}@example.com"), "role": "member" } });
            async move {
                let response = client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("cookie", cookie)
                    .body(body.to_string())
                    .send()
                    .await;
                match response {
                    Ok(response) if response.status() == StatusCode::OK => {
                        Some(format!("r{round}-p{n}@example.com"))
                    }
                    _ => None,
                }
            }
        };
        let creations = async {
            let mut done = Vec::new();
            for batch in 0..50 {
                let answers =
                    futures::future::join_all((0..20).map(|i| invite(batch * 20 + i))).await;
                done.extend(answers.into_iter().flatten());
            }
            done
        };
        // Somewhere in the middle of the 1,000 creations, the process dies without warning.
        let strike = async {
            tokio::time::sleep(Duration::from_millis(100 + clock_noise(1_400))).await;
            server.kill_nine();
        };
        let (done, ()) = tokio::join!(creations, strike);
        acknowledged.extend(done);
        if backend == Backend::Sqlite {
            let check: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&app.db)
                .await
                .expect("integrity check");
            assert_eq!(check, "ok", "round {round}");
        }
    }
    // Every acknowledged invite is there with its email and its event; nothing is half-made.
    let stored: HashSet<String> = sqlx::query_scalar(
        "SELECT i.email FROM invites i JOIN email_outbox o ON o.invite_id = i.id",
    )
    .fetch_all(&app.db)
    .await
    .expect("invites")
    .into_iter()
    .collect();
    let lost = acknowledged.iter().filter(|a| !stored.contains(*a)).count();
    let invites = app.count("invites").await;
    let without_email: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invites i WHERE NOT EXISTS \
         (SELECT 1 FROM email_outbox o WHERE o.invite_id = i.id)",
    )
    .fetch_one(&app.db)
    .await
    .expect("count");
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE event_name = 'INVITE.CREATE.TAILNET_INVITE'",
    )
    .fetch_one(&app.db)
    .await
    .expect("events");
    // Restarted with SMTP, the outbox sends each invite's email once.
    let sink = SmtpSink::start().await;
    let mailer = TestApp::spawn_with(&database, &[("GATEHOUSE_SMTP_URL", sink.url())]).await;
    loop {
        let round = mailer.deliver_mail(app::context::now()).await;
        assert_eq!(round.failed, 0);
        if round.sent == 0 {
            break;
        }
    }
    let mut per_recipient = HashMap::<String, usize>::new();
    for mail in sink.received() {
        for to in mail.to {
            *per_recipient.entry(to).or_default() += 1;
        }
    }
    let twice = per_recipient.values().filter(|n| **n > 1).count();
    println!(
        "{backend:?}: kill -9 during invite creation x20: {} acknowledged, {invites} stored, \
         {lost} lost, {without_email} without their email, {events} events; after restart \
         {} emails to {} addresses, {twice} sent twice",
        acknowledged.len(),
        per_recipient.values().sum::<usize>(),
        per_recipient.len(),
    );
    assert_eq!((lost, without_email, twice), (0, 0, 0));
    assert_eq!(events, invites);
    assert_eq!(
        i64::try_from(per_recipient.len()).expect("count"),
        invites,
        "every stored invite's email went out"
    );
}
