//! Backups and restarts of a live server: `gatehouse backup`/`restore` of SQLite under load,
//! and SIGTERM in the middle of a burst of requests.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::gatehouse;
use crate::harness::{Backend, TestApp, TestDatabase};

#[test]
fn backup_of_postgresql_points_to_pg_dump() {
    let refused = gatehouse(
        "postgres://gatehouse@127.0.0.1:9/gatehouse",
        &["backup", "--to", "x.db"],
    )
    .output()
    .expect("run");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
}

/// Runs `gatehouse` with `args` on `database` (in a thread, as a separate process).
async fn run(database: &str, args: &[&str]) -> std::process::Output {
    let mut command = gatehouse(database, args);
    tokio::task::spawn_blocking(move || command.output().expect("run gatehouse"))
        .await
        .expect("joined")
}

/// An email invite made by the signed-in admin of `app`; its address once acknowledged.
async fn invite(app: &TestApp, tailnet: &app::ids::TailnetId, n: usize) -> Option<String> {
    let address = format!("person{n}@example.com");
    let (status, _) = app
        .call::<Value>(
            "invite_by_email",
            json!({ "invite": { "tailnet": tailnet, "addresses": address, "role": "member" } }),
        )
        .await;
    (status == StatusCode::OK).then_some(address)
}

#[tokio::test]
async fn a_backup_taken_under_load_restores_every_invite_acknowledged_before_it() {
    let source = TestDatabase::create(Backend::Sqlite).await.expect("sqlite");
    let app = TestApp::spawn_on(&source).await;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let owner = app.current_user().await.expect("owner").user_id;

    // Load: invites and sessions written one after another until told to stop.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(Instant, String)>::new()));
    let writer = {
        let (app, tailnet, owner) = (app.clone(), tailnet.clone(), owner.clone());
        let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                if let Some(address) = invite(&app, &tailnet, n).await {
                    let at = Instant::now();
                    acknowledged.lock().expect("lock").push((at, address));
                }
                let _ = app.signed_in_as(&owner).await;
            }
        })
    };
    while acknowledged.lock().expect("lock").len() < 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let backup_dir = tempfile::tempdir().expect("temp dir");
    let backup_file = backup_dir.path().join("gatehouse-backup.db");
    let backup_path = backup_file.display().to_string();
    let started = Instant::now();
    let made = run(&source.url, &["backup", "--to", &backup_path]).await;
    assert!(made.status.success(), "{made:?}");
    assert!(String::from_utf8_lossy(&made.stdout).contains("integrity check ok"));
    // The load went on during the backup.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.expect("writer");
    let before: BTreeSet<String> = acknowledged
        .lock()
        .expect("lock")
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, address)| address.clone())
        .collect();
    let total = acknowledged.lock().expect("lock").len();
    eprintln!(
        "backup under load: {} invites acknowledged before it, {total} in all",
        before.len()
    );
    assert!(
        before.len() >= 20 && total > before.len(),
        "{} of {total}",
        before.len()
    );

    // The same file again is refused; so is a restore onto the database a server holds.
    let again = run(&source.url, &["backup", "--to", &backup_path]).await;
    assert!(!again.status.success());
    let held = run(&source.url, &["restore", "--from", &backup_path]).await;
    assert!(!held.status.success());
    assert!(
        String::from_utf8_lossy(&held.stderr).contains("a running server holds"),
        "{held:?}"
    );

    // Restored into a fresh data directory, with the key file kept beside the backup.
    let restored = TestDatabase::create(Backend::Sqlite).await.expect("sqlite");
    std::fs::copy(source.key_file(), restored.key_file()).expect("key file");
    let done = run(&restored.url, &["restore", "--from", &backup_path]).await;
    assert!(done.status.success(), "{done:?}");
    {
        sqlx::any::install_default_drivers();
        let db = sqlx::AnyPool::connect(&restored.url)
            .await
            .expect("restored");
        let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&db)
            .await
            .expect("check");
        assert_eq!(verdict, "ok");
        db.close().await;
    }
    // Every link below is opened from one address: lift the per-address limit on look-ups.
    let lookups = [("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "1000000".to_owned())];
    let server = TestApp::spawn_with(&restored, &lookups).await;
    let emails: BTreeSet<String> = sqlx::query_scalar("SELECT email FROM invites")
        .fetch_all(&server.db)
        .await
        .expect("invites")
        .into_iter()
        .collect();
    let missing: Vec<&String> = before.difference(&emails).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup but lost: {missing:?}"
    );
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&server.db)
        .await
        .expect("sessions");
    assert!(sessions >= 20, "{sessions} sessions");

    // Each such invite's link opens; one is accepted with a new passkey.
    let admin = server.signed_in_as(&owner).await;
    let invitee = server.other_browser();
    for (n, address) in before.iter().enumerate() {
        let token = crate::accept::link_token(&admin, &tailnet, address).await;
        let (status, _) = invitee
            .call::<Value>("inspect_invite", json!({ "token": token }))
            .await;
        assert_eq!(status, StatusCode::OK, "{address}");
        if n == 0 {
            let mut passkey = crate::passkey::TestPasskey::new(&server.public_origin);
            let (status, welcome) =
                crate::accept::sign_up(&invitee, &token, "Grace", address, &mut passkey).await;
            assert_eq!(status, StatusCode::OK, "{welcome:?}");
        }
    }
}

