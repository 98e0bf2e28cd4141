//! A tailnet's kind and joining settings, shared by the server and the pages.

use serde::{Deserialize, Serialize};

use crate::roles::{MemberStatus, Role};

/// Whose tailnet it is, chosen at setup. Members may leave an organization's tailnet (one they
/// joined after their home tailnet), never a person's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TailnetKind {
    #[default]
    Organization,
    Personal,
}

impl TailnetKind {
    pub const ALL: [TailnetKind; 2] = [TailnetKind::Organization, TailnetKind::Personal];

    pub fn as_str(self) -> &'static str {
        match self {
            TailnetKind::Organization => "organization",
            TailnetKind::Personal => "personal",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == stored)
    }

    pub fn label(self) -> &'static str {
        match self {
            TailnetKind::Organization => "Organization",
            TailnetKind::Personal => "Personal",
        }
    }
}

/// "Leave tailnet" is for tailnets joined after the home tailnet, and only for organizations'
/// tailnets (the seed's rule); the Owner transfers ownership first, and a suspended member
/// cannot leave (it would erase the suspension).
pub fn may_leave(is_home: bool, kind: TailnetKind, role: Role, status: MemberStatus) -> bool {
    !is_home
        && kind == TailnetKind::Organization
        && role != Role::Owner
        && status != MemberStatus::Suspended
}

/// The choices of the "Join external tailnets" section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinExternalChoice {
    /// Admins (and the Owner, who holds every Admin right): the default.
    Admin,
    /// Every role.
    Member,
    /// "None (disable)".
    Nobody,
}

impl JoinExternalChoice {
    pub const ALL: [JoinExternalChoice; 3] = [
        JoinExternalChoice::Admin,
        JoinExternalChoice::Member,
        JoinExternalChoice::Nobody,
    ];

    pub fn label(self) -> &'static str {
        match self {
            JoinExternalChoice::Admin => "Admin",
            JoinExternalChoice::Member => "Member",
            JoinExternalChoice::Nobody => "None (disable)",
        }
    }

    pub fn explanation(self) -> &'static str {
        match self {
            JoinExternalChoice::Admin => {
                "Owners and Admins may accept invitations to other tailnets."
            }
            JoinExternalChoice::Member => {
                "Everyone in this tailnet may accept invitations to other tailnets."
            }
            JoinExternalChoice::Nobody => "Nobody in this tailnet may join other tailnets.",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JoinExternalChoice::Admin => "admin",
            JoinExternalChoice::Member => "member",
            JoinExternalChoice::Nobody => "none",
        }
    }

    /// The roles the choice allows.
    pub fn roles(self) -> Vec<Role> {
        match self {
            JoinExternalChoice::Admin => vec![Role::Owner, Role::Admin],
            JoinExternalChoice::Member => Role::ALL.to_vec(),
            JoinExternalChoice::Nobody => Vec::new(),
        }
    }

    /// The choice a stored role list is, when it is one of the three.
    pub fn of_roles(roles: &[Role]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|choice| encode_roles(&choice.roles()) == encode_roles(roles))
    }
}

/// The "General settings" page: the tailnet and what the viewer may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneralSettings {
    pub name: String,
    pub kind: TailnetKind,
    pub settings: JoinSettings,
    /// Owner, Admin, IT admin.
    pub manages_join_external: bool,
    /// Owner, Admin, Network admin.
    pub manages_user_approval: bool,
    /// Owner, Admin, Network admin (those who manage OIDC clients).
    pub manages_coordination_server: bool,
}

/// Who may join, and who may leave for other tailnets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinSettings {
    /// "User approval": people who accept an invite wait until an admin approves them.
    pub user_approval: bool,
    /// "Join external tailnets": the roles whose members may accept invites to other
    /// tailnets. Empty is "None (disable)".
    pub join_external_roles: Vec<Role>,
    /// "Coordination server URL": where devices join (for example Headscale).
    pub coordination_server_url: Option<String>,
}

/// The longest "Coordination server URL" accepted.
pub const MAX_COORDINATION_URL_CHARS: usize = 2_000;

