//! What a credential without a person may do on a tailnet's behalf: an OAuth client's scopes,
//! in Tailscale's names, and the role it acts with. A scope without `:read` also grants its
//! `:read` form; `all` grants every scope and `all:read` every `:read` form. Shared by the
//! "Keys" page and the server; every change a client makes is checked here by the same
//! `lock_actor_role` that checks a person's role.

use serde::{Deserialize, Serialize};

use crate::roles::{Permission, Role};

/// One scope an OAuth client may hold (in JSON by its Tailscale name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "all")]
    All,
    #[serde(rename = "all:read")]
    AllRead,
    #[serde(rename = "users")]
    Users,
    #[serde(rename = "users:read")]
    UsersRead,
    #[serde(rename = "feature_settings")]
    FeatureSettings,
    #[serde(rename = "feature_settings:read")]
    FeatureSettingsRead,
    #[serde(rename = "logs:configuration:read")]
    LogsConfigurationRead,
    #[serde(rename = "api_access_tokens")]
    ApiAccessTokens,
    #[serde(rename = "api_access_tokens:read")]
    ApiAccessTokensRead,
    #[serde(rename = "oauth_keys")]
    OauthKeys,
    #[serde(rename = "oauth_keys:read")]
    OauthKeysRead,
    #[serde(rename = "webhooks")]
    Webhooks,
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
}

impl Scope {
    /// Every scope, in the order the "Keys" page lists them.
    pub const ALL: [Scope; 13] = [
        Scope::All,
        Scope::AllRead,
        Scope::Users,
        Scope::UsersRead,
        Scope::FeatureSettings,
        Scope::FeatureSettingsRead,
        Scope::LogsConfigurationRead,
        Scope::ApiAccessTokens,
        Scope::ApiAccessTokensRead,
        Scope::OauthKeys,
        Scope::OauthKeysRead,
        Scope::Webhooks,
        Scope::WebhooksRead,
    ];

    /// Tailscale's name of the scope.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::AllRead => "all:read",
            Scope::Users => "users",
            Scope::UsersRead => "users:read",
            Scope::FeatureSettings => "feature_settings",
            Scope::FeatureSettingsRead => "feature_settings:read",
            Scope::LogsConfigurationRead => "logs:configuration:read",
            Scope::ApiAccessTokens => "api_access_tokens",
            Scope::ApiAccessTokensRead => "api_access_tokens:read",
            Scope::OauthKeys => "oauth_keys",
            Scope::OauthKeysRead => "oauth_keys:read",
            Scope::Webhooks => "webhooks",
            Scope::WebhooksRead => "webhooks:read",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    /// What the scope lets a client do, as the "Keys" page describes it.
    pub fn description(self) -> &'static str {
        match self {
            Scope::All => "Everything below, reading and changing.",
            Scope::AllRead => "Read everything below.",
            Scope::Users => "Change roles, approve, suspend, restore and delete users.",
            Scope::UsersRead => "List users and open invites.",
            Scope::FeatureSettings => "Change user approval and joining external tailnets.",
            Scope::FeatureSettingsRead => "Read the tailnet's settings.",
            Scope::LogsConfigurationRead => "Read the configuration audit logs.",
            Scope::ApiAccessTokens => "Revoke API access tokens.",
            Scope::ApiAccessTokensRead => "List API access tokens.",
            Scope::OauthKeys => "Generate and revoke OAuth clients.",
            Scope::OauthKeysRead => "List OAuth clients.",
            Scope::Webhooks => "Add, test, rotate and delete webhook endpoints.",
            Scope::WebhooksRead => "List webhook endpoints.",
        }
    }

    /// The scope that also grants this one, if any (`users` for `users:read`).
    fn write_form(self) -> Option<Scope> {
        match self {
            Scope::UsersRead => Some(Scope::Users),
            Scope::FeatureSettingsRead => Some(Scope::FeatureSettings),
            Scope::ApiAccessTokensRead => Some(Scope::ApiAccessTokens),
            Scope::OauthKeysRead => Some(Scope::OauthKeys),
            Scope::WebhooksRead => Some(Scope::Webhooks),
            _ => None,
        }
    }

    fn is_read(self) -> bool {
        self.as_str().ends_with(":read")
    }

    /// Whether a client made by someone with `role` could use the scope: `all` and `all:read`
    /// need every right they cover, any other scope one of its rights. (Each call is checked
    /// against the client's role as well, so this only keeps useless scopes off a client.)
    pub fn usable_by(self, role: Role) -> bool {
        use Permission::*;
        let any = |rights: &[Permission]| rights.iter().any(|&p| role.can(p));
        let every = |rights: &[Permission]| rights.iter().all(|&p| role.can(p));
        match self {
            Scope::All => every(&[
                ViewMembers,
                ViewInvites,
                ManageUsers,
                ApproveUsers,
                ManageUserApproval,
                ManageJoinExternalTailnets,
                ViewAuditLog,
                ManageApiTokens,
                ManageWebhooks,
            ]),
            Scope::AllRead => every(&[
                ViewMembers,
                ViewInvites,
                ViewAuditLog,
                ManageApiTokens,
                ViewWebhooks,
            ]),
            Scope::Users => any(&[ManageUsers, ApproveUsers]),
            Scope::UsersRead => any(&[ViewMembers]),
            Scope::FeatureSettings => any(&[ManageUserApproval, ManageJoinExternalTailnets]),
            Scope::FeatureSettingsRead => any(&[ViewMembers]),
            Scope::LogsConfigurationRead => any(&[ViewAuditLog]),
            Scope::Webhooks => any(&[ManageWebhooks]),
            Scope::WebhooksRead => any(&[ViewWebhooks]),
            Scope::ApiAccessTokens
            | Scope::ApiAccessTokensRead
            | Scope::OauthKeys
            | Scope::OauthKeysRead => any(&[ManageApiTokens]),
        }
    }
}

