//! (ssr) Keys, as Tailscale's API v2 has them: the tailnet's API access tokens (`keyType:
//! "api"`) and OAuth clients (`"client"`) listed (never a secret), created (the secret only in
//! that answer), read and revoked. The same storage and audit events as the "Keys" page. An
//! OAuth client's token sees the kinds its scopes name (`api_access_tokens`, `oauth_keys`)
//! and may always read itself.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use super::model::{
    ApiTokenSummary, MAX_EXPIRY_DAYS, OauthClientSummary, check_description, lifetime_allowed,
};
use super::oauth_clients;
use super::tokens::{self, DAY_SECS};
use crate::context::{AppState, now};
use crate::delegation::{Scope, Scopes};
use crate::error::AppError;
use crate::format::utc_timestamp;
use crate::roles::Permission;

/// A key in Tailscale's shape.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Key {
    pub id: String,
    /// `api` (an API access token) or `client` (an OAuth client).
    pub key_type: String,
    pub description: String,
    pub created: String,
    /// When it stops working; an OAuth client does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// An OAuth client's (or its token's) scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
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

fn scope_names(scopes: &Scopes) -> Vec<String> {
    scopes
        .iter()
        .map(|scope| scope.as_str().to_owned())
        .collect()
}

fn token_key(token: &ApiTokenSummary, user_id: Option<i64>) -> Key {
    Key {
        id: token.id.clone(),
        key_type: "api".to_owned(),
        description: token.description.clone(),
        created: utc_timestamp(token.created_at),
        expires: Some(utc_timestamp(token.expires_at)),
        expiry_seconds: Some(token.expires_at - token.created_at),
        revoked: token.revoked_at.map(utc_timestamp),
        scopes: None,
        user_id: user_id.map(|id| id.to_string()),
        key: None,
    }
}

fn client_key(client: &OauthClientSummary) -> Key {
    Key {
        id: client.id.clone(),
        key_type: "client".to_owned(),
        description: client.description.clone(),
        created: utc_timestamp(client.created_at),
        expires: None,
        expiry_seconds: None,
        revoked: client.revoked_at.map(utc_timestamp),
        scopes: Some(scope_names(&client.scopes)),
        user_id: None,
        key: None,
    }
}

/// Which kinds of key the caller may see: a person every kind, an OAuth client those its
/// scopes name; 403 when none.
fn visible_kinds(caller: &ApiCaller) -> Result<(bool, bool), ApiError> {
    let tokens = caller.may(Permission::ManageApiTokens, Scope::ApiAccessTokensRead);
    let clients = caller.may(Permission::ManageApiTokens, Scope::OauthKeysRead);
    if tokens || clients {
        Ok((tokens, clients))
    } else {
        caller.require(Permission::ManageApiTokens, Scope::ApiAccessTokensRead)?;
        Err(ApiError::from(AppError::Forbidden))
    }
}

/// `GET /api/v2/tailnet/{tailnet}/keys` → `{"keys": […]}`: live keys and those that ended in
/// the last 30 days.
#[utoipa::path(get, path = "/tailnet/{tailnet}/keys", tag = "keys", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), responses((status = 200, description = "The tailnet's keys, never a secret", body = KeyList), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
) -> Result<Json<KeyList>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    let (show_tokens, show_clients) = visible_kinds(&caller)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let now = now();
    let mut keys = Vec::new();
    if show_tokens {
        let summaries = tokens::list(&mut conn, &caller.tailnet, now).await?;
        keys.extend(summaries.iter().map(|t| token_key(t, None)));
    }
    if show_clients {
        let clients = oauth_clients::list(&mut conn, &caller.tailnet, now).await?;
        keys.extend(clients.iter().map(client_key));
    }
    Ok(Json(KeyList { keys }))
}

/// A key to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    /// `api` (an API access token) or `client` (an OAuth client).
    #[serde(default)]
    pub key_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// An API access token's life: a day to 90 days; 90 days when absent.
    #[serde(default)]
    pub expiry_seconds: Option<i64>,
    /// An OAuth client's scopes.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// `POST /api/v2/tailnet/{tailnet}/keys` with `{"keyType": "api", "description",
/// "expirySeconds"}` or `{"keyType": "client", "description", "scopes"}`.
#[utoipa::path(post, path = "/tailnet/{tailnet}/keys", tag = "keys", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), request_body = NewKey, responses((status = 200, description = "The key, with its secret this once", body = Key), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
    body: Bytes,
) -> Result<Json<Key>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require_role(Permission::ManageApiTokens)?;
    let new: NewKey = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body must be a key object: {e}")))?;
    let description = check_description(new.description.as_deref().unwrap_or_default())
        .map_err(|problem| ApiError::bad_request(format!("description: {problem}")))?;
    match new.key_type.as_deref() {
        Some("api") => create_token(&state, &caller, &description, new.expiry_seconds).await,
        Some("client") => create_client(&state, &caller, &description, new.scopes).await,
        _ => Err(ApiError::bad_request(
            "keyType must be \"api\" or \"client\" (auth keys for devices belong to the coordination server)",
        )),
    }
}

