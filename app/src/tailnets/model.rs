//! The joining settings of a tailnet, shared by the server and the pages.

use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// Who may join, and who may leave for other tailnets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinSettings {
    /// "User approval": people who accept an invite wait until an admin approves them.
    pub user_approval: bool,
    /// "Join external tailnets": the roles whose members may accept invites to other
    /// tailnets. Empty is "None (disable)".
    pub join_external_roles: Vec<Role>,
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
    fn role_lists_read_as_english() {
        assert_eq!(describe_roles(&[]), "nobody");
        assert_eq!(describe_roles(&[Role::Admin]), "Admin");
        assert_eq!(
            describe_roles(&[Role::Owner, Role::Admin, Role::ItAdmin]),
            "Owner, Admin and IT admin"
        );
    }
}
