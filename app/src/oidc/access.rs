//! Who may sign in through a tailnet's OIDC client: one rule, used by the authorization
//! endpoint and by anything else that must agree with it (the console shows the same words).
//! Only an Active member of the client's tailnet whose role the client allows gets in.

use serde::{Deserialize, Serialize};

use super::model::OidcClient;
use crate::roles::{MemberStatus, Role};

/// Why a person may not sign in through a client; each reads as the page says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ClientSignInRefusal {
    #[error("You are not a member of {tailnet}.")]
    NotAMember { tailnet: String },
    #[error("Waiting for approval: an admin of {tailnet} has to approve you first.")]
    WaitingForApproval { tailnet: String },
    #[error("Your access to {tailnet} is suspended.")]
    Suspended { tailnet: String },
    #[error("{client} is not open to the {role} role in {tailnet}.")]
    RoleNotAllowed {
        client: String,
        role: String,
        tailnet: String,
    },
}

/// The rule: `membership` is the person's role and status in the client's tailnet (`None`
/// when they are not a member). Returns the role the ID token's `groups` claim carries.
pub fn check_client_sign_in(
    membership: Option<(Role, MemberStatus)>,
    client: &OidcClient,
    tailnet_name: &str,
) -> Result<Role, ClientSignInRefusal> {
    let tailnet = tailnet_name.to_owned();
    let (role, status) = membership.ok_or(ClientSignInRefusal::NotAMember {
        tailnet: tailnet.clone(),
    })?;
    match status {
        MemberStatus::Active => {}
        MemberStatus::NeedsApproval => {
            return Err(ClientSignInRefusal::WaitingForApproval { tailnet });
        }
        MemberStatus::Suspended => return Err(ClientSignInRefusal::Suspended { tailnet }),
    }
    if client.allowed_roles.is_empty() || client.allowed_roles.contains(&role) {
        Ok(role)
    } else {
        Err(ClientSignInRefusal::RoleNotAllowed {
            client: client.name.clone(),
            role: role.label().to_owned(),
            tailnet,
        })
    }
}

/// The rule applied to the person as the database knows them now, for `client`.
#[cfg(feature = "ssr")]
pub async fn check_person(
    conn: &mut sqlx::AnyConnection,
    client: &super::clients::RegisteredClient,
    user: &crate::ids::UserId,
) -> Result<Result<Role, ClientSignInRefusal>, crate::error::AppError> {
    let membership = crate::context::membership(conn, &client.tailnet, user.as_str()).await?;
    Ok(check_client_sign_in(
        membership,
        &client.client,
        &client.tailnet_name,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(allowed_roles: Vec<Role>) -> OidcClient {
        OidcClient {
            id: "c".to_owned(),
            name: "Headscale".to_owned(),
            callback_urls: vec!["https://h.example.com/oidc/callback".to_owned()],
            public: false,
            require_pkce: false,
            allowed_roles,
            created_at: 0,
        }
    }

    #[test]
    fn only_active_members_with_an_allowed_role_get_in() {
        let every_role = client(Vec::new());
        for role in Role::ALL {
            assert_eq!(
                check_client_sign_in(Some((role, MemberStatus::Active)), &every_role, "Acme"),
                Ok(role)
            );
            for status in [MemberStatus::NeedsApproval, MemberStatus::Suspended] {
                assert!(check_client_sign_in(Some((role, status)), &every_role, "Acme").is_err());
            }
        }
        let refusal = check_client_sign_in(None, &every_role, "Acme");
        assert_eq!(
            refusal.map_err(|r| r.to_string()),
            Err("You are not a member of Acme.".to_owned())
        );

        let admins_only = client(vec![Role::Owner, Role::Admin]);
        assert_eq!(
            check_client_sign_in(
                Some((Role::Admin, MemberStatus::Active)),
                &admins_only,
                "Acme"
            ),
            Ok(Role::Admin)
        );
        let refusal = check_client_sign_in(
            Some((Role::Member, MemberStatus::Active)),
            &admins_only,
            "Acme",
        );
        assert_eq!(
            refusal.map_err(|r| r.to_string()),
            Err("Headscale is not open to the Member role in Acme.".to_owned())
        );
    }
}
