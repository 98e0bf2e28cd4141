//! (ssr) Writing configuration audit events. Each change writes its event in the transaction
//! that makes the change, so a failed change leaves no event and a committed one always has it.
//! Events never hold a token, link or ceremony state.

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::secrets::random_token;

/// Where a change came from.
pub const ORIGIN_ADMIN_CONSOLE: &str = "ADMIN_CONSOLE";

/// Who made a change, as the log shows them even after they are gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub display_name: String,
    pub email: String,
    /// The client's network address, when known.
    pub client_address: Option<String>,
}

impl Actor {
    /// Loads the signed-in person's name and email for the log.
    pub async fn load(
        conn: &mut AnyConnection,
        id: &UserId,
        client_address: Option<String>,
    ) -> Result<Self, AppError> {
        let (display_name, email): (String, String) =
            sqlx::query_as("SELECT display_name, email FROM users WHERE id = $1")
                .bind(id.as_str())
                .fetch_one(&mut *conn)
                .await?;
        Ok(Self {
            id: id.clone(),
            display_name,
            email,
            client_address,
        })
    }
}

/// What a change was made to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: &'static str,
    pub id: String,
    pub name: Option<String>,
    pub property: Option<&'static str>,
}

/// One event, named in Tailscale's scheme (`INVITE.CREATE.TAILNET_INVITE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub tailnet: TailnetId,
    pub event_name: &'static str,
    pub action: &'static str,
    pub target: Target,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// Events written by one operation share a group id (an invite to ten addresses is ten events
/// in one group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventGroup(String);

impl EventGroup {
    pub fn new() -> Self {
        Self(random_token(12))
    }
}

impl Default for EventGroup {
    fn default() -> Self {
        Self::new()
    }
}

/// Appends `event` inside the caller's transaction.
pub async fn record(
    conn: &mut AnyConnection,
    group: &EventGroup,
    actor: &Actor,
    event: AuditEvent,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO audit_events (id, tailnet_id, event_time, event_group_id, origin, \
             actor_id, actor_type, actor_name, actor_email, target_type, target_id, target_name, \
             target_property, action, event_name, old_value, new_value, client_address) \
         VALUES ($1, $2, $3, $4, $5, $6, 'USER', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(event.tailnet.as_str())
    .bind(now)
    .bind(group.0.as_str())
    .bind(ORIGIN_ADMIN_CONSOLE)
    .bind(actor.id.as_str())
    .bind(actor.display_name.as_str())
    .bind(actor.email.as_str())
    .bind(event.target.kind)
    .bind(event.target.id)
    .bind(event.target.name)
    .bind(event.target.property)
    .bind(event.action)
    .bind(event.event_name)
    .bind(event.old_value)
    .bind(event.new_value)
    .bind(actor.client_address.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
