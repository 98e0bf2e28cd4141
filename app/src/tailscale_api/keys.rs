//! (ssr) Keys, as Tailscale's API v2 has them: the tailnet's API access tokens listed (never a
//! secret), created (`keyType: "api"`; the secret only in that answer), read and revoked. The
//! same storage and audit events as the "Keys" page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::ApiCaller;
use super::error::ApiError;
use super::model::{ApiTokenSummary, MAX_DESCRIPTION_CHARS, MAX_EXPIRY_DAYS};
use super::tokens::{self, DAY_SECS};
use crate::context::{AppState, now};
use crate::error::AppError;
use crate::format::utc_timestamp;
use crate::roles::Permission;

fn key_json(token: &ApiTokenSummary, user_id: Option<i64>) -> Value {
    let mut key = json!({
        "id": token.id,
        "keyType": "api",
        "description": token.description,
        "created": utc_timestamp(token.created_at),
        "expires": utc_timestamp(token.expires_at),
        "expirySeconds": token.expires_at - token.created_at,
    });
    if let Some(revoked) = token.revoked_at {
        key["revoked"] = json!(utc_timestamp(revoked));
    }
    if let Some(user_id) = user_id {
        key["userId"] = json!(user_id.to_string());
    }
    key
}

/// `GET /api/v2/tailnet/{tailnet}/keys` → `{"keys": […]}`: live tokens and those that ended
/// in the last 30 days.
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ManageApiTokens)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let summaries = tokens::list(&mut conn, &caller.tailnet, now()).await?;
    let keys: Vec<Value> = summaries.iter().map(|t| key_json(t, None)).collect();
    Ok(Json(json!({ "keys": keys })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewKey {
    #[serde(default)]
    key_type: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    expiry_seconds: Option<i64>,
}

/// `POST /api/v2/tailnet/{tailnet}/keys` with `{"keyType": "api", "description", "expirySeconds"}`.
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ManageApiTokens)?;
    let new: NewKey = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body must be a key object: {e}")))?;
    match new.key_type.as_deref() {
        Some("api") => {}
        Some("client") => {
            return Err(ApiError::bad_request(
                "OAuth clients are not available in Gatehouse yet; create an API access token (keyType \"api\")",
            ));
        }
        _ => {
            return Err(ApiError::bad_request(
                "keyType must be \"api\" (auth keys for devices belong to the coordination server)",
            ));
        }
    }
    let lifetime = new.expiry_seconds.unwrap_or(MAX_EXPIRY_DAYS * DAY_SECS);
    if !(DAY_SECS..=MAX_EXPIRY_DAYS * DAY_SECS).contains(&lifetime) {
        return Err(ApiError::bad_request(format!(
            "expirySeconds must be between {DAY_SECS} (a day) and {} ({MAX_EXPIRY_DAYS} days)",
            MAX_EXPIRY_DAYS * DAY_SECS
        )));
    }
    let description = new.description.unwrap_or_default();
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS
        || description.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(format!(
            "description is one line of at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    let generated = tokens::generate(
        &state.db,
        &caller.actor,
        &caller.tailnet,
        description,
        lifetime,
        now(),
    )
    .await?;
    let mut key = key_json(&generated.token, None);
    key["key"] = json!(generated.secret);
    Ok(Json(key))
}

/// `GET /api/v2/tailnet/{tailnet}/keys/{id}`.
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((tailnet, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ManageApiTokens)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let (token, user_id) = tokens::find(&mut conn, &caller.tailnet, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("key"))?;
    Ok(Json(key_json(&token, user_id)))
}

/// `DELETE /api/v2/tailnet/{tailnet}/keys/{id}`: revokes it at once.
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((tailnet, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ManageApiTokens)?;
    tokens::revoke(&state.db, &caller.actor, &caller.tailnet, &id, now()).await?;
    Ok(StatusCode::OK.into_response())
}
