//! The audit log as both sides see it: the catalogue of event names, the page's filters and
//! one event as the page and the exports show it.

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ids::TailnetId;
use crate::paging::{Cursor, Page, PageRequest};

/// Events per page.
pub const AUDIT_PAGE_SIZE: usize = 50;

/// The longest actor or target search accepted.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Every event Gatehouse writes, named in Tailscale's scheme `TARGET.ACTION[.PROPERTY]`.
/// Writers can only name events from this list, so the page's "Event" filter knows them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventName {
    InviteCreate,
    InviteResend,
    InviteDelete,
    InviteAccept,
    TailnetCreate,
    TailnetJoin,
    TailnetLeave,
    EnableUserApproval,
    DisableUserApproval,
    UpdateJoinExternalTailnets,
    UserApprove,
    UserUpdateRole,
    UserSuspend,
    UserRestore,
    UserDelete,
    UserLogin,
    UserLogout,
    PasskeyCreate,
    PasskeyRename,
    PasskeyDelete,
    PasskeyCounterRegression,
    UserLogoutEverywhere,
    RecoveryLinkCreate,
    RecoveryLinkUse,
    OidcClientCreate,
    OidcClientSecretRegenerate,
    OidcClientDelete,
    OidcSignInRefused,
    UpdateCoordinationServerUrl,
    ApiKeyCreate,
    ApiKeyRevoke,
    OauthClientCreate,
    OauthClientRevoke,
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
    WebhookEndpointRotateSecret,
    WebhookEndpointDelete,
    WebhookDeliveryRetry,
}

impl EventName {
    /// In the order the "Event" filter lists them.
    pub const ALL: [EventName; 38] = [
        EventName::InviteCreate,
        EventName::InviteResend,
        EventName::InviteDelete,
        EventName::InviteAccept,
        EventName::TailnetCreate,
        EventName::TailnetJoin,
        EventName::TailnetLeave,
        EventName::EnableUserApproval,
        EventName::DisableUserApproval,
        EventName::UpdateJoinExternalTailnets,
        EventName::UpdateCoordinationServerUrl,
        EventName::UserApprove,
        EventName::UserUpdateRole,
        EventName::UserSuspend,
        EventName::UserRestore,
        EventName::UserDelete,
        EventName::UserLogin,
        EventName::UserLogout,
        EventName::PasskeyCreate,
        EventName::PasskeyRename,
        EventName::PasskeyDelete,
        EventName::PasskeyCounterRegression,
        EventName::UserLogoutEverywhere,
        EventName::RecoveryLinkCreate,
        EventName::RecoveryLinkUse,
        EventName::OidcClientCreate,
        EventName::OidcClientSecretRegenerate,
        EventName::OidcClientDelete,
        EventName::OidcSignInRefused,
        EventName::ApiKeyCreate,
        EventName::ApiKeyRevoke,
        EventName::OauthClientCreate,
        EventName::OauthClientRevoke,
        EventName::WebhookEndpointCreate,
        EventName::WebhookEndpointUpdate,
        EventName::WebhookEndpointRotateSecret,
        EventName::WebhookEndpointDelete,
        EventName::WebhookDeliveryRetry,
    ];

