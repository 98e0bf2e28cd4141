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
        }
    }

    /// How much a role may change, for rules such as "a recovery link never reaches an account
    /// with more privilege than its issuer's": Owner, then Admin, then the other admin roles,
    /// then Auditor and Member.
    pub fn privilege(self) -> u8 {
        match self {
            Role::Owner => 3,
            Role::Admin => 2,
            Role::NetworkAdmin | Role::ItAdmin | Role::BillingAdmin => 1,
            Role::Auditor | Role::Member => 0,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
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
