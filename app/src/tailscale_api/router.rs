//! (ssr) The `/api/v2` routes. Anything else under `/api/v2` is a JSON 404, a wrong method a
//! JSON 405: no HTML page or Leptos error ever answers here.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{any, get, post};

use super::error::ApiError;
use super::{invites, keys, logs, settings, users};
use crate::context::AppState;

/// Where the API lives.
pub const API_V2_PREFIX: &str = "/api/v2";

/// The routes, to be nested at [`API_V2_PREFIX`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/tailnet/{tailnet}/user-invites",
            get(invites::list).post(invites::create),
        )
        .route(
            "/user-invites/{id}",
            get(invites::get).delete(invites::delete),
        )
        .route("/user-invites/{id}/resend", post(invites::resend))
        .route("/tailnet/{tailnet}/users", get(users::list))
        .route("/users/{id}", get(users::get))
        .route("/users/{id}/role", post(users::set_role))
        .route("/users/{id}/{action}", post(users::act))
        .route(
            "/tailnet/{tailnet}/keys",
            get(keys::list).post(keys::create),
        )
        .route(
            "/tailnet/{tailnet}/keys/{id}",
            get(keys::get).delete(keys::delete),
        )
        .route(
            "/tailnet/{tailnet}/logging/configuration",
            get(logs::configuration),
        )
        .route(
            "/tailnet/{tailnet}/settings",
            get(settings::get).patch(settings::patch),
        )
        // Claims the rest of /api/v2, which the console's `/api/{fn}` would otherwise take.
        .route("/{*rest}", any(not_found))
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not found")
}
