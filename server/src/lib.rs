//! The Gatehouse server: configuration, database, HTTP layers and the router. `build` gives
//! the complete app, so integration tests run exactly what production runs.

pub mod backup;
pub mod check;
pub mod config;
pub mod db;
pub mod health;
pub mod http;
pub mod listen;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod secret_key;
pub mod site;
pub mod webhooks;

use std::sync::{Arc, OnceLock};

use app::context::AppState;
use app::oidc;
use app::settings::Settings;
use app::{App, shell};
use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};

use crate::config::Config;

/// mimalloc rather than the system allocator: a page render makes thousands of small
/// allocations, from every worker thread at once, and glibc's allocator spent a fifth of the
/// server's time in them and in the locks between threads (S8 in the README's performance
/// notes). Declared here, so the binary, the tests and the benchmarks all run on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("GATEHOUSE_DATABASE_URL: cannot open or migrate the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("GATEHOUSE_PUBLIC_URL: {0}")]
    PublicUrl(String),
    #[error("GATEHOUSE_SECRET_KEY_FILE: {0}")]
    SecretKey(String),
    /// The message names the variable.
    #[error("{0}")]
    Mail(String),
    #[error("GATEHOUSE_DATABASE_URL: {0}")]
    Lock(String),
}

/// The largest request body: a hundred addresses or a passkey's answer fit many times over.
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;

/// The longest a request may take (a passkey ceremony's server half takes milliseconds).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Requests handled at once by one server; more wait. Each holds at most one database
/// connection at a time, so this bounds memory, not throughput.
pub const MAX_CONCURRENT_REQUESTS: usize = 512;

/// Everything a running server needs: the shared state, the mailer when SMTP is configured,
/// and (SQLite) the hold on the database that keeps a restore away while it runs.
pub struct Prepared {
    pub state: AppState,
    pub mailer: Option<mail::Mailer>,
    pub serving: Option<backup::ServingLock>,
}

/// Where the compiled wasm, JS and CSS are: inside the binary when it embeds them
/// ([`site`]); otherwise where cargo-leptos wrote them (`LEPTOS_*` while developing; a binary
/// run from the workspace root needs none of them).
fn leptos_options(config: &Config) -> LeptosOptions {
    let env_or =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    LeptosOptions::builder()
        .output_name(env_or("LEPTOS_OUTPUT_NAME", "gatehouse"))
        .site_root(env_or("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(
            site::embedded_pkg_dir().unwrap_or_else(|| env_or("LEPTOS_SITE_PKG_DIR", "pkg")),
        )
        .site_addr(config.listen)
        .build()
}

/// Reads the key file, connects to the database, migrates it and builds the shared state.
pub async fn prepare(config: &Config) -> Result<Prepared, StartupError> {
    let link_key =
        secret_key::load_or_create(&config.secret_key_file).map_err(StartupError::SecretKey)?;
    let mailer = match &config.smtp_url {
        Some(url) => Some(
            mail::Mailer::new(
                url,
                config.mail_from.as_deref(),
                config.public_url.host_str().unwrap_or("localhost"),
            )
            .map_err(StartupError::Mail)?,
        ),
        None => None,
    };
    let serving = backup::hold_while_serving(&config.database_url).map_err(StartupError::Lock)?;
    let db = db::connect_and_migrate(&config.database_url).await?;
    let webauthn = app::passkeys::server::relying_party(&config.public_url)
        .map_err(StartupError::PublicUrl)?;
    let state = AppState {
        leptos_options: leptos_options(config),
        db,
        webauthn: Arc::new(webauthn),
        settings: Arc::new(Settings {
            public_url: config.public_url.clone(),
            invite_ttl_secs: config.invite_ttl_secs,
            setup_link_ttl_secs: config.setup_link_ttl_secs,
            link_key,
            email_delivery_configured: mailer.is_some(),
            client_download_url: config.client_download_url.to_string(),
            invite_lookups_per_minute: config.invite_lookups_per_minute,
            sign_in_attempts_per_minute: config.sign_in_attempts_per_minute,
            invite_emails_per_day_per_tailnet: config.invite_emails_per_day_per_tailnet,
            invite_emails_per_day_per_person: config.invite_emails_per_day_per_person,
            trusted_proxies: config.trusted_proxies.clone(),
            audit_retention_secs: config.audit_retention_secs,
            recent_sign_in_secs: config.recent_sign_in_secs,
            webhook_allow_private: config.webhook_allow_private,
        }),
    };
    Ok(Prepared {
        state,
        mailer,
        serving,
    })
}

/// The app's page routes, generated once per process. Leptos generates them by rendering the
/// app with every resource held back, and it holds them back process-wide (a global flag in
/// leptos_server, `SuppressResourceLoad`): a page rendering meanwhile in another app of the same
/// process (the integration tests run one per test) would wait for its resources forever.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP app: pages, server functions, static files, and the layers around them.
pub fn build(state: AppState) -> Router {
    let routes = page_routes();
    let public_origin: Arc<str> = state.settings.public_origin().into();
    let header_policy = http::HeaderPolicy {
        https: state.settings.uses_https(),
    };
    let context_state = state.clone();
    let provide_state = move || provide_context(context_state.clone());
    let page_state = provide_state.clone();
    // Leptos calls this for page renders and for the server functions it routes alike.
    let provide_page_context = move || {
        page_state();
        app::page_cache::provide_page_cache();
    };
    let shell_options = state.leptos_options.clone();

    Router::new()
        .leptos_routes_with_context(&state, routes, provide_page_context, move || {
            shell(shell_options.clone())
        })
        .route(
            "/admin/{tailnet}/users/export",
            get(app::members::export::download),
        )
        .route(
            "/admin/{tailnet}/logs/export",
            get(app::audit::export::download),
        )
        .route(health::HEALTHZ_PATH, get(health::healthz))
        .route(health::READYZ_PATH, get(health::readyz))
        .route(oidc::JWKS_PATH, get(oidc::jwks::jwks).layer(open_cors()))
        .route(
            oidc::DISCOVERY_PATH,
            get(oidc::discovery::openid_configuration).layer(open_cors()),
        )
        .route(
            oidc::AUTHORIZE_PATH,
            get(oidc::authorize::authorize_get).post(oidc::authorize::authorize_post),
        )
        .route(
            oidc::SWITCH_ACCOUNT_PATH,
            post(oidc::authorize::switch_account),
        )
        .route(
            oidc::TOKEN_PATH,
            post(oidc::token::token).layer(open_cors()),
        )
        .route(
            oidc::LOGOUT_PATH,
            get(oidc::logout::logout_get).post(oidc::logout::logout_post),
        )
        .route(
            oidc::USERINFO_PATH,
            get(oidc::userinfo::userinfo)
                .post(oidc::userinfo::userinfo)
                .layer(open_cors()),
        )
        .merge(app::tailscale_api::router::routes())
        .merge(site::routes(&state.leptos_options))
        .route(
            "/api/{*fn_name}",
            post(move |request| {
                leptos_axum::handle_server_fns_with_context(provide_state.clone(), request)
            }),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn(http::server_fn_error_status))
        // Bodies larger than any form or passkey answer are refused (413) before they are read.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_REQUEST_BODY_BYTES,
        ))
        // Under /api/v2 even a refusal by a layer is `{"message": …}`.
        .layer(from_fn(app::tailscale_api::error::json_errors))
        .layer(from_fn_with_state(public_origin, http::refuse_cross_site))
        .layer(from_fn_with_state(header_policy, http::security_headers))
        .layer(from_fn(http::log_requests))
        // A request that takes longer than this is answered 408 and its work dropped; at most
        // this many are handled at once, the rest wait their turn.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_CONCURRENT_REQUESTS,
        ))
        // The wasm shrinks to about a third with gzip, less with brotli.
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