    /// The stored and exported name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::InviteCreate => "INVITE.CREATE.TAILNET_INVITE",
            EventName::InviteResend => "INVITE.RESEND.TAILNET_INVITE",
            EventName::InviteDelete => "INVITE.DELETE.TAILNET_INVITE",
            EventName::InviteAccept => "INVITE.ACCEPT.TAILNET_INVITE",
            EventName::TailnetCreate => "TAILNET.CREATE",
            EventName::TailnetJoin => "TAILNET.JOIN",
            EventName::TailnetLeave => "TAILNET.LEAVE",
            EventName::EnableUserApproval => "TAILNET.ENABLE.USER_APPROVAL_REQUIRED",
            EventName::DisableUserApproval => "TAILNET.DISABLE.USER_APPROVAL_REQUIRED",
            EventName::UpdateJoinExternalTailnets => "TAILNET.UPDATE.JOIN_EXTERNAL_TAILNETS",
            EventName::UpdateCoordinationServerUrl => "TAILNET.UPDATE.COORDINATION_SERVER_URL",
            EventName::UserApprove => "USER.APPROVE",
            EventName::UserUpdateRole => "USER.UPDATE.USER_ROLE",
            EventName::UserSuspend => "USER.SUSPEND",
            EventName::UserRestore => "USER.RESTORE",
            EventName::UserDelete => "USER.DELETE",
            EventName::UserLogin => "USER.LOGIN",
            EventName::UserLogout => "USER.LOGOUT",
            EventName::PasskeyCreate => "USER.CREATE.PASSKEY",
            EventName::PasskeyRename => "USER.UPDATE.PASSKEY",
            EventName::PasskeyDelete => "USER.DELETE.PASSKEY",
            EventName::PasskeyCounterRegression => "USER.LOGIN_REFUSED.PASSKEY_COUNTER",
            EventName::UserLogoutEverywhere => "USER.LOGOUT.ALL_SESSIONS",
            EventName::RecoveryLinkCreate => "USER.CREATE.RECOVERY_LINK",
            EventName::RecoveryLinkUse => "USER.USE.RECOVERY_LINK",
            EventName::OidcClientCreate => "OIDC_CLIENT.CREATE",
            EventName::OidcClientSecretRegenerate => "OIDC_CLIENT.UPDATE.SECRET",
            EventName::OidcClientDelete => "OIDC_CLIENT.DELETE",
            EventName::OidcSignInRefused => "USER.LOGIN_REFUSED.OIDC_CLIENT",
            EventName::ApiKeyCreate => "API_KEY.CREATE",
            EventName::ApiKeyRevoke => "API_KEY.DELETE",
            EventName::OauthClientCreate => "OAUTH_CLIENT.CREATE",
            EventName::OauthClientRevoke => "OAUTH_CLIENT.DELETE",
            EventName::WebhookEndpointCreate => "WEBHOOK_ENDPOINT.CREATE",
            EventName::WebhookEndpointUpdate => "WEBHOOK_ENDPOINT.UPDATE.SUBSCRIPTIONS",
            EventName::WebhookEndpointRotateSecret => "WEBHOOK_ENDPOINT.UPDATE.SECRET",
            EventName::WebhookEndpointDelete => "WEBHOOK_ENDPOINT.DELETE",
            EventName::WebhookDeliveryRetry => "WEBHOOK_DELIVERY.RETRY",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|name| name.as_str() == stored)
    }

    /// The action: the name's second part (`CREATE` in `INVITE.CREATE.TAILNET_INVITE`).
    pub fn action(self) -> &'static str {
        self.as_str().split('.').nth(1).unwrap_or_default()
    }

    /// What happened, in words.
    pub fn label(self) -> &'static str {
        match self {
            EventName::InviteCreate => "Invite created",
            EventName::InviteResend => "Invite resent",
            EventName::InviteDelete => "Invite deleted",
            EventName::InviteAccept => "Invite accepted",
            EventName::TailnetCreate => "Tailnet created",
            EventName::TailnetJoin => "Joined tailnet",
            EventName::TailnetLeave => "Left tailnet",
            EventName::EnableUserApproval => "User approval turned on",
            EventName::DisableUserApproval => "User approval turned off",
            EventName::UpdateJoinExternalTailnets => "Join external tailnets changed",
            EventName::UpdateCoordinationServerUrl => "Coordination server URL changed",
            EventName::UserApprove => "User approved",
            EventName::UserUpdateRole => "Role changed",
            EventName::UserSuspend => "User suspended",
            EventName::UserRestore => "User restored",
            EventName::UserDelete => "User removed",
            EventName::UserLogin => "Signed in",
            EventName::UserLogout => "Signed out",
            EventName::PasskeyCreate => "Passkey added",
            EventName::PasskeyRename => "Passkey renamed",
            EventName::PasskeyDelete => "Passkey deleted",
            EventName::PasskeyCounterRegression => "Sign-in refused: passkey may be cloned",
            EventName::UserLogoutEverywhere => "Signed out everywhere",
            EventName::RecoveryLinkCreate => "Recovery link issued",
            EventName::RecoveryLinkUse => "Recovery link used",
            EventName::OidcClientCreate => "OIDC client added",
            EventName::OidcClientSecretRegenerate => "OIDC client secret regenerated",
            EventName::OidcClientDelete => "OIDC client deleted",
            EventName::OidcSignInRefused => "Sign-in to an OIDC client refused",
            EventName::ApiKeyCreate => "API access token generated",
            EventName::ApiKeyRevoke => "API access token revoked",
            EventName::OauthClientCreate => "OAuth client generated",
            EventName::OauthClientRevoke => "OAuth client revoked",
            EventName::WebhookEndpointCreate => "Webhook endpoint added",
            EventName::WebhookEndpointUpdate => "Webhook subscriptions changed",
            EventName::WebhookEndpointRotateSecret => "Webhook secret rotated",
            EventName::WebhookEndpointDelete => "Webhook endpoint deleted",
            EventName::WebhookDeliveryRetry => "Webhook delivery retried",
        }
    }
}