#[tokio::test]
async fn sigterm_finishes_what_was_accepted_and_sends_no_email_twice() {
    use crate::smtp::SmtpSink;
    use crate::stress::process::Process;

    let database = TestDatabase::create(Backend::Sqlite).await.expect("sqlite");
    let app = TestApp::spawn_on(&database).await;
    app.with_owner("ada@example.com").await;
    let tailnet = app.home_tailnet().await;
    let owner = app.current_user().await.expect("owner").user_id;
    let sink = SmtpSink::start().await;
    let smtp = [("GATEHOUSE_SMTP_URL", sink.url())];
    let server = Process::start_with(&database, None, &smtp).await;
    let cookie = app.session_cookie(&owner).await;
    let client = TestApp::browser(&server.origin);
    let url = format!("{}/api/invite_by_email", server.address);

    // A burst of invites, with SIGTERM in the middle of it.
    let burst = (0..60).map(|n| {
        let (client, cookie, url) = (client.clone(), cookie.clone(), url.clone());
        let address = format!("burst{n}@example.com");
        let body =
            json!({ "invite": { "tailnet": tailnet, "addresses": address, "role": "member" } });
        async move {
            tokio::time::sleep(Duration::from_millis(5 * n)).await;
            let answer = client
                .post(url)
                .header("content-type", "application/json")
                .header("cookie", cookie)
                .body(body.to_string())
                .send()
                .await;
            (address, answer.map(|response| response.status()))
        }
    });
    let requests = tokio::spawn(futures::future::join_all(burst));
    tokio::time::sleep(Duration::from_millis(120)).await;
    let status = server.terminate().await;
    assert!(status.success(), "a clean stop: {status:?}");
    let answers = requests.await.expect("requests");

    let mut completed = 0;
    for (address, answer) in &answers {
        let (invites, events, outbox): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM invites WHERE email = $1), \
                    (SELECT COUNT(*) FROM audit_events WHERE target_name = $1), \
                    (SELECT COUNT(*) FROM email_outbox WHERE recipient = $1)",
        )
        .bind(address)
        .fetch_one(&app.db)
        .await
        .expect("counts");
        match answer {
            Ok(status) if *status == StatusCode::OK => {
                completed += 1;
                assert_eq!((invites, events, outbox), (1, 1, 1), "{address}: all of it");
            }
            // Refused, or never accepted: none of it.
            _ => assert_eq!(
                (invites, events, outbox),
                (0, 0, 0),
                "{address}: {answer:?}"
            ),
        }
    }
    eprintln!(
        "SIGTERM mid-burst: {completed} of {} invites completed, the rest never accepted",
        answers.len()
    );
    assert!(
        completed > 0 && completed < answers.len(),
        "{completed} of {}",
        answers.len()
    );

    // Another server sends what is left; every invited address gets exactly one email.
    let next = Process::start_with(&database, None, &smtp).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let unsent: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM email_outbox WHERE sent_at IS NULL")
                .fetch_one(&app.db)
                .await
                .expect("unsent");
        if unsent == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{unsent} emails never sent");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    next.kill_nine();
    let mut per_address = std::collections::BTreeMap::<String, usize>::new();
    for mail in sink.received() {
        for to in mail.to {
            *per_address.entry(to).or_default() += 1;
        }
    }
    assert_eq!(per_address.len(), completed);
    assert!(per_address.values().all(|&n| n == 1), "{per_address:?}");
}
