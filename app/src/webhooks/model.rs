//! The "Webhooks" page's data and the names webhooks share with Tailscale: event types,
//! destination formats, endpoints and their deliveries. Shared by server and browser.

use serde::{Deserialize, Serialize};

use crate::ids::TailnetId;

/// An event a webhook endpoint can subscribe to, with Tailscale's name. The first seven are
/// Tailscale's user events; the rest are Gatehouse's own, named in the same style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "userCreated")]
    UserCreated,
    #[serde(rename = "userNeedsApproval")]
    UserNeedsApproval,
    #[serde(rename = "userApproved")]
    UserApproved,
    #[serde(rename = "userSuspended")]
    UserSuspended,
    #[serde(rename = "userRestored")]
    UserRestored,
    #[serde(rename = "userDeleted")]
    UserDeleted,
    #[serde(rename = "userRoleUpdated")]
    UserRoleUpdated,
    #[serde(rename = "userInvited")]
    UserInvited,
    #[serde(rename = "userJoined")]
    UserJoined,
    #[serde(rename = "userLeftTailnet")]
    UserLeftTailnet,
}

impl EventType {
    /// In the order the "Add endpoint" form lists them.
    pub const ALL: [EventType; 10] = [
        EventType::UserCreated,
        EventType::UserNeedsApproval,
        EventType::UserApproved,
        EventType::UserSuspended,
        EventType::UserRestored,
        EventType::UserDeleted,
        EventType::UserRoleUpdated,
        EventType::UserInvited,
        EventType::UserJoined,
        EventType::UserLeftTailnet,
    ];

    /// The name in payloads, subscriptions and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserCreated => "userCreated",
            EventType::UserNeedsApproval => "userNeedsApproval",
            EventType::UserApproved => "userApproved",
            EventType::UserSuspended => "userSuspended",
            EventType::UserRestored => "userRestored",
            EventType::UserDeleted => "userDeleted",
            EventType::UserRoleUpdated => "userRoleUpdated",
            EventType::UserInvited => "userInvited",
            EventType::UserJoined => "userJoined",
            EventType::UserLeftTailnet => "userLeftTailnet",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL
            .into_iter()
            .find(|event| event.as_str() == text)
    }

    /// What the event reports, as the form describes it.
    pub fn description(self) -> &'static str {
        match self {
            EventType::UserCreated => "Someone created their account by accepting an invite.",
            EventType::UserNeedsApproval => "Someone joined and waits for an admin's approval.",
            EventType::UserApproved => "An admin approved someone who was waiting.",
            EventType::UserSuspended => "A member was suspended.",
            EventType::UserRestored => "A suspended member was restored.",
            EventType::UserDeleted => "A member, or someone waiting, was removed.",
            EventType::UserRoleUpdated => "A member's role changed.",
            EventType::UserInvited => "Gatehouse only: an invite was sent or a link generated.",
            EventType::UserJoined => {
                "Gatehouse only: someone accepted an invite and joined (new or existing account)."
            }
            EventType::UserLeftTailnet => "Gatehouse only: a member left the tailnet.",
        }
    }
}

/// The type of the event "Test endpoint" sends; no endpoint subscribes to it.
pub const TEST_EVENT: &str = "test";

/// How a delivery's body is shaped: Tailscale's own JSON events, or a chat service's incoming
/// webhook message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ProviderType {
    #[default]
    #[serde(rename = "")]
    Tailscale,
    #[serde(rename = "slack")]
    Slack,
    #[serde(rename = "mattermost")]
    Mattermost,
    #[serde(rename = "googlechat")]
    GoogleChat,
    #[serde(rename = "discord")]
    Discord,
}

impl ProviderType {
    pub const ALL: [ProviderType; 5] = [
        ProviderType::Tailscale,
        ProviderType::Slack,
        ProviderType::Mattermost,
        ProviderType::GoogleChat,
        ProviderType::Discord,
    ];

    /// The API's name: the empty string for Tailscale's own format, as Tailscale's API has it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Tailscale => "",
            ProviderType::Slack => "slack",
            ProviderType::Mattermost => "mattermost",
            ProviderType::GoogleChat => "googlechat",
            ProviderType::Discord => "discord",
        }
    }

    pub fn parse(text: &str) -> Option<ProviderType> {
        ProviderType::ALL
            .into_iter()
            .find(|provider| provider.as_str() == text)
    }

    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            ProviderType::Tailscale => "Tailscale JSON",
            ProviderType::Slack => "Slack",
            ProviderType::Mattermost => "Mattermost",
            ProviderType::GoogleChat => "Google Chat",
            ProviderType::Discord => "Discord",
        }
    }
}

/// An endpoint URL is at most this long.
pub const MAX_URL_CHARS: usize = 2_000;
/// A tailnet has at most this many endpoints.
pub const MAX_ENDPOINTS: usize = 20;
/// How many of an endpoint's most recent deliveries the page shows.
pub const RECENT_DELIVERIES: usize = 20;
/// How long a delivery is retried before it is marked failed: one day.
pub const GIVE_UP_AFTER_SECS: i64 = 24 * 3_600;
/// How old a signature's timestamp a receiver should still accept (the README says so; the
/// receivers in Tailscale's examples use five minutes too).
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// An endpoint, as the page and the API show it: never with its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub provider: ProviderType,
    pub subscriptions: Vec<EventType>,
    /// The email of who added it, or the OAuth client that did.
    pub created_by: String,
    pub created_at: i64,
    pub last_modified_at: i64,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Not delivered yet: waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Given up after [`GIVE_UP_AFTER_SECS`]; "Retry" tries again.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryState> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Pending => "Pending",
            DeliveryState::Delivered => "Delivered",
            DeliveryState::Failed => "Failed",
        }
    }
}

/// One event sent (or to be sent) to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub event_type: String,
    pub created_at: i64,
    pub state: DeliveryState,
    pub attempts: i64,
    /// The HTTP status of the last attempt, if the receiver answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed, shortened.
    pub last_error: Option<String>,
    pub next_attempt_at: Option<i64>,
}

/// An endpoint with its most recent deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointWithDeliveries {
    pub endpoint: WebhookEndpoint,
    pub deliveries: Vec<Delivery>,
}

/// The "Webhooks" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksPage {
    pub endpoints: Vec<EndpointWithDeliveries>,
    /// Whether the viewer may add, test, rotate, delete and retry.
    pub manages: bool,
}

/// "Add endpoint" as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEndpoint {
    pub tailnet: TailnetId,
    pub url: String,
    pub provider: ProviderType,
    pub subscriptions: Vec<EventType>,
}

/// An endpoint just added, or whose secret was just rotated: the secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSecret {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// The path of the "Webhooks" page.
pub fn webhooks_path(tailnet: &TailnetId) -> String {
    format!("/admin/{tailnet}/webhooks")
}
