//! (ssr) An endpoint's deliveries: the recent ones the page lists, "Test endpoint" (which
//! queues a `test` event), "Retry" on a failed one, and removing old ones. The worker that
//! sends them is the server's (`server::webhooks`).

use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

use super::endpoints::{find, list, lock_endpoint};
use super::model::{
    Delivery, DeliveryState, EndpointWithDeliveries, GIVE_UP_AFTER_SECS, RECENT_DELIVERIES,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_role;
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::roles::Permission;
use crate::sql::begin_write;

/// Delivered and failed events are kept this long (for the page and troubleshooting).
pub const KEEP_FINISHED_SECS: i64 = 30 * 86_400;

type DeliveryRow = (
    String,
    String,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

/// The endpoints with their most recent deliveries, newest first.
pub async fn with_deliveries(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
) -> Result<Vec<EndpointWithDeliveries>, AppError> {
    let mut endpoints = Vec::new();
    for endpoint in list(conn, tailnet).await? {
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT id, event_type, created_at, state, attempts, last_status, last_error, \
                 next_attempt_at \
             FROM webhook_deliveries WHERE endpoint_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(&endpoint.id)
        .bind(i64::try_from(RECENT_DELIVERIES).unwrap_or(20))
        .fetch_all(&mut *conn)
        .await?;
        let deliveries = rows
            .into_iter()
            .map(
                |(id, event_type, created_at, state, attempts, status, error, next)| {
                    let state = DeliveryState::parse(&state).unwrap_or(DeliveryState::Failed);
                    Delivery {
                        id,
                        event_type,
                        created_at,
                        state,
                        attempts,
                        last_status: status,
                        last_error: error,
                        next_attempt_at: (state == DeliveryState::Pending).then_some(next),
                    }
                },
            )
            .collect();
        endpoints.push(EndpointWithDeliveries {
            endpoint,
            deliveries,
        });
    }
    Ok(endpoints)
}

/// "Test endpoint": queues a `test` event for the endpoint, delivered like any other.
pub async fn send_test(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    let endpoint = lock_endpoint(&mut tx, actor, tailnet, id).await?;
    super::events::queue_test(&mut tx, tailnet, &endpoint.id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// "Retry": a failed delivery is tried again now, and for another day.
pub async fn retry(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    delivery: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    lock_actor_role(&mut tx, tailnet, actor, Permission::ManageWebhooks).await?;
    let found: Option<(String, String, String)> = sqlx::query_as(
        "SELECT d.endpoint_id, d.event_type, d.state FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.id = $1 AND e.tailnet_id = $2",
    )
    .bind(delivery)
    .bind(tailnet.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((endpoint_id, event_type, state)) = found else {
        return Err(AppError::NotFound(
            "That delivery does not exist (its endpoint may have been deleted).".to_owned(),
        ));
    };
    if state != DeliveryState::Failed.as_str() {
        return Err(AppError::Conflict(
            "Only a failed delivery can be retried; this one is delivered or still being tried."
                .to_owned(),
        ));
    }
    let endpoint = find(&mut tx, tailnet, &endpoint_id).await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $1, next_attempt_at = $2, give_up_at = $3 \
         WHERE id = $4",
    )
    .bind(DeliveryState::Pending.as_str())
    .bind(now)
    .bind(now + GIVE_UP_AFTER_SECS)
    .bind(delivery)
    .execute(&mut *tx)
    .await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::WebhookDeliveryRetry,
            Target::webhook_endpoint(&endpoint.id, &endpoint.url).with_property("delivery"),
            None,
            Some(json!({ "delivery": delivery, "event": event_type }).to_string()),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes delivered and failed events older than [`KEEP_FINISHED_SECS`]; returns how many.
pub async fn purge_finished(db: &AnyPool, now: i64) -> Result<u64, AppError> {
    let removed =
        sqlx::query("DELETE FROM webhook_deliveries WHERE state <> $1 AND created_at < $2")
            .bind(DeliveryState::Pending.as_str())
            .bind(now - KEEP_FINISHED_SECS)
            .execute(db)
            .await?;
    Ok(removed.rows_affected())
}