async fn create_token(
    state: &AppState,
    caller: &ApiCaller,
    description: &str,
    expiry_seconds: Option<i64>,
) -> Result<Json<Key>, ApiError> {
    caller.require_person(Permission::ManageApiTokens)?;
    let lifetime = expiry_seconds.unwrap_or(MAX_EXPIRY_DAYS * DAY_SECS);
    if !lifetime_allowed(lifetime) {
        return Err(ApiError::bad_request(format!(
            "expirySeconds must be between {DAY_SECS} (a day) and {} ({MAX_EXPIRY_DAYS} days)",
            MAX_EXPIRY_DAYS * DAY_SECS
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
    let mut key = token_key(&generated.token, None);
    key.key = Some(generated.secret);
    Ok(Json(key))
}

async fn create_client(
    state: &AppState,
    caller: &ApiCaller,
    description: &str,
    scopes: Option<Vec<String>>,
) -> Result<Json<Key>, ApiError> {
    caller.require(Permission::ManageApiTokens, Scope::OauthKeys)?;
    let scopes = Scopes::parse(&scopes.unwrap_or_default().join(" "))
        .map_err(|problem| ApiError::bad_request(format!("scopes: {problem}")))?;
    let generated = oauth_clients::generate(
        &state.db,
        &caller.actor,
        &caller.tailnet,
        description,
        &scopes,
        now(),
    )
    .await?;
    let mut key = client_key(&generated.client);
    key.key = Some(generated.secret);
    Ok(Json(key))
}

/// A key of the tailnet by id, of either kind.
enum FoundKey {
    Token(ApiTokenSummary, Option<i64>),
    Client(OauthClientSummary),
}

impl FoundKey {
    /// The scope an OAuth client needs to read (`write: false`) or revoke it.
    fn scope(&self, write: bool) -> Scope {
        match (self, write) {
            (FoundKey::Token(..), false) => Scope::ApiAccessTokensRead,
            (FoundKey::Token(..), true) => Scope::ApiAccessTokens,
            (FoundKey::Client(_), false) => Scope::OauthKeysRead,
            (FoundKey::Client(_), true) => Scope::OauthKeys,
        }
    }
}

async fn find_key(state: &AppState, caller: &ApiCaller, id: &str) -> Result<FoundKey, ApiError> {
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    if let Some((token, user_id)) = tokens::find(&mut conn, &caller.tailnet, id).await? {
        return Ok(FoundKey::Token(token, user_id));
    }
    oauth_clients::find(&mut conn, &caller.tailnet, id)
        .await?
        .map(FoundKey::Client)
        .ok_or_else(|| ApiError::not_found("key"))
}

/// `GET /api/v2/tailnet/{tailnet}/keys/{id}`.
#[utoipa::path(get, path = "/tailnet/{tailnet}/keys/{id}", tag = "keys", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name"), ("id" = String, Path, description = "The key's id")), responses((status = 200, description = "The key", body = Key), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((tailnet, id)): Path<(String, String)>,
) -> Result<Json<Key>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    if caller.is_client() && id == caller.token_id {
        return own_token(&state, &caller).await;
    }
    caller.require_role(Permission::ManageApiTokens)?;
    let found = find_key(&state, &caller, &id).await?;
    caller.require(Permission::ManageApiTokens, found.scope(false))?;
    Ok(Json(match &found {
        FoundKey::Token(token, user_id) => token_key(token, *user_id),
        FoundKey::Client(client) => client_key(client),
    }))
}

/// An OAuth client's token reading itself, which every scope allows.
async fn own_token(state: &AppState, caller: &ApiCaller) -> Result<Json<Key>, ApiError> {
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let (created, expires, scopes) = oauth_clients::find_token(&mut conn, &caller.token_id)
        .await?
        .ok_or_else(|| ApiError::not_found("key"))?;
    Ok(Json(Key {
        id: caller.token_id.clone(),
        key_type: "api".to_owned(),
        description: caller.actor.display_name.clone(),
        created: utc_timestamp(created),
        expires: Some(utc_timestamp(expires)),
        expiry_seconds: Some(expires - created),
        revoked: None,
        scopes: Some(scope_names(&scopes)),
        user_id: None,
        key: None,
    }))
}

/// `DELETE /api/v2/tailnet/{tailnet}/keys/{id}`: revokes it at once (an OAuth client with
/// every token it was given).
#[utoipa::path(delete, path = "/tailnet/{tailnet}/keys/{id}", tag = "keys", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name"), ("id" = String, Path, description = "The key's id")), responses((status = 200, description = "Revoked"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((tailnet, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require_role(Permission::ManageApiTokens)?;
    let found = find_key(&state, &caller, &id).await?;
    caller.require(Permission::ManageApiTokens, found.scope(true))?;
    let (db, actor, tailnet, now) = (&state.db, &caller.actor, &caller.tailnet, now());
    match found {
        FoundKey::Token(..) => tokens::revoke(db, actor, tailnet, &id, now).await?,
        FoundKey::Client(_) => oauth_clients::revoke(db, actor, tailnet, &id, now).await?,
    }
    Ok(StatusCode::OK.into_response())
}
