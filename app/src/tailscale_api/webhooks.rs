//! (ssr) Webhooks, as Tailscale's API v2 has them: list and create a tailnet's endpoints, and
//! read, change (subscriptions), delete, test and rotate one by id. The same rules, storage and
//! audit events as the "Webhooks" page. The secret appears only in the answers to create and
//! rotate. An OAuth client needs `webhooks:read` to read and `webhooks` for everything else.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};

use super::auth::ApiCaller;
use super::error::{ApiError, ErrorBody};
use crate::context::{AppState, now};
use crate::delegation::Scope;
use crate::error::AppError;
use crate::format::utc_timestamp;
use crate::roles::Permission;
use crate::webhooks::endpoints::{self, check_new_endpoint, check_subscriptions};
use crate::webhooks::model::{
    EndpointSecret, EventType, NewEndpoint, ProviderType, WebhookEndpoint,
};

/// An endpoint in Tailscale's shape.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub endpoint_id: String,
    pub endpoint_url: String,
    /// `""` (Tailscale's own JSON), `slack`, `mattermost`, `googlechat` or `discord`.
    pub provider_type: String,
    /// Who added it: an email, or the OAuth client that did.
    pub creator_login_name: String,
    pub created: String,
    pub last_modified: String,
    pub subscriptions: Vec<String>,
    /// The signing secret: only in the answers to create and rotate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<WebhookEndpoint> for Webhook {
    fn from(endpoint: WebhookEndpoint) -> Self {
        Self {
            endpoint_id: endpoint.id,
            endpoint_url: endpoint.url,
            provider_type: endpoint.provider.as_str().to_owned(),
            creator_login_name: endpoint.created_by,
            created: utc_timestamp(endpoint.created_at),
            last_modified: utc_timestamp(endpoint.last_modified_at),
            subscriptions: endpoint
                .subscriptions
                .iter()
                .map(|event| event.as_str().to_owned())
                .collect(),
            secret: None,
        }
    }
}

impl From<EndpointSecret> for Webhook {
    fn from(made: EndpointSecret) -> Self {
        Self {
            secret: Some(made.secret),
            ..Self::from(made.endpoint)
        }
    }
}

/// The list's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// What creating an endpoint sends.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewWebhook {
    pub endpoint_url: String,
    /// Omitted or `""` for Tailscale's own JSON.
    #[serde(default)]
    pub provider_type: Option<String>,
    pub subscriptions: Vec<String>,
}

/// What changing an endpoint sends: its subscriptions (the URL and format are fixed).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct WebhookChange {
    pub subscriptions: Vec<String>,
}

fn parse_subscriptions(names: &[String]) -> Result<Vec<EventType>, ApiError> {
    let events = names
        .iter()
        .map(|name| {
            EventType::parse(name).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "subscriptions: Gatehouse has no event \"{name}\" (it has {})",
                    EventType::ALL.map(EventType::as_str).join(", ")
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_subscriptions(&events)
        .map_err(|problem| ApiError::bad_request(format!("subscriptions: {problem}")))
}

fn body_of<T: serde::de::DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the body must be {what}: {e}")))
}

/// The endpoint `id` of the caller's tailnet; another tailnet's is as unknown as a missing one.
async fn endpoint_of(
    state: &AppState,
    caller: &ApiCaller,
    id: &str,
) -> Result<WebhookEndpoint, ApiError> {
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    endpoints::find(&mut conn, &caller.tailnet, id)
        .await
        .map_err(|_| ApiError::not_found("webhook"))
}

/// `GET /api/v2/tailnet/{tailnet}/webhooks` → `{"webhooks": […]}`, never a secret.
#[utoipa::path(get, path = "/tailnet/{tailnet}/webhooks", tag = "webhooks", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), responses((status = 200, description = "The tailnet's webhook endpoints", body = WebhookList), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
) -> Result<Json<WebhookList>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ViewWebhooks, Scope::WebhooksRead)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let webhooks = endpoints::list(&mut conn, &caller.tailnet).await?;
    Ok(Json(WebhookList {
        webhooks: webhooks.into_iter().map(Webhook::from).collect(),
    }))
}

