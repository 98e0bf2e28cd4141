//! (ssr) Writing webhook events. A change calls [`emit`] inside its own transaction, next to
//! its audit event: one delivery row per endpoint of the tailnet that subscribes to the event.
//! A failed change leaves no delivery; a committed one always has it, and the delivery worker
//! sends it later, so a slow or absent receiver never delays or blocks the change.

use serde_json::{Value, json};
use sqlx::AnyConnection;

use super::model::{DeliveryState, EventType, GIVE_UP_AFTER_SECS, TEST_EVENT};
use crate::audit::Actor;
use crate::error::AppError;
use crate::format::utc_timestamp;
use crate::ids::{TailnetId, UserId};
use crate::roles::Role;

/// Something that happened to a person in a tailnet, before it is addressed to endpoints.
#[derive(Debug, Clone)]
pub struct UserEvent<'a> {
    pub tailnet: &'a TailnetId,
    pub kind: EventType,
    pub user: &'a UserId,
    /// Their role in the tailnet after the change, when they still have one.
    pub role: Option<Role>,
    /// Who made the change (for `userCreated` and `userJoined`, the person themself).
    pub actor: &'a Actor,
}

/// The sentence an event's `message` carries, as a chat message shows it.
fn message(kind: EventType, email: &str, tailnet: &str) -> String {
    match kind {
        EventType::UserCreated => format!("{email} created an account to join {tailnet}"),
        EventType::UserNeedsApproval => format!("{email} needs approval to join {tailnet}"),
        EventType::UserApproved => format!("{email} was approved in {tailnet}"),
        EventType::UserSuspended => format!("{email} was suspended in {tailnet}"),
        EventType::UserRestored => format!("{email} was restored in {tailnet}"),
        EventType::UserDeleted => format!("{email} was removed from {tailnet}"),
        EventType::UserRoleUpdated => format!("{email}'s role changed in {tailnet}"),
        EventType::UserInvited => format!("{email} was invited to {tailnet}"),
        EventType::UserJoined => format!("{email} joined {tailnet}"),
        EventType::UserLeftTailnet => format!("{email} left {tailnet}"),
    }
}

/// Who acted, as `data.actor` names them: an email, or an OAuth client's name.
fn actor_name(actor: &Actor) -> &str {
    if actor.email.is_empty() {
        &actor.display_name
    } else {
        &actor.email
    }
}

/// Queues `event` for every endpoint of its tailnet that subscribes to its type, inside the
/// caller's transaction. `data` names the person (`user`, `userId`, `displayName`, `role`),
/// who acted (`actor`) and the Users page that shows them (`url`).
pub async fn emit(
    conn: &mut AnyConnection,
    event: &UserEvent<'_>,
    now: i64,
) -> Result<(), AppError> {
    let Some(audience) = Audience::of(conn, event.tailnet, event.kind).await? else {
        return Ok(());
    };
    let (email, display_name): (String, String) =
        sqlx::query_as("SELECT email, display_name FROM users WHERE id = $1")
            .bind(event.user.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let mut data = json!({
        "user": email,
        "userId": event.user.as_str(),
        "displayName": display_name,
        "actor": actor_name(event.actor),
        "url": users_page(event.tailnet, &email),
    });
    if let Some(role) = event.role {
        data["role"] = json!(role.tailscale_name());
    }
    let text = message(event.kind, &email, &audience.tailnet_name);
    audience.queue(conn, event.kind, &text, &data, now).await
}

/// An invite just made: by email (`email`) or as a link (no email).
#[derive(Debug, Clone)]
pub struct Invited<'a> {
    pub tailnet: &'a TailnetId,
    pub invite: &'a str,
    pub email: Option<&'a str>,
    pub role: Role,
    pub actor: &'a Actor,
}

/// Queues `userInvited` for the endpoints that subscribe to it. `data` has the invite's id,
/// the invited address (none for a link), the role, who invited and the Users page.
pub async fn emit_invited(
    conn: &mut AnyConnection,
    invited: &Invited<'_>,
    now: i64,
) -> Result<(), AppError> {
    let kind = EventType::UserInvited;
    let Some(audience) = Audience::of(conn, invited.tailnet, kind).await? else {
        return Ok(());
    };
    let name = &audience.tailnet_name;
    let (text, url) = match invited.email {
        Some(email) => (
            message(kind, email, name),
            users_page(invited.tailnet, email),
        ),
        None => (
            format!("An invite link to {name} was generated"),
            crate::auth::model::users_path(invited.tailnet),
        ),
    };
    let data = json!({
        "inviteId": invited.invite,
        "user": invited.email,
        "role": invited.role.tailscale_name(),
        "actor": actor_name(invited.actor),
        "url": url,
    });
    audience.queue(conn, kind, &text, &data, now).await
}

