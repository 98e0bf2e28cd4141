//! `gatehouse serve` renders pages on every core: hundreds of concurrent page loads of every
//! page, signed in and not, a third of them abandoned part-way (the browser navigated away), on
//! more worker threads than cores so that pages move between threads. Pass mark: no panic, no
//! hang, every finished load a whole page, and the server answers at once afterwards.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::process::{Process, clock_noise};
use crate::accept::{invite_link, owner_app};
use crate::harness::{Backend, TestDatabase};

const ROUNDS: usize = 5;
const LOADS_PER_ROUND: usize = 300;
/// More than this machine's cores, so that a page often finishes on another thread.
const WORKER_THREADS: usize = 4;
/// Longer than any page takes under this load: a load still unanswered by then is a hang.
const HANG: Duration = Duration::from_secs(30);

/// One page a browser loads, and the session it sends.
struct PageLoad {
    path: String,
    signed_in: bool,
    /// Seen only in the finished page, so a cut-off answer does not pass.
    expect: &'static str,
}

enum Outcome {
    Whole,
    Abandoned,
}

pub(super) async fn pages_render_on_every_core(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let (app, tailnet) = owner_app(&database, &[]).await;
    let owner = app.current_user().await.expect("signed in").user_id;
    let invite = invite_link(&app, &tailnet, "member").await;
    let mut server = Process::start_with(
        &database,
        None,
        &[
            ("GATEHOUSE_WORKER_THREADS", WORKER_THREADS.to_string()),
            ("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "1000000".to_owned()),
            (
                "GATEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE",
                "1000000".to_owned(),
            ),
        ],
    )
    .await;
    let cookie = app.session_cookie(&owner).await;
    let admin = |page: &str| format!("/admin/{}/{page}", tailnet.as_str());
    let pages: Arc<Vec<PageLoad>> = Arc::new(
        [
            ("/login".to_owned(), false, "Sign in to Gatehouse"),
            (format!("/invite/{invite}"), false, "Accept invite"),
            ("/setup/not-a-setup-link".to_owned(), false, "</html>"),
            ("/".to_owned(), true, "</html>"),
            ("/login".to_owned(), true, "</html>"),
            (format!("/invite/{invite}"), true, "</html>"),
            ("/account".to_owned(), true, "Passkeys"),
            (admin("users"), true, "Invite external users"),
            (admin("settings"), true, "Join external tailnets"),
            (admin("keys"), true, "</html>"),
            (admin("oidc-clients"), true, "</html>"),
            (admin("webhooks"), true, "Add endpoint"),
            (admin("logs"), true, "Configuration audit logs"),
        ]
        .into_iter()
        .map(|(path, signed_in, expect)| PageLoad {
            path,
            signed_in,
            expect,
        })
        .collect(),
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(HANG)
        .build()
        .expect("client");

    let started = Instant::now();
    let (mut whole, mut abandoned) = (0_usize, 0_usize);
    let mut failures = Vec::new();
    for round in 0..ROUNDS {
        let loads: Vec<_> = (0..LOADS_PER_ROUND)
            .map(|n| {
                let pages = pages.clone();
                let client = client.clone();
                let cookie = cookie.clone();
                let address = server.address.clone();
                let origin = server.origin.clone();
                tokio::spawn(async move {
                    let page = &pages[(n + round) % pages.len()];
                    let mut request = client
                        .get(format!("{address}{}", page.path))
                        .header(reqwest::header::ORIGIN, origin);
                    if page.signed_in {
                        request = request.header(reqwest::header::COOKIE, cookie);
                    }
                    let load = async {
                        let response = request.send().await.map_err(|e| e.to_string())?;
                        let status = response.status();
                        let body = response.text().await.map_err(|e| e.to_string())?;
                        Ok::<_, String>((status, body))
                    };
                    let answer = if n % 3 == 0 {
                        // Navigated away after a moment: the connection closes mid-answer.
                        let after = Duration::from_millis(clock_noise(40));
                        match tokio::time::timeout(after, load).await {
                            Err(_) => return Ok(Outcome::Abandoned),
                            Ok(answer) => answer,
                        }
                    } else {
                        load.await
                    };
                    let (status, body) = answer.map_err(|e| format!("{}: {e}", page.path))?;
                    // The made-up setup link is refused with its own page; the rest are 200.
                    if status != StatusCode::OK && !page.path.starts_with("/setup/")
                        || status.is_server_error()
                    {
                        return Err(format!("{}: {status}", page.path));
                    }
                    if !(body.contains(page.expect) && body.contains("</html>")) {
                        let end = &body[body.len().saturating_sub(200)..];
                        return Err(format!("{} ended early: {end}", page.path));
                    }
                    Ok(Outcome::Whole)
                })
            })
            .collect();
        for load in loads {
            match load.await.expect("page load task") {
                Ok(Outcome::Whole) => whole += 1,
                Ok(Outcome::Abandoned) => abandoned += 1,
                Err(failure) => failures.push(failure),
            }
        }
        assert!(server.is_running(), "the server exited in round {round}");
    }
    let elapsed = started.elapsed();

    let probe = Instant::now();
    let (status, _) = fetch(&client, &server, "/login").await;
    let answered_in = probe.elapsed();
    let stderr = server.stderr_text();
    let panics = stderr.matches("panicked").count();
    println!(
        "{backend:?}: {whole} whole page loads and {abandoned} abandoned in {elapsed:.1?} \
         on {WORKER_THREADS} worker threads; {panics} panics; /login afterwards in {answered_in:.1?}"
    );
    assert_eq!(panics, 0, "the server panicked:\n{stderr}");
    assert!(
        failures.is_empty(),
        "{} loads failed, first {:?}\nserver:\n{stderr}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(status, StatusCode::OK);
    assert!(answered_in < Duration::from_secs(2), "{answered_in:?}");
    assert!(abandoned > 0, "no load was abandoned part-way");
    let exit = server.terminate().await;
    assert!(exit.success(), "{exit:?}");
}

async fn fetch(client: &reqwest::Client, server: &Process, path: &str) -> (StatusCode, String) {
    let response = client
        .get(format!("{}{path}", server.address))
        .send()
        .await
        .expect("answer");
    let status = response.status();
    (status, response.text().await.expect("body"))
}
