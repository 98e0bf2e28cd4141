//! Running Gatehouse as infrastructure: `/healthz` and `/readyz`, `--version`, JSON logs,
//! `check-config` and the metrics listener (backups and restarts: `backup_and_restart.rs`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::cli::gatehouse;
use crate::harness::{Backend, TestApp, on_both_databases};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

on_both_databases!(probes_say_alive_and_ready_and_nothing_more);

async fn probes_say_alive_and_ready_and_nothing_more(backend: Backend) {
    let Some((app, _database)) = TestApp::spawn(backend).await else {
        return;
    };
    let get = |path: &'static str| {
        let address = app.address.clone();
        async move {
            let response = reqwest::get(format!("{address}{path}"))
                .await
                .expect("probe");
            let status = response.status();
            (status, response.text().await.expect("body"))
        }
    };
    assert_eq!(get("/healthz").await, (StatusCode::OK, "ok".to_owned()));
    assert_eq!(get("/readyz").await, (StatusCode::OK, "ready".to_owned()));

    // A database behind this binary's migrations is not ready; the answer says no more.
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&app.db)
    .await
    .expect("forget a migration");
    assert_eq!(
        get("/readyz").await,
        (StatusCode::SERVICE_UNAVAILABLE, "not ready".to_owned())
    );
    assert_eq!(get("/healthz").await, (StatusCode::OK, "ok".to_owned()));
}

#[test]
fn version_names_the_release_and_the_commit() {
    let output = Command::new(BINARY).arg("--version").output().expect("run");
    assert!(output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    let expected = format!("gatehouse {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(printed.starts_with(&expected), "{printed}");
    let commit = printed
        .trim()
        .strip_prefix(&expected)
        .and_then(|rest| rest.strip_suffix(')'))
        .expect("commit");
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{commit}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_never_hold_a_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}/gatehouse.db", dir.path().display());
    let port = free_port();
    let mut child = gatehouse(&database, &["serve"])
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
        .env("GATEHOUSE_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gatehouse");
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let secret = "tok3nThatMustNeverBeLogged0123456789abcdefg";
    let address = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{address}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "gatehouse did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = reqwest::get(format!("{address}/invite/{secret}?again={secret}")).await;
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !lines.iter().any(|line: &String| line.contains("/invite/")) {
        assert!(Instant::now() < deadline, "no request line: {lines:?}");
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for line in &lines {
        let object: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            object["timestamp"].is_string() && object["level"].is_string(),
            "{line}"
        );
        assert!(!line.contains(secret), "a token reached the log: {line}");
    }
    let request = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|object| object["message"] == "request")
        .expect("request line");
    assert_eq!(request["path"], "/invite/…");
    assert!(request["status"].is_number());
    assert!(
        lines
            .iter()
            .any(|line| line.contains("Gatehouse is serving")),
        "{lines:?}"
    );
}

#[test]
fn check_config_says_what_the_server_would_refuse() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}/gatehouse.db", dir.path().display());
    let fresh = gatehouse(&database, &["check-config"])
        .output()
        .expect("run");
    assert!(fresh.status.success(), "{fresh:?}");
    let said = String::from_utf8_lossy(&fresh.stdout);
    assert!(said.contains("does not exist yet"), "{said}");
    assert!(
        said.trim_end().ends_with("Configuration is valid."),
        "{said}"
    );
    assert!(
        !dir.path().join("gatehouse.db").exists(),
        "checking creates nothing"
    );

    let bad = gatehouse(&database, &["check-config"])
        .env("GATEHOUSE_PUBLIC_URL", "ftp://example.com")
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.starts_with("gatehouse: GATEHOUSE_PUBLIC_URL: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);

    std::fs::write(dir.path().join("secret.key"), "not a key").expect("key");
    let bad_key = gatehouse(&database, &["check-config"])
        .output()
        .expect("run");
    assert!(!bad_key.status.success());
    let stderr = String::from_utf8_lossy(&bad_key.stderr);
    assert!(stderr.contains("GATEHOUSE_SECRET_KEY_FILE"), "{stderr}");

    let unreachable = gatehouse(
        "postgres://gatehouse@127.0.0.1:9/gatehouse",
        &["check-config"],
    )
    .output()
    .expect("run");
    assert!(!unreachable.status.success());
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert!(
        stderr.starts_with("gatehouse: GATEHOUSE_DATABASE_URL: "),
        "{stderr}"
    );
}

#[tokio::test]
async fn metrics_are_served_apart_and_name_no_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}/gatehouse.db", dir.path().display());
    let (port, metrics_port) = (free_port(), free_port());
    let mut child = gatehouse(&database, &["serve"])
        .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "GATEHOUSE_METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gatehouse");
    let address = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{address}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "gatehouse did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secret = "metricsMustNeverHoldThisToken0123456789abcd";
    let client = TestApp::browser(&format!("http://localhost:{port}"));
    let _ = client.get(format!("{address}/login")).send().await;
    let _ = client
        .get(format!("{address}/invite/{secret}"))
        .send()
        .await;
    let _ = client
        .get(format!("{address}/api/v2/tailnet/-/users"))
        .send()
        .await;
    let _ = client
        .post(format!("{address}/api/finish_sign_in"))
        .header("content-type", "application/json")
        .body(r#"{"ceremony":"made-up","credential":{}}"#)
        .send()
        .await;
    let _ = client
        .post(format!("{address}/api/{secret}"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await;

    let metrics = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    // Not on the public listener.
    let public = reqwest::get(format!("{address}/metrics"))
        .await
        .expect("get");
    assert_ne!(public.status(), StatusCode::OK);
    let _ = child.kill();
    let _ = child.wait();
    assert!(!metrics.contains(secret), "a token in a label:\n{metrics}");
    let has = |needles: &[&str]| {
        metrics
            .lines()
            .any(|line| needles.iter().all(|needle| line.contains(needle)))
    };
    assert!(
        has(&[
            "gatehouse_http_requests_total{",
            r#"route="/login""#,
            r#"status="200""#
        ]),
        "{metrics}"
    );
    assert!(
        has(&[
            "gatehouse_http_requests_total{",
            r#"route="/invite/{token}""#
        ]),
        "{metrics}"
    );
    assert!(
        has(&[
            "gatehouse_http_requests_total{",
            r#"route="/api/v2/tailnet/{tailnet}/users""#,
            r#"status="401""#
        ]),
        "{metrics}"
    );
    assert!(
        has(&[
            "gatehouse_http_requests_total{",
            r#"route="other""#,
            r#"method="POST""#
        ]),
        "a made-up server function is `other`: {metrics}"
    );
    assert!(
        has(&["gatehouse_sign_ins_total{", r#"outcome="refused""#]),
        "{metrics}"
    );
    assert!(
        has(&[
            "gatehouse_http_request_duration_seconds_bucket{",
            r#"route="/login""#
        ]),
        "{metrics}"
    );
    for gauge in [
        "gatehouse_email_outbox_depth 0",
        "gatehouse_email_outbox_oldest_due_seconds 0",
        "gatehouse_sessions_active 0",
    ] {
        assert!(
            metrics.lines().any(|line| line == gauge),
            "{gauge}:\n{metrics}"
        );
    }
    assert!(has(&["gatehouse_db_pool_acquire_seconds "]), "{metrics}");
}
