//! (ssr) The rules and storage behind the "Webhooks" page and the API's webhook routes: what a
//! valid endpoint is, and adding one, changing its subscriptions, rotating its secret, sending
//! it a test event, deleting it and retrying a delivery by hand, each in one transaction with
//! its audit event. The actor's right is read again inside the transaction.

use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

use super::address::{check_destination, check_url};
use super::model::{
    EndpointSecret, EventType, MAX_ENDPOINTS, NewEndpoint, ProviderType, WebhookEndpoint,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_role;
use crate::error::{AppError, FieldError};
use crate::ids::TailnetId;
use crate::roles::Permission;
use crate::secrets::{LinkKey, random_token};
use crate::sql::begin_write;

/// An endpoint as validated, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEndpoint {
    pub url: String,
    pub provider: ProviderType,
    pub subscriptions: Vec<EventType>,
}

/// Subscriptions in the form's order, without repeats; at least one.
pub fn check_subscriptions(subscriptions: &[EventType]) -> Result<Vec<EventType>, String> {
    let kept: Vec<EventType> = EventType::ALL
        .into_iter()
        .filter(|event| subscriptions.contains(event))
        .collect();
    if kept.is_empty() {
        return Err("Choose at least one event.".to_owned());
    }
    Ok(kept)
}

