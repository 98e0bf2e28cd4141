//! (ssr) Keys, as Tailscale's API v2 has them: the tailnet's API access tokens listed (never a
//! secret), created (`keyType: "api"`; the secret only in that answer), read and revoked. The
//! same storage and audit events as the "Keys" page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::model::{ApiTokenSummary, MAX_EXPIRY_DAYS, check_description};
use super::tokens::{self, DAY_SECS};
use crate::context::{AppState, now};
use crate::error::AppError;
use crate::format::utc_timestamp;
use crate::roles::Permission;

/// A key in Tailscale's shape (Gatehouse's keys are API access tokens).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    pub id: String,
    /// Always `api`.
    pub key_type: String,
    pub description: String,
    pub created: String,
    pub expires: String,
    pub expiry_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// The creator's user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The secret: only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// The list's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyList {
    pub keys: Vec<Key>,
}

fn key_of(token: &ApiTokenSummary, user_id: Option<i64>) -> Key {
    Key {
        id: token.id.clone(),
        key_type: "api".to_owned(),
        description: token.description.clone(),
        created: utc_timestamp(token.created_at),
        expires: utc_timestamp(token.expires_at),
        expiry_seconds: token.expires_at - token.created_at,
        revoked: token.revoked_at.map(utc_timestamp),
        user_id: user_id.map(|id| id.to_string()),
        key: None,
    }
}

/// `GET /api/v2/tailnet/{tailnet}/keys` → `{"keys": […]}`: live tokens and those that ended
/// in the last 30 days.
#[utoipa::path(get, path = "/tailnet/{tailnet}/keys", tag = "keys", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), responses((status = 200, description = "The tailnet's keys, never a secret", body = KeyList), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
) -> Result<Json<KeyList>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ManageApiTokens)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let summaries = tokens::list(&mut conn, &caller.tailnet, now()).await?;
    let keys = summaries.iter().map(|t| key_of(t, None)).collect();
    Ok(Json(KeyList { keys }))
}

/// A key to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    /// `api` (an API access token).
    #[serde(default)]
    pub key_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// A day to 90 days; 90 days when absent.
    #[serde(default)]
    pub expiry_seconds: Option<i64>,
}

/// `POST /api/v2/tailnet/{tailnet}/keys` with `{"keyType": "api", "description", "expirySeconds"}`.
#[utoipa::path(post, path = "/tailnet/{tailnet}/keys", tag = "keys", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), request_body = NewKey, responses((status = 200, description = "The key, with its secret this once", body = Key), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
    body: Bytes,
) -> Result<Json<Key>, ApiError> {
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
    let description = check_description(&new.description.unwrap_or_default())
        .map_err(|problem| ApiError::bad_request(format!("description: {problem}")))?;
    let generated = tokens::generate(
        &state.db,
        &caller.actor,
        &caller.tailnet,
        &description,
        lifetime,
        now(),
    )
    .await?;
    let mut key = key_of(&generated.token, None);
    key.key = Some(generated.secret);
    Ok(Json(key))
}

/// `GET /api/v2/tailnet/{tailnet}/keys/{id}`.
#[utoipa::path(get, path = "/tailnet/{tailnet}/keys/{id}", tag = "keys", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name"), ("id" = String, Path, description = "The key's id")), responses((status = 200, description = "The key", body = Key), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((tailnet, id)): Path<(String, String)>,
) -> Result<Json<Key>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ManageApiTokens)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let (token, user_id) = tokens::find(&mut conn, &caller.tailnet, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("key"))?;
    Ok(Json(key_of(&token, user_id)))
}

/// `DELETE /api/v2/tailnet/{tailnet}/keys/{id}`: revokes it at once.
#[utoipa::path(delete, path = "/tailnet/{tailnet}/keys/{id}", tag = "keys", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name"), ("id" = String, Path, description = "The key's id")), responses((status = 200, description = "Revoked"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
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
