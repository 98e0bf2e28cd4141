//! S8 of issue 17: requests per second for `/login` and the Users page, signed in, against a
//! bare axum handler that does the same session lookup and answers a small page, in the same
//! run. Beside them, Leptos's floor: the smallest Leptos page that does the same lookup (a
//! resource, served as Gatehouse serves its pages), which no Leptos page can beat. Each figure is the median of 5 alternating rounds (anchor, `/login`, Users page, …) of
//! 2 s with 16 concurrent keep-alive clients, once with the server on every core (tokio's
//! multi-thread runtime, as `gatehouse serve` runs) and once on one thread (as it ran before).
//! Run with `cargo bench -p server --bench throughput` or `make bench`; the figures also go to
//! `target/bench/throughput.json`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "../tests/integration/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../tests/integration/passkey.rs"]
mod passkey;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;
use harness::{Backend, TestApp, TestDatabase};

const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_secs(2);
const CLIENTS: usize = 16;

/// What the anchor shares with Gatehouse: the database and the settings the session lookup reads.
#[derive(Clone)]
struct AnchorState {
    db: sqlx::AnyPool,
    settings: Arc<app::settings::Settings>,
}

/// The anchor: look the session up exactly as Gatehouse does, answer a small page.
async fn anchor_page(State(state): State<AnchorState>, headers: HeaderMap) -> Html<&'static str> {
    let session = app::auth::sessions::session_from_headers(
        &state.db,
        &state.settings,
        &headers,
        app::context::now(),
    )
    .await
    .expect("session lookup");
    assert!(session.is_some(), "the anchor's client is signed in");
    Html(
        "<!DOCTYPE html><html><head><title>Anchor</title></head><body><p>Signed in</p></body></html>",
    )
}

/// Leptos's floor: one route whose page waits for the same session lookup, in the same
/// document shell as Gatehouse's (hydration scripts included), rendered the same way
/// (`SsrMode::Async`, a context per request).
mod leptos_floor {
    use leptos::prelude::*;
    use leptos_axum::LeptosRoutes;
    use leptos_router::components::{Route, Router, Routes};
    use leptos_router::{SsrMode, path};

    use super::AnchorState;

    pub fn router(state: AnchorState, options: LeptosOptions) -> axum::Router {
        let routes = leptos_axum::generate_route_list(App);
        let shell_options = options.clone();
        axum::Router::new()
            .leptos_routes_with_context(
                &options,
                routes,
                move || provide_context(state.clone()),
                move || shell(shell_options.clone()),
            )
            .with_state(options)
    }

    fn shell(options: LeptosOptions) -> impl IntoView {
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <head>
                    <meta charset="utf-8" />
                    <HydrationScripts options />
                </head>
                <body>
                    <App />
                </body>
            </html>
        }
    }

    #[component]
    fn App() -> impl IntoView {
        view! {
            <Router>
                <Routes fallback=|| "Not found">
                    <Route path=path!("/") view=Page ssr=SsrMode::Async />
                </Routes>
            </Router>
        }
    }

    #[component]
    fn Page() -> impl IntoView {
        // Leptos's own default, as the smallest Leptos page would have it.
        #[allow(clippy::disallowed_methods)]
        let signed_in = Resource::new(|| (), |()| signed_in());
        view! {
            <Suspense>
                <p>{move || signed_in.get().map(|yes| if yes { "Signed in" } else { "Signed out" })}</p>
            </Suspense>
        }
    }

    async fn signed_in() -> bool {
        let state = expect_context::<AnchorState>();
        let parts = expect_context::<axum::http::request::Parts>();
        app::auth::sessions::session_from_headers(
            &state.db,
            &state.settings,
            &parts.headers,
            app::context::now(),
        )
        .await
        .expect("session lookup")
        .is_some()
    }
}