/// `POST /api/v2/tailnet/{tailnet}/webhooks` with `{"endpointUrl", "providerType",
/// "subscriptions"}` → the endpoint with its secret.
#[utoipa::path(post, path = "/tailnet/{tailnet}/webhooks", tag = "webhooks", params(("tailnet" = String, Path, description = "`-`, the tailnet's id or its name")), request_body = NewWebhook, responses((status = 200, description = "The endpoint, with its signing secret this once", body = Webhook), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(tailnet): Path<String>,
    body: Bytes,
) -> Result<Json<Webhook>, ApiError> {
    caller.check_tailnet(&tailnet)?;
    caller.require(Permission::ManageWebhooks, Scope::Webhooks)?;
    let new: NewWebhook = body_of(&body, "a webhook object")?;
    let provider_name = new.provider_type.unwrap_or_default();
    let provider = ProviderType::parse(&provider_name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "providerType \"{provider_name}\" is not one of \"\", slack, mattermost, googlechat, discord"
        ))
    })?;
    let endpoint = NewEndpoint {
        tailnet: caller.tailnet.clone(),
        url: new.endpoint_url,
        provider,
        subscriptions: parse_subscriptions(&new.subscriptions)?,
    };
    let valid = check_new_endpoint(&endpoint, state.settings.webhook_allow_private).await?;
    let key = &state.settings.link_key;
    let made = endpoints::add(&state.db, key, &caller.actor, &caller.tailnet, valid, now()).await?;
    Ok(Json(Webhook::from(made)))
}

/// `GET /api/v2/webhooks/{endpointId}`.
#[utoipa::path(get, path = "/webhooks/{endpointId}", tag = "webhooks", params(("endpointId" = String, Path, description = "The endpoint's id")), responses((status = 200, description = "The endpoint", body = Webhook), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Webhook>, ApiError> {
    caller.require(Permission::ViewWebhooks, Scope::WebhooksRead)?;
    Ok(Json(Webhook::from(
        endpoint_of(&state, &caller, &id).await?,
    )))
}

/// `PATCH /api/v2/webhooks/{endpointId}` with `{"subscriptions": […]}`.
#[utoipa::path(patch, path = "/webhooks/{endpointId}", tag = "webhooks", params(("endpointId" = String, Path, description = "The endpoint's id")), request_body = WebhookChange, responses((status = 200, description = "The endpoint as changed", body = Webhook), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Webhook>, ApiError> {
    caller.require(Permission::ManageWebhooks, Scope::Webhooks)?;
    let change: WebhookChange = body_of(&body, "{\"subscriptions\": [...]}")?;
    let subscriptions = parse_subscriptions(&change.subscriptions)?;
    let (db, actor, tailnet) = (&state.db, &caller.actor, &caller.tailnet);
    let changed =
        endpoints::update_subscriptions(db, actor, tailnet, &id, subscriptions, now()).await?;
    Ok(Json(Webhook::from(changed)))
}

/// `DELETE /api/v2/webhooks/{endpointId}`.
#[utoipa::path(delete, path = "/webhooks/{endpointId}", tag = "webhooks", params(("endpointId" = String, Path, description = "The endpoint's id")), responses((status = 200, description = "Deleted"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageWebhooks, Scope::Webhooks)?;
    endpoints::delete(&state.db, &caller.actor, &caller.tailnet, &id, now()).await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /api/v2/webhooks/{endpointId}/test`: queues a `test` event → 202.
#[utoipa::path(post, path = "/webhooks/{endpointId}/test", tag = "webhooks", params(("endpointId" = String, Path, description = "The endpoint's id")), responses((status = 202, description = "A test event is on its way"), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn test(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ManageWebhooks, Scope::Webhooks)?;
    crate::webhooks::deliveries::send_test(&state.db, &caller.actor, &caller.tailnet, &id, now())
        .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `POST /api/v2/webhooks/{endpointId}/rotate` → the endpoint with its new secret.
#[utoipa::path(post, path = "/webhooks/{endpointId}/rotate", tag = "webhooks", params(("endpointId" = String, Path, description = "The endpoint's id")), responses((status = 200, description = "The endpoint, with its new signing secret this once", body = Webhook), (status = "4XX", description = "A JSON error", body = ErrorBody)), security(("token" = [])))]
pub async fn rotate(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Webhook>, ApiError> {
    caller.require(Permission::ManageWebhooks, Scope::Webhooks)?;
    let key = &state.settings.link_key;
    let rotated =
        endpoints::rotate_secret(&state.db, key, &caller.actor, &caller.tailnet, &id, now())
            .await?;
    Ok(Json(Webhook::from(rotated)))
}