/// The Users page searched for `email`, as a path: the delivery worker puts the public origin
/// in front when it sends the event.
fn users_page(tailnet: &TailnetId, email: &str) -> String {
    let query: String = url::form_urlencoded::byte_serialize(email.as_bytes()).collect();
    format!("{}?q={query}", crate::auth::model::users_path(tailnet))
}

/// The endpoints of a tailnet that subscribe to one event type, and the tailnet's name.
struct Audience {
    endpoints: Vec<String>,
    tailnet_name: String,
}

impl Audience {
    /// `None` when no endpoint of `tailnet` subscribes to `kind` (then nothing else is read).
    async fn of(
        conn: &mut AnyConnection,
        tailnet: &TailnetId,
        kind: EventType,
    ) -> Result<Option<Self>, AppError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, subscriptions FROM webhook_endpoints WHERE tailnet_id = $1")
                .bind(tailnet.as_str())
                .fetch_all(&mut *conn)
                .await?;
        let endpoints: Vec<String> = rows
            .into_iter()
            .filter(|(_, subscriptions)| {
                serde_json::from_str::<Vec<EventType>>(subscriptions)
                    .is_ok_and(|types| types.contains(&kind))
            })
            .map(|(id, _)| id)
            .collect();
        if endpoints.is_empty() {
            return Ok(None);
        }
        let tailnet_name = tailnet_name(conn, tailnet).await?;
        Ok(Some(Self {
            endpoints,
            tailnet_name,
        }))
    }

    /// Queues the event object for each endpoint.
    async fn queue(
        &self,
        conn: &mut AnyConnection,
        kind: EventType,
        message: &str,
        data: &Value,
        now: i64,
    ) -> Result<(), AppError> {
        let object = event_object(kind.as_str(), &self.tailnet_name, message, data, now);
        for endpoint in &self.endpoints {
            queue(conn, endpoint, kind.as_str(), &object, now).await?;
        }
        Ok(())
    }
}

/// An event object in Tailscale's shape: `timestamp` (RFC 3339, UTC), `version` (1), `type`,
/// `tailnet` (its name), `message` and `data`.
pub fn event_object(
    kind: &str,
    tailnet_name: &str,
    message: &str,
    data: &Value,
    now: i64,
) -> Value {
    json!({
        "timestamp": utc_timestamp(now),
        "version": 1,
        "type": kind,
        "tailnet": tailnet_name,
        "message": message,
        "data": data,
    })
}

/// Queues the `test` event "Test endpoint" sends.
pub async fn queue_test(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    endpoint: &str,
    now: i64,
) -> Result<(), AppError> {
    let name = tailnet_name(conn, tailnet).await?;
    let object = event_object(
        TEST_EVENT,
        &name,
        "This is a test event from Gatehouse",
        &json!({}),
        now,
    );
    queue(conn, endpoint, TEST_EVENT, &object, now).await
}

async fn tailnet_name(conn: &mut AnyConnection, tailnet: &TailnetId) -> Result<String, AppError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM tailnets WHERE id = $1")
            .bind(tailnet.as_str())
            .fetch_one(&mut *conn)
            .await?,
    )
}

async fn queue(
    conn: &mut AnyConnection,
    endpoint: &str,
    kind: &str,
    object: &Value,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_type, event, created_at, state, \
             next_attempt_at, give_up_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $5, $7)",
    )
    // Version 7 ids grow with time, so an endpoint's events go out in the order they happened.
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(endpoint)
    .bind(kind)
    .bind(object.to_string())
    .bind(now)
    .bind(DeliveryState::Pending.as_str())
    .bind(now + GIVE_UP_AFTER_SECS)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_object_has_tailscales_fields() {
        let object = event_object(
            "userNeedsApproval",
            "example.com",
            "bo@example.com needs approval",
            &json!({"user": "bo@example.com"}),
            1_700_000_000,
        );
        assert_eq!(object["timestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(object["version"], 1);
        assert_eq!(object["type"], "userNeedsApproval");
        assert_eq!(object["tailnet"], "example.com");
        assert_eq!(object["message"], "bo@example.com needs approval");
        assert_eq!(object["data"]["user"], "bo@example.com");
    }
}