/// Completed `GET url` per second with `CLIENTS` clients for one `ROUND`.
async fn requests_per_second(client: &reqwest::Client, url: &str) -> f64 {
    let done = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + ROUND;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let client = client.clone();
            let url = url.to_owned();
            let done = done.clone();
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let response = client.get(&url).send().await.expect("answer");
                    assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
                    response.bytes().await.expect("body");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    for client in clients {
        client.await.expect("client");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Figures {
    anchor: f64,
    leptos_floor: f64,
    login: f64,
    users: f64,
}

async fn measure() -> Figures {
    let database = TestDatabase::create(Backend::Sqlite)
        .await
        .expect("SQLite is always there");
    let app = TestApp::spawn_on(&database).await;
    app.with_owner("owner@example.com").await;
    let tailnet = app.home_tailnet().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let anchor_address = format!("http://{}", listener.local_addr().expect("address"));
    let anchor = axum::Router::new()
        .route("/", axum::routing::get(anchor_page))
        .with_state(AnchorState {
            db: app.db.clone(),
            settings: app.settings.clone(),
        });
    tokio::spawn(async move { axum::serve(listener, anchor).await.expect("anchor") });

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let floor_address = format!("http://{}/", listener.local_addr().expect("address"));
    let floor = leptos_floor::router(
        AnchorState {
            db: app.db.clone(),
            settings: app.settings.clone(),
        },
        leptos::config::LeptosOptions::builder()
            .output_name("gatehouse")
            .build(),
    );
    tokio::spawn(async move { axum::serve(listener, floor).await.expect("Leptos floor") });

    let login = format!("{}/login", app.address);
    let users = format!("{}/admin/{}/users", app.address, tailnet.as_str());
    // The Owner's cookie goes to both servers (cookies do not depend on the port).
    let page = |url: &str| {
        let client = app.client.clone();
        let url = url.to_owned();
        async move {
            let response = client.get(&url).send().await.expect("page");
            assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
            response.text().await.expect("body")
        }
    };
    assert!(page(&users).await.contains("Invite external users"));
    assert!(page(&anchor_address).await.contains("Signed in"));
    assert!(page(&floor_address).await.contains("Signed in"));

    let (mut anchors, mut floors) = (Vec::new(), Vec::new());
    let (mut logins, mut users_pages) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        anchors.push(requests_per_second(&app.client, &anchor_address).await);
        floors.push(requests_per_second(&app.client, &floor_address).await);
        logins.push(requests_per_second(&app.client, &login).await);
        users_pages.push(requests_per_second(&app.client, &users).await);
    }
    Figures {
        anchor: median(anchors),
        leptos_floor: median(floors),
        login: median(logins),
        users: median(users_pages),
    }
}

fn report(label: &str, figures: &Figures) -> serde_json::Value {
    println!("\n{label}");
    println!(
        "  anchor (session lookup + small page)  {:>8.0} req/s",
        figures.anchor
    );
    for (name, value) in [
        ("Leptos's floor (same lookup)", figures.leptos_floor),
        ("/login", figures.login),
        ("Users page", figures.users),
    ] {
        println!(
            "  {name:<36}  {value:>8.0} req/s  {:.2}x the anchor",
            value / figures.anchor
        );
    }
    serde_json::json!({
        "anchor_rps": figures.anchor,
        "leptos_floor_rps": figures.leptos_floor,
        "leptos_floor_ratio": figures.leptos_floor / figures.anchor,
        "login_rps": figures.login,
        "users_rps": figures.users,
        "login_ratio": figures.login / figures.anchor,
        "users_ratio": figures.users / figures.anchor,
    })
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let every_core = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(measure());
    let one_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(measure());
    let json = serde_json::json!({
        "cores": cores,
        "every_core": report(&format!("Every core ({cores}), SQLite"), &every_core),
        "one_thread": report("One thread (before), SQLite", &one_thread),
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    std::fs::write(dir.join("throughput.json"), format!("{json:#}\n")).expect("write");
}
