//! Prometheus metrics, served only on `GATEHOUSE_METRICS_LISTEN` (off by default), never on the
//! public listener. No label names a person, an email, a token or an id: routes are templates
//! (`/admin/{tailnet}/users`), server functions their name, anything unknown `other`.
//!
//! - `gatehouse_http_requests_total{route,method,status}` and
//!   `gatehouse_http_request_duration_seconds{route}` (histogram);
//! - `gatehouse_sign_ins_total{outcome="ok"|"refused"}` (passkey sign-ins to the console);
//! - `gatehouse_rate_limit_refusals_total{route}` (answers 429);
//! - `gatehouse_email_deliveries_total{outcome="sent"|"failed"}`;
//! - sampled every 15 s: `gatehouse_email_outbox_depth`, `gatehouse_email_outbox_oldest_due_seconds`,
//!   `gatehouse_sessions_active`, `gatehouse_db_pool_connections{state="idle"|"in_use"}` and
//!   `gatehouse_db_pool_acquire_seconds` (how long taking a connection took).

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{Method, header};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Where Prometheus scrapes, on the metrics listener.
pub const METRICS_PATH: &str = "/metrics";

/// How often the database figures are sampled (and histograms tidied).
const SAMPLE_EVERY: Duration = Duration::from_secs(15);

/// Request durations' buckets, in seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the process's recorder; until then every metric call costs nothing.
pub fn install() -> Result<PrometheusHandle, String> {
    PrometheusBuilder::new()
        .set_buckets(&DURATION_BUCKETS)
        .map_err(|error| error.to_string())?
        .install_recorder()
        .map_err(|error| format!("GATEHOUSE_METRICS_LISTEN: {error}"))
}

/// Serves the metrics on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handle: PrometheusHandle,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().route(
        METRICS_PATH,
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    handle.render(),
                )
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The paths of the app's server functions (`/api/finish_sign_in`, …).
fn server_functions() -> &'static std::collections::HashSet<&'static str> {
    static PATHS: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    PATHS.get_or_init(|| {
        leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect()
    })
}

/// The label a request's route gets: its template, a server function's path, or `other`.
pub fn route_label(matched: Option<&str>, path: &str) -> String {
    match matched {
        // Server functions share one route: each gets its own label, but a made-up name is
        // `other`, so nobody can grow the label set or put a token into it.
        Some("/api/{*fn_name}") if server_functions().contains(path) => path.to_owned(),
        Some("/api/{*fn_name}") | None => "other".to_owned(),
        Some(template) => template.to_owned(),
    }
}

/// Records one answered request.
pub fn record_request(route: &str, method: &Method, status: u16, started: Instant) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method.as_str().to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("gatehouse_http_requests_total", &labels).increment(1);
    metrics::histogram!("gatehouse_http_request_duration_seconds", "route" => route.to_owned())
        .record(started.elapsed().as_secs_f64());
    if status == 429 {
        metrics::counter!("gatehouse_rate_limit_refusals_total", "route" => route.to_owned())
            .increment(1);
    }
    if route == "/api/finish_sign_in" {
        let outcome = if (200..300).contains(&status) {
            "ok"
        } else {
            "refused"
        };
        metrics::counter!("gatehouse_sign_ins_total", "outcome" => outcome).increment(1);
    }
}

/// Records an email delivery round.
pub fn record_deliveries(sent: usize, failed: usize) {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    metrics::counter!("gatehouse_email_deliveries_total", "outcome" => "sent")
        .increment(count(sent));
    metrics::counter!("gatehouse_email_deliveries_total", "outcome" => "failed")
        .increment(count(failed));
}

/// Counts webhook events delivered and delivery attempts that failed.
pub fn record_webhook_deliveries(delivered: usize, failed: usize) {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    metrics::counter!("gatehouse_webhook_deliveries_total", "outcome" => "delivered")
        .increment(count(delivered));
    metrics::counter!("gatehouse_webhook_deliveries_total", "outcome" => "failed")
        .increment(count(failed));
}

/// Samples the database figures every 15 s, for as long as the process runs.
pub fn spawn_sampler(db: sqlx::AnyPool, handle: PrometheusHandle) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SAMPLE_EVERY);
        loop {
            every.tick().await;
            handle.run_upkeep();
            if let Err(error) = sample(&db).await {
                tracing::warn!(%error, "sampling metrics failed");
            }
        }
    });
}

async fn sample(db: &sqlx::AnyPool) -> Result<(), sqlx::Error> {
    let now = app::context::now();
    let started = Instant::now();
    let mut conn = db.acquire().await?;
    metrics::gauge!("gatehouse_db_pool_acquire_seconds").set(started.elapsed().as_secs_f64());
    let (depth, oldest_due): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(next_attempt_at) FROM email_outbox WHERE sent_at IS NULL",
    )
    .fetch_one(&mut *conn)
    .await?;
    // Live: neither past the absolute lifetime nor idle too long (as sessions are checked).
    let sessions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE created_at > $1 AND last_seen_at > $2",
    )
    .bind(now - app::auth::model::SESSION_ABSOLUTE_SECS)
    .bind(now - app::auth::model::SESSION_IDLE_SECS)
    .fetch_one(&mut *conn)
    .await?;
    drop(conn);
    let as_f64 = |n: i64| n as f64;
    metrics::gauge!("gatehouse_email_outbox_depth").set(as_f64(depth));
    metrics::gauge!("gatehouse_email_outbox_oldest_due_seconds")
        .set(oldest_due.map_or(0.0, |due| as_f64((now - due).max(0))));
    metrics::gauge!("gatehouse_sessions_active").set(as_f64(sessions));
    let (size, idle) = (db.size(), db.num_idle());
    metrics::gauge!("gatehouse_db_pool_connections", "state" => "idle")
        .set(f64::from(u32::try_from(idle).unwrap_or(u32::MAX)));
    metrics::gauge!("gatehouse_db_pool_connections", "state" => "in_use").set(f64::from(
        size.saturating_sub(u32::try_from(idle).unwrap_or(0)),
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn labels_are_templates_or_known_function_names() {
        assert_eq!(
            route_label(Some("/invite/{token}"), "/invite/secret"),
            "/invite/{token}"
        );
        assert_eq!(
            route_label(Some("/api/{*fn_name}"), "/api/finish_sign_in"),
            "/api/finish_sign_in"
        );
        assert_eq!(
            route_label(Some("/api/{*fn_name}"), "/api/made-up-secret"),
            "other"
        );
        assert_eq!(route_label(None, "/anything/else"), "other");
    }
}
