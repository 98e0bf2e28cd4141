//! (ssr) Writing audit events. Each change writes its event in the transaction
//! that makes the change, so a failed change leaves no event and a committed one always has it.
//! Events never hold a token, link or ceremony state.

use sqlx::AnyConnection;

use super::model::EventName;
use crate::delegation::Delegation;
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::secrets::random_token;

/// Where a change came from, as Tailscale's log names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// The admin console (and a person's own pages).
    #[default]
    AdminConsole,
    /// The API v2, with an access token.
    ConfigApi,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::AdminConsole => "ADMIN_CONSOLE",
            Origin::ConfigApi => "CONFIG_API",
        }
    }
}

/// Whether a change was made by a signed-in person, by an operator on the server's command
/// line (`gatehouse recover`) or by an OAuth client through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    User,
    Operator,
    OauthClient,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "USER",
            ActorKind::Operator => "OPERATOR",
            ActorKind::OauthClient => "OAUTH_CLIENT",
        }
    }
}

/// Who made a change, as the log shows them even after they are gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    /// The person; for an operator, a fixed placeholder that is not stored.
    pub id: UserId,
    pub display_name: String,
    pub email: String,
    /// The client's network address, when known.
    pub client_address: Option<String>,
    /// Through which door the change came.
    pub origin: Origin,
    /// For an OAuth client: its id, role and scopes, which decide instead of a membership.
    pub delegation: Option<Delegation>,
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
            kind: ActorKind::User,
            id: id.clone(),
            display_name,
            email,
            client_address,
            origin: Origin::AdminConsole,
            delegation: None,
        })
    }

    /// The same person, acting through the API v2.
    pub fn through_api(self) -> Self {
        Self {
            origin: Origin::ConfigApi,
            ..self
        }
    }

    /// Someone with access to the server who ran a command on it.
    pub fn operator() -> Self {
        Self {
            kind: ActorKind::Operator,
            id: UserId::from_raw("operator"),
            display_name: "Server operator".to_owned(),
            email: String::new(),
            client_address: None,
            origin: Origin::AdminConsole,
            delegation: None,
        }
    }

    /// An OAuth client acting through the API, named by its description. It has no person:
    /// `id` is a placeholder that never matches one.
    pub fn oauth_client(
        delegation: Delegation,
        description: &str,
        client_address: Option<String>,
    ) -> Self {
        Self {
            kind: ActorKind::OauthClient,
            id: UserId::from_raw(format!("oauth-client:{}", delegation.client_id)),
            display_name: if description.is_empty() {
                format!("OAuth client {}", delegation.client_id)
            } else {
                description.to_owned()
            },
            email: String::new(),
            client_address,
            origin: Origin::ConfigApi,
            delegation: Some(delegation),
        }
    }

    /// Who made something the tailnet keeps (an OAuth client, a webhook endpoint), as its list
    /// names them: a person's email, or "OAuth client <description>".
    pub fn created_by(&self) -> String {
        if self.delegation.is_some() {
            format!("OAuth client {}", self.display_name)
        } else {
            self.email.clone()
        }
    }

    /// The id stored with an event: the person's, the OAuth client's, none for an operator.
    fn stored_id(&self) -> Option<&str> {
        match self.kind {
            ActorKind::User => Some(self.id.as_str()),
            ActorKind::OauthClient => self.delegation.as_ref().map(|d| d.client_id.as_str()),
            ActorKind::Operator => None,
        }
    }

    /// The email as stored with an event: none for an operator.
    fn stored_email(&self) -> Option<&str> {
        (self.kind == ActorKind::User).then_some(self.email.as_str())
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

impl Target {
    /// A person, named by their email.
    pub fn user(id: &UserId, email: &str) -> Self {
        Self {
            kind: "USER",
            id: id.to_string(),
            name: Some(email.to_owned()),
            property: None,
        }
    }

    /// A person's passkeys, as the target of adding, renaming or deleting one.
    pub fn passkeys_of(person: &Actor) -> Self {
        Self::user(&person.id, &person.email).with_property("passkey")
    }

    /// The same target, naming which of its properties changed.
    pub fn with_property(self, property: &'static str) -> Self {
        Self {
            property: Some(property),
            ..self
        }
    }

    /// An OIDC client (a coordination server people sign in to), named as its admins named it.
    pub fn oidc_client(id: &str, name: &str) -> Self {
        Self {
            kind: "OIDC_CLIENT",
            id: id.to_owned(),
            name: Some(name.to_owned()),
            property: None,
        }
    }

    /// An API access token, named by its description.
    pub fn api_key(id: &str, description: &str) -> Self {
        Self {
            kind: "API_KEY",
            id: id.to_owned(),
            name: Some(description.to_owned()),
            property: None,
        }
    }

    /// An OAuth client of the API, named by its description.
    pub fn oauth_client(id: &str, description: &str) -> Self {
        Self {
            kind: "OAUTH_CLIENT",
            id: id.to_owned(),
            name: Some(description.to_owned()),
            property: None,
        }
    }

    /// A webhook endpoint, named by its URL.
    pub fn webhook_endpoint(id: &str, url: &str) -> Self {
        Self {
            kind: "WEBHOOK_ENDPOINT",
            id: id.to_owned(),
            name: Some(url.to_owned()),
            property: None,
        }
    }

    /// A tailnet, or one of its settings.
    pub fn tailnet(id: &TailnetId, name: &str, property: Option<&'static str>) -> Self {
        Self {
            kind: "TAILNET",
            id: id.to_string(),
            name: Some(name.to_owned()),
            property,
        }
    }
}

/// One event, named in Tailscale's scheme (`INVITE.CREATE.TAILNET_INVITE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub tailnet: TailnetId,
    pub event_name: EventName,
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
         VALUES ($1, $2, $3, $4, $5, $6, $18, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    // Version 7 ids grow with time within a process, so events of one second keep the order
    // they happened in: the log sorts by (time, id).
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(event.tailnet.as_str())
    .bind(now)
    .bind(group.0.as_str())
    .bind(actor.origin.as_str())
    .bind(actor.stored_id())
    .bind(actor.display_name.as_str())
    .bind(actor.stored_email())
    .bind(event.target.kind)
    .bind(event.target.id)
    .bind(event.target.name)
    .bind(event.target.property)
    .bind(event.event_name.action())
    .bind(event.event_name.as_str())
    .bind(event.old_value)
    .bind(event.new_value)
    .bind(actor.client_address.as_deref())
    .bind(actor.kind.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Who changes which tailnet, when, and the event group of the operation.
pub struct Change<'a> {
    pub actor: &'a Actor,
    pub group: EventGroup,
    pub tailnet: &'a TailnetId,
    pub now: i64,
}

impl<'a> Change<'a> {
    /// One operation: its events share a new group id.
    pub fn new(actor: &'a Actor, tailnet: &'a TailnetId, now: i64) -> Self {
        Self {
            actor,
            group: EventGroup::new(),
            tailnet,
            now,
        }
    }

    /// The same operation, recorded in another tailnet's log (one group across both).
    pub fn in_tailnet(&self, tailnet: &'a TailnetId) -> Self {
        Self {
            actor: self.actor,
            group: self.group.clone(),
            tailnet,
            now: self.now,
        }
    }

    /// Records one event of this operation in this tailnet's log.
    pub async fn record(
        &self,
        conn: &mut AnyConnection,
        event_name: EventName,
        target: Target,
        old_value: Option<String>,
        new_value: Option<String>,
    ) -> Result<(), AppError> {
        let event = AuditEvent {
            tailnet: self.tailnet.clone(),
            event_name,
            target,
            old_value,
            new_value,
        };
        record(conn, &self.group, self.actor, event, self.now).await
    }
}

/// Records one event about `person` in the log of every tailnet they belong to, in `group`:
/// each tailnet's admins see what happens to the accounts of their members.
pub async fn record_for_person(
    conn: &mut AnyConnection,
    group: &EventGroup,
    actor: &Actor,
    person: &Target,
    event: EventName,
    values: (Option<String>, Option<String>),
    now: i64,
) -> Result<(), AppError> {
    let tailnets: Vec<String> = sqlx::query_scalar(
        "SELECT tailnet_id FROM memberships WHERE user_id = $1 ORDER BY tailnet_id",
    )
    .bind(person.id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for tailnet in tailnets {
        let event = AuditEvent {
            tailnet: TailnetId::from_raw(tailnet),
            event_name: event,
            target: person.clone(),
            old_value: values.0.clone(),
            new_value: values.1.clone(),
        };
        record(conn, group, actor, event, now).await?;
    }
    Ok(())
}