/// The page's filters. Times are Unix seconds; `from` is inclusive and `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilters {
    pub from: Option<i64>,
    pub until: Option<i64>,
    /// Matches anywhere in the actor's name or email, ignoring case.
    pub actor: String,
    pub event: Option<EventName>,
    /// Matches anywhere in the target's name or id, ignoring case.
    pub target: String,
}

impl AuditFilters {
    /// Refuses a time range that ends before it starts and overlong searches, naming the field.
    pub fn validate(&self) -> Result<(), AppError> {
        if let (Some(from), Some(until)) = (self.from, self.until)
            && until <= from
        {
            return Err(AppError::validation(
                "until",
                "The end of the time range must be after its start.",
            ));
        }
        for (field, text) in [("actor", &self.actor), ("target", &self.target)] {
            if text.chars().count() > MAX_SEARCH_CHARS {
                return Err(AppError::validation(
                    field,
                    format!("Search for at most {MAX_SEARCH_CHARS} characters."),
                ));
            }
        }
        Ok(())
    }

    /// The query string of an export of these events (`format` is `json` or `csv`).
    pub fn export_query(&self, format: ExportFormat) -> String {
        let mut pairs = vec![("format", format.as_str().to_owned())];
        if let Some(from) = self.from {
            pairs.push(("from", from.to_string()));
        }
        if let Some(until) = self.until {
            pairs.push(("until", until.to_string()));
        }
        if !self.actor.trim().is_empty() {
            pairs.push(("actor", self.actor.trim().to_owned()));
        }
        if let Some(event) = self.event {
            pairs.push(("event", event.as_str().to_owned()));
        }
        if !self.target.trim().is_empty() {
            pairs.push(("target", self.target.trim().to_owned()));
        }
        crate::format::query_string(&pairs)
    }
}

/// "Export" downloads one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Csv,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        }
    }
}

/// Where the export of `tailnet`'s events with `filters` downloads from.
pub fn export_path(tailnet: &TailnetId, filters: &AuditFilters, format: ExportFormat) -> String {
    format!(
        "/admin/{tailnet}/logs/export?{}",
        filters.export_query(format)
    )
}

/// The audit log page of a tailnet.
pub fn audit_log_path(tailnet: &TailnetId) -> String {
    format!("/admin/{tailnet}/logs")
}

/// One page of a tailnet's events, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub tailnet: TailnetId,
    pub filters: AuditFilters,
    pub page: PageRequest,
}

/// Who made a change, as they were named when they made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventActor {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// What a change was made to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTarget {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: Option<String>,
    pub property: Option<String>,
}

/// One stored event, as the page shows it and the JSON export writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventRow {
    pub id: String,
    /// Unix seconds, UTC.
    pub event_time: i64,
    pub event_group_id: String,
    pub origin: String,
    pub actor: EventActor,
    pub target: EventTarget,
    pub action: String,
    pub event_name: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub client_address: Option<String>,
}

impl AuditEventRow {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.event_time,
            key: self.id.clone(),
        }
    }

    /// The event in words, or its stored name when this version does not know it.
    pub fn label(&self) -> String {
        EventName::parse(&self.event_name)
            .map(|name| name.label().to_owned())
            .unwrap_or_else(|| self.event_name.clone())
    }
}

pub type AuditPage = Page<AuditEventRow>;

/// The page's heading: what does not change with the filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogOverview {
    pub tailnet_name: String,
    /// Events older than this are removed.
    pub retention_days: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip_and_name_their_action() {
        for name in EventName::ALL {
            assert_eq!(EventName::parse(name.as_str()), Some(name));
            assert!(!name.action().is_empty(), "{name:?}");
        }
        assert_eq!(EventName::InviteResend.action(), "RESEND");
        assert_eq!(EventName::UserLogin.action(), "LOGIN");
        assert_eq!(EventName::parse("USER.FLY"), None);
    }

    #[test]
    fn time_ranges_must_end_after_they_start() {
        let mut filters = AuditFilters {
            from: Some(100),
            until: Some(100),
            ..AuditFilters::default()
        };
        assert!(filters.validate().is_err());
        filters.until = Some(101);
        assert!(filters.validate().is_ok());
        filters.actor = "a".repeat(MAX_SEARCH_CHARS + 1);
        assert!(filters.validate().is_err());
    }

    #[test]
    fn export_links_carry_the_filters_encoded() {
        let filters = AuditFilters {
            from: Some(10),
            until: None,
            actor: " ada & co ".into(),
            event: Some(EventName::InviteCreate),
            target: String::new(),
        };
        assert_eq!(
            filters.export_query(ExportFormat::Csv),
            "format=csv&from=10&actor=ada%20%26%20co&event=INVITE.CREATE.TAILNET_INVITE"
        );
    }
}
