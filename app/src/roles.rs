//! Roles and permissions, and the one table of what each role may do.

use serde::{Deserialize, Serialize};

/// A member's role in one tailnet, with the names Tailscale's console uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    NetworkAdmin,
    ItAdmin,
    BillingAdmin,
    Auditor,
    Member,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Owner,
        Role::Admin,
        Role::NetworkAdmin,
        Role::ItAdmin,
        Role::BillingAdmin,
        Role::Auditor,
        Role::Member,
    ];

    /// The stable name stored in the database and used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::NetworkAdmin => "network_admin",
            Role::ItAdmin => "it_admin",
            Role::BillingAdmin => "billing_admin",
            Role::Auditor => "auditor",
            Role::Member => "member",
        }
    }

    pub fn parse(stored: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == stored)
    }

    /// The role as Tailscale spells it in its API and in an ID token's `groups` claim.
    pub fn tailscale_name(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::NetworkAdmin => "network-admin",
            Role::ItAdmin => "it-admin",
            Role::BillingAdmin => "billing-admin",
            Role::Auditor => "auditor",
            Role::Member => "member",
        }
    }

    /// Reads Tailscale's spelling (`it-admin`, `network-admin`, …).
    pub fn from_tailscale_name(name: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.tailscale_name() == name)
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::NetworkAdmin => "Network admin",
            Role::ItAdmin => "IT admin",
            Role::BillingAdmin => "Billing admin",
            Role::Auditor => "Auditor",
            Role::Member => "Member",
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            ViewMembers | ViewAuditLog => self != Member,
            ViewInvites => matches!(self, Owner | Admin | ItAdmin | NetworkAdmin | BillingAdmin),
            ManageInvites | ApproveUsers | ManageUsers | ManageJoinExternalTailnets => {
                matches!(self, Owner | Admin | ItAdmin)
            }
            ManageUserApproval => matches!(self, Owner | Admin | NetworkAdmin),
            ExportUsers => matches!(self, Owner | Admin | ItAdmin | NetworkAdmin | Auditor),
            IssueRecoveryLinks => matches!(self, Owner | Admin | ItAdmin),
            ViewOidcClients => self != Member,
            ManageOidcClients => matches!(self, Owner | Admin | NetworkAdmin),
            ManageApiTokens | ManageWebhooks => {
                matches!(self, Owner | Admin | ItAdmin | NetworkAdmin)
            }
            ViewWebhooks => self != Member,
        }
    }

    /// Whether this role holds strictly more than `other`: every permission of `other` and at
    /// least one more. The Owner outranks every other role. Roles whose rights differ (an IT
    /// admin manages users, a Network admin turns user approval on and off) outrank neither
    /// each other nor themselves. Rules such as "a recovery link only reaches accounts with
    /// less privilege than its issuer's" use this.
    pub fn outranks(self, other: Role) -> bool {
        if self == Role::Owner || other == Role::Owner {
            return self == Role::Owner && other != Role::Owner;
        }
        let holds = |role: Role, permission: &Permission| role.can(*permission);
        Permission::ALL
            .iter()
            .all(|p| !holds(other, p) || holds(self, p))
            && Permission::ALL
                .iter()
                .any(|p| holds(self, p) && !holds(other, p))
    }
}

/// Whether a member with role `actor` may give `role` to someone or take it from them, on every
/// path that does so: an invite by email or link, "Approve" (the role chosen and the role the
/// invite promised), "Remove" of someone who waits with that role, and "Change role". Nobody
/// grants Owner (ownership is transferred); Owners and Admins grant every other role; an IT
/// admin grants every other role except Admin; no other role grants anything.
pub fn may_grant(actor: Role, role: Role) -> bool {
    match actor {
        Role::Owner | Role::Admin => role != Role::Owner,
        Role::ItAdmin => !matches!(role, Role::Owner | Role::Admin),
        Role::NetworkAdmin | Role::BillingAdmin | Role::Auditor | Role::Member => false,
    }
}

/// The sentence that explains a refusal of [`may_grant`].
pub fn grant_refusal(actor: Role, role: Role) -> String {
    match (actor, role) {
        (_, Role::Owner) => {
            "Nobody can be given the Owner role: the Owner uses Transfer ownership.".to_owned()
        }
        (Role::ItAdmin, Role::Admin) => {
            "An IT admin cannot give or take the Admin role. Ask an Owner or Admin.".to_owned()
        }
        _ => format!("{} members cannot give roles.", actor.label()),
    }
}

/// Whether giving `role` (by invite or approval) needs a recent passkey sign-in: every role
/// above Member carries rights over other people or the tailnet.
pub fn grant_needs_recent_sign_in(role: Role) -> bool {
    role != Role::Member
}

/// [`may_grant`] as a server function's refusal (403 with [`grant_refusal`]'s sentence).
pub fn check_grant(actor: Role, role: Role) -> Result<(), crate::error::AppError> {
    if may_grant(actor, role) {
        Ok(())
    } else {
        Err(crate::error::AppError::NotAllowed(grant_refusal(
            actor, role,
        )))
    }
}

