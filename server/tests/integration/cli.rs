//! The `gatehouse` binary: configuration errors, the first-run setup link, `create-tailnet`,
//! `recover`, `rotate-signing-key`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

pub fn gatehouse(database: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_DATABASE_URL", database)
        .env("RUST_LOG", "info");
    // The key file goes beside the test's SQLite file, inside the test's temporary folder.
    if let Some(folder) = database
        .strip_prefix("sqlite://")
        .and_then(|file| std::path::Path::new(file).parent())
    {
        command.env("GATEHOUSE_SECRET_KEY_FILE", folder.join("secret.key"));
    }
    command
}

/// Waits until the server logs that it serves, then stops it; returns what it printed on stdout.
fn run_until_serving(mut command: Command) -> Vec<String> {
    let mut child: Child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gatehouse");
    let stderr = child.stderr.take().expect("stderr");
    let deadline = Instant::now() + Duration::from_secs(60);
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("stderr line");
        if line.contains("Gatehouse is serving") {
            break;
        }
        assert!(Instant::now() < deadline, "gatehouse did not start");
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("output");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_bad_variable_stops_the_server_with_one_line_naming_it() {
    let output = Command::new(BINARY)
        .env("GATEHOUSE_INVITE_TTL", "forever")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("gatehouse: GATEHOUSE_INVITE_TTL: 'forever'"),
        "{stderr}"
    );
}

#[test]
fn help_documents_every_variable() {
    let output = Command::new(BINARY).arg("--help").output().expect("run");
    let help = String::from_utf8_lossy(&output.stdout);
    for variable in [
        "GATEHOUSE_LISTEN",
        "GATEHOUSE_PUBLIC_URL",
        "GATEHOUSE_DATABASE_URL",
        "GATEHOUSE_SMTP_URL",
        "GATEHOUSE_MAIL_FROM",
        "GATEHOUSE_INVITE_TTL",
        "GATEHOUSE_RECENT_SIGN_IN",
        "create-tailnet",
        "recover",
    ] {
        assert!(help.contains(variable), "--help lacks {variable}");
    }
}

#[test]
fn a_fresh_database_prints_one_setup_link_until_a_tailnet_exists() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}/gatehouse.db", dir.path().display());

    let printed = run_until_serving(gatehouse(&database, &[]));
    assert_eq!(printed.len(), 1, "{printed:?}");
    let token = printed[0]
        .strip_prefix("Setup link: http://localhost:3000/setup/")
        .unwrap_or_else(|| panic!("unexpected line {:?}", printed[0]));
    assert_eq!(token.len(), 43);

    let created = gatehouse(&database, &["create-tailnet", "--name", "Ops team"])
        .output()
        .expect("create-tailnet");
    assert!(created.status.success());
    let stdout = String::from_utf8_lossy(&created.stdout);
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.starts_with("Setup link: http://localhost:3000/setup/"));

    let printed = run_until_serving(gatehouse(&database, &["serve"]));
    assert!(
        printed.is_empty(),
        "a database with a tailnet prints no link: {printed:?}"
    );

    let refused = gatehouse(&database, &["create-tailnet", "--name", "  "])
        .output()
        .expect("create-tailnet");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--name"));

    // --kind: personal is kept; anything else is refused, naming the flag.
    let personal = gatehouse(
        &database,
        &["create-tailnet", "--name", "Bea", "--kind", "personal"],
    )
    .output()
    .expect("create-tailnet");
    assert!(personal.status.success());
    let refused = gatehouse(
        &database,
        &["create-tailnet", "--name", "Bo", "--kind", "family"],
    )
    .output()
    .expect("create-tailnet");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--kind"));
    let kinds: Vec<(String, String)> =
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(async {
                sqlx::any::install_default_drivers();
                let db = sqlx::AnyPool::connect(&database).await.expect("database");
                sqlx::query_as("SELECT name, kind FROM tailnets ORDER BY name")
                    .fetch_all(&db)
                    .await
                    .expect("tailnets")
            });
    assert_eq!(
        kinds,
        vec![
            ("Bea".to_owned(), "personal".to_owned()),
            ("Ops team".to_owned(), "organization".to_owned())
        ]
    );
}

#[tokio::test]
async fn recover_prints_a_one_time_link_for_any_account_even_the_owner() {
    use crate::harness::{Backend, TestApp, TestDatabase, token_of};

    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .expect("SQLite is always available");
    let app = TestApp::spawn_on(&database).await;
    let _ = app.with_owner("ada@example.com").await;
    let run = |args: &'static [&'static str]| {
        let url = database.url.clone();
        tokio::task::spawn_blocking(move || gatehouse(&url, args).output().expect("recover"))
    };

    let printed = run(&["recover", "--email", "ADA@example.com"])
        .await
        .expect("ran");
    assert!(printed.status.success(), "{printed:?}");
    let stdout = String::from_utf8_lossy(&printed.stdout);
    let link = stdout
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("Recovery link: http://localhost:3000/recover/"))
        .unwrap_or_else(|| panic!("unexpected output {stdout}"));
    assert_eq!(link.len(), 43);
    assert!(stdout.contains("It works once"), "{stdout}");

    let browser = app.other_browser();
    let mut passkey = crate::passkey::TestPasskey::new(&app.public_origin);
    let (status, landing) = crate::recovery::recover(&browser, &token_of(link), &mut passkey).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{landing:?}");
    let owner = browser.current_user().await.expect("signed in");
    assert_eq!(owner.email, "ada@example.com");

    let unknown = run(&["recover", "--email", "nobody@example.com"])
        .await
        .expect("ran");
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("--email: No account"), "{stderr}");
}

#[tokio::test]
async fn rotate_signing_key_adds_the_key_that_signs_from_then_on() {
    use crate::harness::{Backend, TestApp, TestDatabase};

    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .expect("SQLite is always available");
    let app = TestApp::spawn_on(&database).await;
    let rotate = || {
        let url = database.url.clone();
        tokio::task::spawn_blocking(move || {
            gatehouse(&url, &["rotate-signing-key"])
                .output()
                .expect("rotate")
        })
    };
    let mut printed_kids = Vec::new();
    for _ in 0..2 {
        let output = rotate().await.expect("ran");
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let kid = stdout
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("New signing key: "))
            .and_then(|rest| rest.split_once(". ID tokens are signed with it from now on."))
            .map(|(kid, _)| kid.to_owned())
            .unwrap_or_else(|| panic!("unexpected output {stdout}"));
        printed_kids.push(kid);
    }
    let signing =
        app::oidc::signing_keys::current(&app.db, &app.settings.link_key, app::context::now())
            .await
            .expect("signing key");
    assert_eq!(signing.kid(), printed_kids[1], "the last key added signs");
    let set: serde_json::Value = app
        .client
        .get(format!("{}/oidc/jwks", app.address))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let published: Vec<&str> = set["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .collect();
    assert_eq!(
        published,
        vec![printed_kids[1].as_str(), printed_kids[0].as_str()]
    );
}
