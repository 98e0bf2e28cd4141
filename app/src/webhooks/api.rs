//! Server functions of the "Webhooks" page. Every admin role reads it; Owner, Admin, IT admin
//! and Network admin add endpoints, send test events, rotate secrets, delete endpoints and
//! retry failed deliveries (the rules in `endpoints` check the role again in the transaction).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{EndpointSecret, NewEndpoint, WebhooksPage};
use crate::error::AppError;
use crate::ids::TailnetId;

/// The page: the endpoints with their recent deliveries, and whether the viewer manages them.
#[server(prefix = "/api", endpoint = "list_webhooks", input = Json)]
pub async fn list_webhooks(tailnet: TailnetId) -> Result<WebhooksPage, AppError> {
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (_, role) = require(&state, &tailnet, Permission::ViewWebhooks).await?;
        let mut conn = state.db.acquire().await?;
        Ok(WebhooksPage {
            endpoints: super::deliveries::with_deliveries(&mut conn, &tailnet).await?,
            manages: role.can(Permission::ManageWebhooks),
        })
    })
    .await
}

/// "Add endpoint": returns the endpoint and its signing secret (shown once).
#[server(prefix = "/api", endpoint = "add_webhook_endpoint", input = Json)]
pub async fn add_webhook_endpoint(endpoint: NewEndpoint) -> Result<EndpointSecret, AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &endpoint.tailnet, Permission::ManageWebhooks).await?;
        let allow_private = state.settings.webhook_allow_private;
        let valid = super::endpoints::check_new_endpoint(&endpoint, allow_private).await?;
        let key = &state.settings.link_key;
        super::endpoints::add(&state.db, key, &actor, &endpoint.tailnet, valid, now()).await
    })
    .await
}

/// "Rotate secret": returns the new secret (shown once); the old one no longer signs.
#[server(prefix = "/api", endpoint = "rotate_webhook_secret", input = Json)]
pub async fn rotate_webhook_secret(
    tailnet: TailnetId,
    endpoint: String,
) -> Result<EndpointSecret, AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageWebhooks).await?;
        let key = &state.settings.link_key;
        super::endpoints::rotate_secret(&state.db, key, &actor, &tailnet, &endpoint, now()).await
    })
    .await
}

/// "Test endpoint": queues a `test` event; the deliveries list shows how it went.
#[server(prefix = "/api", endpoint = "test_webhook_endpoint", input = Json)]
pub async fn test_webhook_endpoint(tailnet: TailnetId, endpoint: String) -> Result<(), AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageWebhooks).await?;
        super::deliveries::send_test(&state.db, &actor, &tailnet, &endpoint, now()).await
    })
    .await
}

/// "Delete": the endpoint receives nothing more.
#[server(prefix = "/api", endpoint = "delete_webhook_endpoint", input = Json)]
pub async fn delete_webhook_endpoint(tailnet: TailnetId, endpoint: String) -> Result<(), AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageWebhooks).await?;
        super::endpoints::delete(&state.db, &actor, &tailnet, &endpoint, now()).await
    })
    .await
}

/// "Retry" on a failed delivery.
#[server(prefix = "/api", endpoint = "retry_webhook_delivery", input = Json)]
pub async fn retry_webhook_delivery(tailnet: TailnetId, delivery: String) -> Result<(), AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageWebhooks).await?;
        super::deliveries::retry(&state.db, &actor, &tailnet, &delivery, now()).await
    })
    .await
}
