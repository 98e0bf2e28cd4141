//! `GET /healthz` (the process answers; no database) and `GET /readyz` (the database answers
//! within a second and holds every migration this binary knows; the secret key is loaded, which
//! a server without it never gets far enough to say). Both unauthenticated, cheap, and say no
//! more than `ok`, `ready` or `not ready`: nothing that helps an attacker.

use std::time::Duration;

use app::context::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub const HEALTHZ_PATH: &str = "/healthz";
pub const READYZ_PATH: &str = "/readyz";

/// Whether `path` is one of the probes.
pub fn is_probe(path: &str) -> bool {
    path == HEALTHZ_PATH || path == READYZ_PATH
}

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

pub async fn healthz() -> Response {
    plain(StatusCode::OK, "ok")
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, migrated(&state.db)).await {
        Ok(Ok(true)) => plain(StatusCode::OK, "ready"),
        Ok(Ok(false)) => {
            tracing::warn!("not ready: the database lacks migrations this binary has");
            plain(StatusCode::SERVICE_UNAVAILABLE, "not ready")
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database did not answer");
            plain(StatusCode::SERVICE_UNAVAILABLE, "not ready")
        }
        Err(_) => {
            tracing::warn!("not ready: the database took longer than {READY_TIMEOUT:?}");
            plain(StatusCode::SERVICE_UNAVAILABLE, "not ready")
        }
    }
}

/// Whether every migration of this binary is applied.
async fn migrated(db: &sqlx::AnyPool) -> Result<bool, sqlx::Error> {
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(db)
            .await?;
    Ok(applied >= i64::try_from(crate::db::MIGRATOR.iter().count()).unwrap_or(i64::MAX))
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        text,
    )
        .into_response()
}