/// Something a member may be allowed to do in a tailnet. Server functions check one of these
/// on their first line; the UI uses the same table only to decide what to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// See the Users page with its members.
    ViewMembers,
    /// See open invitations ("View invites").
    ViewInvites,
    /// Invite, resend and delete invitations.
    ManageInvites,
    /// Approve or remove people who wait for approval.
    ApproveUsers,
    /// Change roles, suspend, restore and remove members.
    ManageUsers,
    /// Turn "User approval" on or off.
    ManageUserApproval,
    /// Choose which roles may join external tailnets.
    ManageJoinExternalTailnets,
    /// Read the configuration audit logs.
    ViewAuditLog,
    /// Download the member list.
    ExportUsers,
    /// Issue a one-time recovery link for a member who lost their passkeys.
    IssueRecoveryLinks,
    /// See the "OIDC clients" page: the coordination servers people sign in to.
    ViewOidcClients,
    /// Add OIDC clients, regenerate their secrets and delete them.
    ManageOidcClients,
    /// Generate and revoke API access tokens ("Keys").
    ManageApiTokens,
    /// See the "Webhooks" page: endpoints and their deliveries.
    ViewWebhooks,
    /// Add, test and delete webhook endpoints, rotate their secrets, retry deliveries.
    ManageWebhooks,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::ViewMembers,
        Permission::ViewInvites,
        Permission::ManageInvites,
        Permission::ApproveUsers,
        Permission::ManageUsers,
        Permission::ManageUserApproval,
        Permission::ManageJoinExternalTailnets,
        Permission::ViewAuditLog,
        Permission::ExportUsers,
        Permission::IssueRecoveryLinks,
        Permission::ViewOidcClients,
        Permission::ManageOidcClients,
        Permission::ManageApiTokens,
        Permission::ViewWebhooks,
        Permission::ManageWebhooks,
    ];
}

/// A membership's state in its tailnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    NeedsApproval,
    Suspended,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::NeedsApproval => "needs_approval",
            MemberStatus::Suspended => "suspended",
        }
    }

    pub fn parse(stored: &str) -> Option<MemberStatus> {
        [Self::Active, Self::NeedsApproval, Self::Suspended]
            .into_iter()
            .find(|status| status.as_str() == stored)
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberStatus::Active => "Active",
            MemberStatus::NeedsApproval => "Needs approval",
            MemberStatus::Suspended => "Suspended",
        }
    }
}

/// A role read from the database; an unknown name is a bug, reported as an internal error.
#[cfg(feature = "ssr")]
pub fn stored_role(stored: &str) -> Result<Role, crate::error::AppError> {
    Role::parse(stored)
        .ok_or_else(|| crate::error::AppError::internal(format!("stored role {stored}")))
}

/// A membership status read from the database.
#[cfg(feature = "ssr")]
pub fn stored_status(stored: &str) -> Result<MemberStatus, crate::error::AppError> {
    MemberStatus::parse(stored)
        .ok_or_else(|| crate::error::AppError::internal(format!("stored status {stored}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(role.tailscale_name(), role.as_str().replace('_', "-"));
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn only_owners_and_admins_grant_admin_and_nobody_grants_owner() {
        for actor in Role::ALL {
            assert!(!may_grant(actor, Role::Owner), "{actor:?} granted Owner");
            let grants_admin = matches!(actor, Role::Owner | Role::Admin);
            assert_eq!(may_grant(actor, Role::Admin), grants_admin, "{actor:?}");
            // Whoever grants anything manages invites and users; nobody else grants.
            let grants_member = may_grant(actor, Role::Member);
            assert_eq!(
                grants_member,
                actor.can(Permission::ManageInvites),
                "{actor:?}"
            );
            assert_eq!(
                grants_member,
                actor.can(Permission::ManageUsers),
                "{actor:?}"
            );
        }
        assert!(may_grant(Role::ItAdmin, Role::ItAdmin));
        assert!(may_grant(Role::ItAdmin, Role::NetworkAdmin));
        assert!(grant_refusal(Role::ItAdmin, Role::Admin).contains("IT admin"));
    }

    #[test]
    fn ranks_follow_the_permissions_each_role_holds() {
        use Role::*;
        let outranked = |role: Role| -> Vec<Role> {
            Role::ALL
                .into_iter()
                .filter(|other| role.outranks(*other))
                .collect()
        };
        assert_eq!(
            outranked(Owner),
            vec![Admin, NetworkAdmin, ItAdmin, BillingAdmin, Auditor, Member]
        );
        assert_eq!(
            outranked(Admin),
            vec![NetworkAdmin, ItAdmin, BillingAdmin, Auditor, Member]
        );
        // An IT admin cannot turn user approval on or off, which a Network admin can.
        assert_eq!(outranked(ItAdmin), vec![BillingAdmin, Auditor, Member]);
        assert_eq!(outranked(NetworkAdmin), vec![BillingAdmin, Auditor, Member]);
        assert_eq!(outranked(Member), Vec::<Role>::new());
        for role in Role::ALL {
            assert!(!role.outranks(role), "{role:?} outranks itself");
        }
    }

    #[test]
    fn the_seed_pages_rules_hold() {
        // "You need to be an Owner, Admin, or IT admin to send an invitation."
        let inviters: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.can(Permission::ManageInvites))
            .collect();
        assert_eq!(inviters, vec![Role::Owner, Role::Admin, Role::ItAdmin]);
        // "Owner, Admin, IT admin, Network admin, or Billing admin to view invitations."
        assert!(!Role::Auditor.can(Permission::ViewInvites));
        assert!(Role::BillingAdmin.can(Permission::ViewInvites));
        // Audit logs: every admin role, never a plain Member.
        assert!(Role::Auditor.can(Permission::ViewAuditLog));
        assert!(!Role::Member.can(Permission::ViewAuditLog));
        assert!(!Role::Member.can(Permission::ViewMembers));
    }
}