/// The OIDC endpoints a browser app (a public client) calls from its own origin: discovery,
/// keys, token and userinfo. They take no cookie (credentials are in the request), so any
/// origin may read their answers.
fn open_cors() -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600))
}

/// Removes expired sessions, passkey ceremonies, rate-limit counters, recovery links and email
/// codes, signing keys whose tokens have all expired, long-delivered email and webhook events,
/// and audit events older than `audit_retention_secs`, every ten minutes.
pub fn spawn_housekeeping(db: sqlx::AnyPool, audit_retention_secs: i64) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match app::auth::server::purge_expired(&db, app::context::now()).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "purged expired sessions and ceremonies"),
                Err(error) => tracing::warn!(%error, "housekeeping failed"),
            }
            match app::rate_limit::purge_expired(&db, app::context::now()).await {
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "rate-limit housekeeping failed"),
            }
            match app::recovery::server::purge_expired(&db, app::context::now()).await {
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "recovery-link housekeeping failed"),
            }
            if let Err(error) =
                app::invites::email_code::purge_expired(&db, app::context::now()).await
            {
                tracing::warn!(%error, "email-code housekeeping failed");
            }
            if let Err(error) =
                app::oidc::signing_keys::purge_retired(&db, app::context::now()).await
            {
                tracing::warn!(%error, "signing-key housekeeping failed");
            }
            if let Err(error) = app::oidc::grants::purge_expired(&db, app::context::now()).await {
                tracing::warn!(%error, "OIDC code and token housekeeping failed");
            }
            if let Err(error) =
                app::tailscale_api::tokens::purge_ended(&db, app::context::now()).await
            {
                tracing::warn!(%error, "API token housekeeping failed");
            }
            if let Err(error) =
                app::tailscale_api::oauth_clients::purge_ended(&db, app::context::now()).await
            {
                tracing::warn!(%error, "OAuth client housekeeping failed");
            }
            if let Err(error) =
                app::webhooks::deliveries::purge_finished(&db, app::context::now()).await
            {
                tracing::warn!(%error, "webhook delivery housekeeping failed");
            }
            match mail::purge_sent(&db, app::context::now()).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "purged delivered email"),
                Err(error) => tracing::warn!(%error, "outbox housekeeping failed"),
            }
            let cutoff = app::context::now().saturating_sub(audit_retention_secs);
            match app::audit::server::purge_older_than(&db, cutoff).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed audit events past retention"),
                Err(error) => tracing::warn!(%error, "audit retention failed"),
            }
        }
    });
}