/// Checks "Add endpoint", naming the field of each problem. The URL's host is resolved: an
/// address that is not public is refused unless `allow_private`.
pub async fn check_new_endpoint(
    new: &NewEndpoint,
    allow_private: bool,
) -> Result<ValidEndpoint, AppError> {
    let mut errors = Vec::new();
    let url = match check_url(&new.url) {
        Ok(url) => match check_destination(&url, allow_private).await {
            Ok(()) => Some(url.to_string()),
            Err(problem) => {
                errors.push(FieldError::new("url", problem));
                None
            }
        },
        Err(problem) => {
            errors.push(FieldError::new("url", problem));
            None
        }
    };
    let subscriptions = check_subscriptions(&new.subscriptions)
        .map_err(|problem| errors.push(FieldError::new("subscriptions", problem)))
        .ok();
    match (url, subscriptions) {
        (Some(url), Some(subscriptions)) => Ok(ValidEndpoint {
            url,
            provider: new.provider,
            subscriptions,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

/// The associated data an endpoint's sealed secret is bound to, so it opens only on its row.
fn seal_context(id: &str) -> String {
    format!("webhook-secret:{id}")
}

/// Opens an endpoint's signing secret.
pub fn open_secret(link_key: &LinkKey, id: &str, sealed: &str) -> Result<String, AppError> {
    link_key
        .open_text(sealed, &seal_context(id))
        .map_err(|_| AppError::internal(format!("webhook {id}: the secret does not open")))
}

type EndpointRow = (String, String, String, String, String, i64, i64);

/// The columns of an [`EndpointRow`], in its order.
macro_rules! endpoint_columns {
    () => {
        "id, url, provider_type, subscriptions, created_by, created_at, last_modified_at"
    };
}

fn endpoint_of(row: EndpointRow) -> Result<WebhookEndpoint, AppError> {
    let (id, url, provider, subscriptions, created_by, created_at, last_modified_at) = row;
    let provider = ProviderType::parse(&provider)
        .ok_or_else(|| AppError::internal(format!("webhook {id}: provider {provider}")))?;
    let subscriptions: Vec<EventType> = serde_json::from_str(&subscriptions)
        .map_err(|_| AppError::internal(format!("webhook {id}: subscriptions")))?;
    Ok(WebhookEndpoint {
        id,
        url,
        provider,
        subscriptions,
        created_by,
        created_at,
        last_modified_at,
    })
}

/// The tailnet's endpoints, oldest first.
pub async fn list(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
) -> Result<Vec<WebhookEndpoint>, AppError> {
    let rows: Vec<EndpointRow> = sqlx::query_as(concat!(
        "SELECT ",
        endpoint_columns!(),
        " FROM webhook_endpoints WHERE tailnet_id = $1 ORDER BY created_at, id"
    ))
    .bind(tailnet.as_str())
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(endpoint_of).collect()
}

/// One endpoint of the tailnet; another tailnet's endpoint is as unknown as a missing one.
pub async fn find(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    id: &str,
) -> Result<WebhookEndpoint, AppError> {
    let row: Option<EndpointRow> = sqlx::query_as(concat!(
        "SELECT ",
        endpoint_columns!(),
        " FROM webhook_endpoints WHERE tailnet_id = $1 AND id = $2"
    ))
    .bind(tailnet.as_str())
    .bind(id)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => endpoint_of(row),
        None => Err(AppError::NotFound(
            "That webhook endpoint does not exist (it may have been deleted).".to_owned(),
        )),
    }
}

/// The first statements of a change to one endpoint: the actor's right, read and locked in
/// the change's transaction, then the endpoint (404 when it is not the tailnet's).
pub async fn lock_endpoint(
    conn: &mut AnyConnection,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
) -> Result<WebhookEndpoint, AppError> {
    lock_actor_role(conn, tailnet, actor, Permission::ManageWebhooks).await?;
    find(conn, tailnet, id).await
}

/// What the audit log keeps of an endpoint: everything but its secret.
fn logged(endpoint: &WebhookEndpoint) -> Option<String> {
    Some(
        json!({
            "url": endpoint.url,
            "provider_type": endpoint.provider.as_str(),
            "subscriptions": endpoint.subscriptions,
        })
        .to_string(),
    )
}

/// A new signing secret: 256 random bits.
fn new_secret() -> String {
    random_token(32)
}

/// "Add endpoint": returns the endpoint and its signing secret, shown this once.
pub async fn add(
    db: &AnyPool,
    link_key: &LinkKey,
    actor: &Actor,
    tailnet: &TailnetId,
    valid: ValidEndpoint,
    now: i64,
) -> Result<EndpointSecret, AppError> {
    let endpoint = WebhookEndpoint {
        id: format!("w{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
        url: valid.url,
        provider: valid.provider,
        subscriptions: valid.subscriptions,
        created_by: actor.created_by(),
        created_at: now,
        last_modified_at: now,
    };
    let secret = new_secret();
    let mut tx = begin_write(db).await?;
    lock_actor_role(&mut tx, tailnet, actor, Permission::ManageWebhooks).await?;
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE tailnet_id = $1")
            .bind(tailnet.as_str())
            .fetch_one(&mut *tx)
            .await?;
    if count >= i64::try_from(MAX_ENDPOINTS).unwrap_or(i64::MAX) {
        return Err(AppError::Conflict(format!(
            "A tailnet has at most {MAX_ENDPOINTS} webhook endpoints. Delete one first."
        )));
    }
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, tailnet_id, url, provider_type, subscriptions, \
             secret_sealed, created_by, created_at, last_modified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&endpoint.id)
    .bind(tailnet.as_str())
    .bind(&endpoint.url)
    .bind(endpoint.provider.as_str())
    .bind(json!(endpoint.subscriptions).to_string())
    .bind(link_key.seal_text(&secret, &seal_context(&endpoint.id)))
    .bind(&endpoint.created_by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::WebhookEndpointCreate,
            Target::webhook_endpoint(&endpoint.id, &endpoint.url),
            None,
            logged(&endpoint),
        )
        .await?;
    tx.commit().await?;
    Ok(EndpointSecret { endpoint, secret })
}

/// Changes which events an endpoint receives (the API's `PATCH /webhooks/{id}`).
pub async fn update_subscriptions(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
    subscriptions: Vec<EventType>,
    now: i64,
) -> Result<WebhookEndpoint, AppError> {
    let mut tx = begin_write(db).await?;
    let before = lock_endpoint(&mut tx, actor, tailnet, id).await?;
    let after = WebhookEndpoint {
        subscriptions,
        last_modified_at: now,
        ..before.clone()
    };
    sqlx::query(
        "UPDATE webhook_endpoints SET subscriptions = $1, last_modified_at = $2 WHERE id = $3",
    )
    .bind(json!(after.subscriptions).to_string())
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::WebhookEndpointUpdate,
            Target::webhook_endpoint(id, &before.url).with_property("subscriptions"),
            Some(json!(before.subscriptions).to_string()),
            Some(json!(after.subscriptions).to_string()),
        )
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// "Rotate secret": the old secret stops signing at once; the new one is returned this once.
pub async fn rotate_secret(
    db: &AnyPool,
    link_key: &LinkKey,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
    now: i64,
) -> Result<EndpointSecret, AppError> {
    let secret = new_secret();
    let mut tx = begin_write(db).await?;
    let mut endpoint = lock_endpoint(&mut tx, actor, tailnet, id).await?;
    endpoint.last_modified_at = now;
    sqlx::query(
        "UPDATE webhook_endpoints SET secret_sealed = $1, last_modified_at = $2 WHERE id = $3",
    )
    .bind(link_key.seal_text(&secret, &seal_context(id)))
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::WebhookEndpointRotateSecret,
            Target::webhook_endpoint(id, &endpoint.url).with_property("secret"),
            None,
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(EndpointSecret { endpoint, secret })
}

/// "Delete": the endpoint and its undelivered events are gone.
pub async fn delete(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    let endpoint = lock_endpoint(&mut tx, actor, tailnet, id).await?;
    // Its deliveries go with it (ON DELETE CASCADE).
    sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::WebhookEndpointDelete,
            Target::webhook_endpoint(id, &endpoint.url),
            logged(&endpoint),
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}