/// The scopes of one client.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// Sorted, without repeats.
    pub fn new(mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    /// Space-separated names (as OAuth writes scopes); an unknown name is an error naming it.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split([' ', ','])
            .filter(|name| !name.is_empty())
            .map(|name| Scope::parse(name).ok_or_else(|| format!("unknown scope \"{name}\"")))
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether these scopes grant `wanted`, directly or through `all`, `all:read` or the
    /// scope's write form.
    pub fn grants(&self, wanted: Scope) -> bool {
        self.0.iter().any(|&held| {
            held == wanted
                || held == Scope::All
                || (held == Scope::AllRead && wanted.is_read())
                || wanted.write_form() == Some(held)
        })
    }

    /// Whether every scope of `other` is granted by these.
    pub fn covers(&self, other: &Scopes) -> bool {
        other.iter().all(|scope| self.grants(scope))
    }

    /// Whether a change needing `permission` is within these scopes. Invites are never: as in
    /// Tailscale, creating, resending and deleting user invites is only for user-owned keys.
    pub fn allow_change(&self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ManageUsers | ApproveUsers => self.grants(Scope::Users),
            ManageUserApproval | ManageJoinExternalTailnets => self.grants(Scope::FeatureSettings),
            ManageApiTokens => self.grants(Scope::ApiAccessTokens) || self.grants(Scope::OauthKeys),
            ViewMembers => self.grants(Scope::UsersRead) || self.grants(Scope::FeatureSettingsRead),
            ViewInvites => self.grants(Scope::UsersRead),
            ViewAuditLog => self.grants(Scope::LogsConfigurationRead),
            ManageWebhooks => self.grants(Scope::Webhooks),
            ViewWebhooks => self.grants(Scope::WebhooksRead),
            ManageInvites | ExportUsers | IssueRecoveryLinks | ViewOidcClients
            | ManageOidcClients => false,
        }
    }

    /// Names, space-separated.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The authority an OAuth client's access token carries into a change: the client (as the
/// audit log names it), the role it acts with and its scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    pub client_id: String,
    pub role: Role,
    pub scopes: Scopes,
}

impl Delegation {
    /// The role to check a change's rules with, when both the role and the scopes allow
    /// `permission`.
    pub fn role_for(&self, permission: Permission) -> Option<Role> {
        (self.role.can(permission) && self.scopes.allow_change(permission)).then_some(self.role)
    }
}

/// The role a client made by someone with `creator` acts with: theirs, except that a
/// credential without a person never acts as the Owner.
pub fn delegated_role(creator: Role) -> Role {
    if creator == Role::Owner {
        Role::Admin
    } else {
        creator
    }
}

/// The first scope `role` may not give a client, if any.
pub fn beyond_role(role: Role, scopes: &Scopes) -> Option<Scope> {
    scopes.iter().find(|scope| !scope.usable_by(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(text: &str) -> Scopes {
        Scopes::parse(text).expect("scopes")
    }

    #[test]
    fn a_write_scope_grants_its_read_form_and_all_grants_everything() {
        assert!(scopes("users").grants(Scope::UsersRead));
        assert!(!scopes("users:read").grants(Scope::Users));
        assert!(scopes("all").grants(Scope::OauthKeys));
        assert!(scopes("all:read").grants(Scope::LogsConfigurationRead));
        assert!(!scopes("all:read").grants(Scope::FeatureSettings));
        assert!(!scopes("feature_settings").grants(Scope::UsersRead));
        assert!(scopes("users feature_settings").covers(&scopes("users:read feature_settings")));
        assert!(!scopes("users:read").covers(&scopes("users")));
    }

    #[test]
    fn unknown_scope_names_are_refused_by_name() {
        assert_eq!(
            Scopes::parse("users devices:core"),
            Err("unknown scope \"devices:core\"".to_owned())
        );
        assert_eq!(
            scopes("users,users:read  users").to_text(),
            "users users:read"
        );
    }

    #[test]
    fn no_scope_lets_a_client_write_invites() {
        let every = Scopes::new(Scope::ALL.to_vec());
        assert!(!every.allow_change(Permission::ManageInvites));
        assert!(every.allow_change(Permission::ManageUsers));
        assert!(!scopes("users:read").allow_change(Permission::ManageUsers));
    }

    #[test]
    fn a_person_gives_only_scopes_their_role_could_use() {
        assert_eq!(
            beyond_role(Role::NetworkAdmin, &scopes("users")),
            Some(Scope::Users)
        );
        assert_eq!(
            beyond_role(Role::NetworkAdmin, &scopes("feature_settings")),
            None
        );
        assert_eq!(
            beyond_role(Role::ItAdmin, &scopes("users api_access_tokens")),
            None
        );
        assert_eq!(
            beyond_role(Role::Auditor, &scopes("users:read logs:configuration:read")),
            None
        );
        assert_eq!(
            beyond_role(Role::Auditor, &scopes("api_access_tokens:read")),
            Some(Scope::ApiAccessTokensRead)
        );
        assert_eq!(beyond_role(Role::ItAdmin, &scopes("all")), Some(Scope::All));
        assert_eq!(delegated_role(Role::Owner), Role::Admin);
    }
}
