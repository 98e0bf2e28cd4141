//! Recovery links as both sides see them, and the rule of who may recover whom.

use serde::{Deserialize, Serialize};

use crate::roles::{MemberStatus, Permission, Role};

/// A recovery link works once, for this long.
pub const RECOVERY_LINK_TTL_SECS: i64 = 24 * 60 * 60;

/// The one answer for every recovery link that cannot be used.
pub const INVALID_RECOVERY_LINK_MESSAGE: &str = "This recovery link is not valid: it may have \
     expired, been used, or been replaced by a newer one. Ask an admin of your tailnet for a new \
     recovery link.";

/// What an admin sees once, right after issuing a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedRecoveryLink {
    /// The link itself, only where no email can carry it (no SMTP, or the operator's command):
    /// with SMTP it goes to the person's own address alone, so no admin holds a way into a
    /// peer's account.
    pub link: Option<String>,
    pub expires_at: i64,
    /// Whether an email with the link is on its way to the person.
    pub emailed: bool,
}

/// The public recovery page's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryLinkPreview {
    pub display_name: String,
    pub email: String,
    pub expires_at: i64,
}

/// The issuer's membership in one tailnet of the person to recover, if they have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuerMembership {
    pub role: Role,
    pub status: MemberStatus,
}

/// The one refusal of every recovery link the rule does not allow: it says neither which rule
/// nor which role or other tailnet stands in the way.
pub const RECOVERY_REFUSED_MESSAGE: &str = "You cannot issue a recovery link for this person. \
     An Owner, or a server operator with `gatehouse recover`, can.";

/// Whether an issuer may reach an account that holds `target_role` in some tailnet, where the
/// issuer holds `issuer` (`None`: not a member). A recovery link opens the whole account, so
/// this must hold in every tailnet the person belongs to: the issuer is an active member who
/// may issue links there and outranks the person ([`Role::outranks`]: strictly more rights, or
/// the Owner).
pub fn may_recover(issuer: Option<IssuerMembership>, target_role: Role) -> Result<(), String> {
    let allowed = issuer.is_some_and(|issuer| {
        issuer.status == MemberStatus::Active
            && issuer.role.can(Permission::IssueRecoveryLinks)
            && issuer.role.outranks(target_role)
    });
    if allowed {
        Ok(())
    } else {
        Err(RECOVERY_REFUSED_MESSAGE.to_owned())
    }
}

/// Whether a member's row menu offers "Recovery link" to the viewer (the server also checks
/// the person's other tailnets).
pub fn offers_recovery_link(viewer_role: Role, is_own_row: bool, member_role: Role) -> bool {
    let viewer = IssuerMembership {
        role: viewer_role,
        status: MemberStatus::Active,
    };
    !is_own_row && may_recover(Some(viewer), member_role).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(role: Role) -> Option<IssuerMembership> {
        Some(IssuerMembership {
            role,
            status: MemberStatus::Active,
        })
    }

    #[test]
    fn issuers_reach_only_accounts_with_less_privilege() {
        assert!(may_recover(active(Role::Owner), Role::Admin).is_ok());
        assert!(may_recover(active(Role::Admin), Role::ItAdmin).is_ok());
        assert!(may_recover(active(Role::Admin), Role::Member).is_ok());
        assert!(may_recover(active(Role::ItAdmin), Role::Member).is_ok());
        // Equal privilege is not enough: an Admin cannot take over a peer.
        assert!(may_recover(active(Role::Admin), Role::Admin).is_err());
        assert!(may_recover(active(Role::ItAdmin), Role::ItAdmin).is_err());
        // A Network admin holds a right an IT admin lacks.
        assert!(may_recover(active(Role::ItAdmin), Role::NetworkAdmin).is_err());
        assert!(may_recover(active(Role::Admin), Role::Owner).is_err());
        // Refusals never name the role or tailnet that stands in the way.
        for (issuer, target) in [
            (active(Role::ItAdmin), Role::Admin),
            (None, Role::Member),
            (active(Role::Auditor), Role::Member),
        ] {
            assert_eq!(
                may_recover(issuer, target),
                Err(RECOVERY_REFUSED_MESSAGE.to_owned())
            );
        }
    }

    #[test]
    fn the_menu_offers_a_link_only_where_the_rule_allows_and_never_for_yourself() {
        assert!(offers_recovery_link(Role::Admin, false, Role::Member));
        assert!(
            !offers_recovery_link(Role::Admin, true, Role::Admin),
            "own row"
        );
        assert!(!offers_recovery_link(Role::ItAdmin, false, Role::Admin));
        assert!(!offers_recovery_link(Role::Auditor, false, Role::Member));
        assert!(!offers_recovery_link(Role::Admin, false, Role::Owner));
    }

    #[test]
    fn only_active_owners_admins_and_it_admins_issue_links() {
        assert!(may_recover(active(Role::NetworkAdmin), Role::Member).is_err());
        assert!(may_recover(active(Role::Auditor), Role::Member).is_err());
        let suspended = Some(IssuerMembership {
            role: Role::Admin,
            status: MemberStatus::Suspended,
        });
        assert!(may_recover(suspended, Role::Member).is_err());
        assert!(
            may_recover(None, Role::Member).is_err(),
            "not an admin there"
        );
    }
}