/// Checks a typed "Coordination server URL": empty clears it; otherwise an https URL (http
/// only for this computer) without user name, query or fragment, kept without a trailing
/// slash, as `tailscale up --login-server` takes it.
#[cfg(feature = "ssr")]
pub fn check_coordination_server_url(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_COORDINATION_URL_CHARS {
        return Err(format!(
            "Use at most {MAX_COORDINATION_URL_CHARS} characters."
        ));
    }
    let url = url::Url::parse(text).map_err(|_| {
        "Enter the server's full address, for example https://headscale.example.com.".to_owned()
    })?;
    use crate::web_address::{AddressProblem, check_secure};
    match check_secure(&url) {
        Ok(()) => {}
        Err(AddressProblem::PlainHttp | AddressProblem::NotHttps) => {
            return Err("Use an https address (http only for localhost).".to_owned());
        }
        Err(AddressProblem::Credentials) => {
            return Err("The address has no user name or password.".to_owned());
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("The address has no ?query or #fragment.".to_owned());
    }
    Ok(Some(url.as_str().trim_end_matches('/').to_owned()))
}

/// The command that joins a device to the network at `coordination_server_url`.
pub fn login_command(coordination_server_url: &str) -> String {
    format!("tailscale up --login-server {coordination_server_url}")
}

/// The stored form of a role list: stored names, comma-separated, in `Role::ALL` order.
pub fn encode_roles(roles: &[Role]) -> String {
    Role::ALL
        .into_iter()
        .filter(|role| roles.contains(role))
        .map(Role::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a stored role list; an unknown name is reported, never skipped.
pub fn decode_roles(stored: &str) -> Result<Vec<Role>, String> {
    stored
        .split(',')
        .filter(|name| !name.is_empty())
        .map(|name| Role::parse(name).ok_or_else(|| format!("unknown role {name}")))
        .collect()
}

/// How the setting reads in sentences: "Owner and Admin", "nobody".
pub fn describe_roles(roles: &[Role]) -> String {
    let labels: Vec<&str> = roles.iter().map(|role| role.label()).collect();
    match labels.as_slice() {
        [] => "nobody".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn coordination_server_urls_are_https_and_kept_as_login_server_takes_them() {
        assert_eq!(
            check_coordination_server_url(" https://Headscale.Example.com/ "),
            Ok(Some("https://headscale.example.com".to_owned()))
        );
        assert_eq!(
            check_coordination_server_url("https://h.example.com:8443/hs/"),
            Ok(Some("https://h.example.com:8443/hs".to_owned()))
        );
        assert_eq!(check_coordination_server_url("  "), Ok(None));
        assert!(check_coordination_server_url("http://127.0.0.1:8080").is_ok());
        for bad in [
            "headscale.example.com",
            "http://headscale.example.com",
            "https://u:p@h.example.com",
            "https://h.example.com/?x=1",
            "javascript:alert(1)",
        ] {
            assert!(check_coordination_server_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            login_command("https://h.example.com"),
            "tailscale up --login-server https://h.example.com"
        );
    }

    #[test]
    fn role_lists_round_trip_in_a_stable_order() {
        let stored = encode_roles(&[Role::Member, Role::Owner, Role::Admin]);
        assert_eq!(stored, "owner,admin,member");
        assert_eq!(
            decode_roles(&stored),
            Ok(vec![Role::Owner, Role::Admin, Role::Member])
        );
        assert_eq!(encode_roles(&[]), "");
        assert_eq!(decode_roles(""), Ok(vec![]));
        assert!(decode_roles("owner,root").is_err());
    }

    #[test]
    fn the_three_choices_are_role_lists() {
        for choice in JoinExternalChoice::ALL {
            assert_eq!(JoinExternalChoice::of_roles(&choice.roles()), Some(choice));
        }
        // The stored default is the "Admin" choice.
        let default = decode_roles("owner,admin").expect("default");
        assert_eq!(
            JoinExternalChoice::of_roles(&default),
            Some(JoinExternalChoice::Admin)
        );
        assert_eq!(JoinExternalChoice::of_roles(&[Role::Auditor]), None);
        for kind in TailnetKind::ALL {
            assert_eq!(TailnetKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn role_lists_read_as_english() {
        assert_eq!(describe_roles(&[]), "nobody");
        assert_eq!(describe_roles(&[Role::Admin]), "Admin");
        assert_eq!(
            describe_roles(&[Role::Owner, Role::Admin, Role::ItAdmin]),
            "Owner, Admin and IT admin"
        );
    }
}
