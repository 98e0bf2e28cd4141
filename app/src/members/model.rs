//! The Users page's list: members and open invites in one table, filtered and paged by the
//! server.

use serde::{Deserialize, Serialize};

use crate::ids::{InviteId, TailnetId, UserId};
use crate::invites::model::InviteKind;
use crate::paging::{Cursor, Page, PageRequest};
use crate::roles::{MemberStatus, Role, may_grant};

/// The longest "Search" the Users page accepts, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Refuses a "Search" longer than [`MAX_SEARCH_CHARS`], for the list and its export alike.
pub fn check_search(search: &str) -> Result<(), crate::error::AppError> {
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(crate::error::AppError::validation(
            "search",
            format!("Search for at most {MAX_SEARCH_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Rows per page.
pub const PAGE_SIZE: usize = 50;

/// A member not seen for this long shows as "Idle".
pub const IDLE_AFTER_SECS: i64 = 28 * 86_400;

/// The "Status" column and filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Active,
    Idle,
    Invited,
    Expired,
    NeedsApproval,
    Suspended,
}

impl RowStatus {
    /// In the order the "Status" drop-down lists them, after "All".
    pub const ALL: [RowStatus; 6] = [
        RowStatus::Active,
        RowStatus::Idle,
        RowStatus::Invited,
        RowStatus::Expired,
        RowStatus::NeedsApproval,
        RowStatus::Suspended,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RowStatus::Active => "Active",
            RowStatus::Idle => "Idle",
            RowStatus::Invited => "Invited",
            RowStatus::Expired => "Expired",
            RowStatus::NeedsApproval => "Needs approval",
            RowStatus::Suspended => "Suspended",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Active => "active",
            RowStatus::Idle => "idle",
            RowStatus::Invited => "invited",
            RowStatus::Expired => "expired",
            RowStatus::NeedsApproval => "needs_approval",
            RowStatus::Suspended => "suspended",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    /// A member's status as shown: "Active" turns "Idle" after 28 days unseen.
    pub fn of_member(status: MemberStatus, last_active_at: i64, now: i64) -> Self {
        match status {
            MemberStatus::Active if now.saturating_sub(last_active_at) >= IDLE_AFTER_SECS => {
                RowStatus::Idle
            }
            MemberStatus::Active => RowStatus::Active,
            MemberStatus::NeedsApproval => RowStatus::NeedsApproval,
            MemberStatus::Suspended => RowStatus::Suspended,
        }
    }

    /// An open invite's status.
    pub fn of_invite(expires_at: i64, now: i64) -> Self {
        if now >= expires_at {
            RowStatus::Expired
        } else {
            RowStatus::Invited
        }
    }

    pub fn is_invite(self) -> bool {
        matches!(self, RowStatus::Invited | RowStatus::Expired)
    }
}

/// The filters of the Users page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListQuery {
    pub tailnet: TailnetId,
    pub status: Option<RowStatus>,
    pub role: Option<Role>,
    /// Matches anywhere in the name or email, ignoring case.
    pub search: String,
    pub page: PageRequest,
}

impl UserListQuery {
    pub fn first_page(tailnet: TailnetId) -> Self {
        Self {
            tailnet,
            status: None,
            role: None,
            search: String::new(),
            page: PageRequest::First,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub status: RowStatus,
    pub joined_at: i64,
    pub last_seen_at: Option<i64>,
    /// False for an address nobody proved (a link invite accepted while the server sent no
    /// email): shown as "Email not verified".
    pub email_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRow {
    pub invite: InviteId,
    pub kind: InviteKind,
    pub email: Option<String>,
    pub role: Role,
    pub status: RowStatus,
    pub invited_at: i64,
    pub expires_at: i64,
    pub invited_by: Option<String>,
    /// An email for this invite is still waiting in the outbox.
    pub email_pending: bool,
    /// False once the person who created it can no longer give its role (removed, suspended or
    /// demoted): the link no longer works ([`crate::invites::model::inviter_still_grants`]).
    pub inviter_still_grants: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserListRow {
    Member(MemberRow),
    Invite(InviteRow),
}

impl UserListRow {
    pub fn cursor(&self) -> Cursor {
        match self {
            UserListRow::Member(member) => Cursor {
                at: member.joined_at,
                key: format!("m:{}", member.user_id),
            },
            UserListRow::Invite(invite) => Cursor {
                at: invite.invited_at,
                key: format!("i:{}", invite.invite),
            },
        }
    }
}

/// What the viewer may do, so the page shows only what the server would allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewerRights {
    pub sees_invites: bool,
    pub manages_invites: bool,
    /// May "Approve" or "Remove" people who wait for approval.
    pub approves_users: bool,
    /// "Export users".
    pub exports_users: bool,
    /// Who is looking, and with which role: the member menus follow [`check_member_change`].
    pub user: UserId,
    pub role: Role,
    /// The viewer's own row offers "Leave tailnet".
    pub can_leave: bool,
    pub tailnet_name: String,
}

/// What an admin does to a member from the row's menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberChange {
    /// "Change role" (never to or from Owner).
    ChangeRole(Role),
    /// "Transfer ownership": the member becomes the Owner and the Owner an Admin.
    TransferOwnership,
    /// "Suspend user": they keep their role but cannot use the tailnet.
    Suspend,
    /// "Restore user".
    Restore,
    /// "Remove user": the membership ends; the account stays.
    Remove,
}

/// The member a change is aimed at, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState<'a> {
    pub user: &'a UserId,
    pub role: Role,
    pub status: MemberStatus,
}

/// Whether `actor` (with `actor_role`, allowed to manage users) may make `change` to `target`;
/// the refusal says which rule stands in the way. The server checks this inside the change's
/// transaction; the Users page uses it to offer only what would be allowed.
pub fn check_member_change(
    actor: &UserId,
    actor_role: Role,
    target: &MemberState<'_>,
    change: MemberChange,
) -> Result<(), String> {
    if !actor_role.can(crate::roles::Permission::ManageUsers) {
        return Err("Only an Owner, Admin or IT admin can manage users.".into());
    }
    if actor == target.user {
        return Err(
            "You cannot change your own role or membership. To leave a tailnet you joined, use \
             Leave tailnet."
                .into(),
        );
    }
    if change == MemberChange::TransferOwnership {
        if actor_role != Role::Owner {
            return Err("Only the Owner can transfer ownership.".into());
        }
        if target.status != MemberStatus::Active {
            return Err("Only an active member can become the Owner.".into());
        }
        return Ok(());
    }
    if target.role == Role::Owner {
        return Err(
            "The Owner cannot be changed, suspended or removed. The Owner can transfer ownership \
             to someone else first."
                .into(),
        );
    }
    // Changing, suspending or removing someone takes their role away: the actor must be one
    // who may give that role.
    if !may_grant(actor_role, target.role) {
        return Err(format!(
            "An {} cannot change, suspend or remove an {}.",
            actor_role.label(),
            target.role.label()
        ));
    }
    match change {
        MemberChange::ChangeRole(Role::Owner) => {
            Err("To make someone the Owner, the Owner uses Transfer ownership.".into())
        }
        MemberChange::ChangeRole(role) if !may_grant(actor_role, role) => Err(format!(
            "An {} cannot make someone an {}.",
            actor_role.label(),
            role.label()
        )),
        MemberChange::ChangeRole(_) if target.status == MemberStatus::NeedsApproval => {
            Err("This person waits for approval: Approve them with a role instead.".into())
        }
        MemberChange::Suspend if target.status != MemberStatus::Active => {
            Err("Only an active member can be suspended.".into())
        }
        MemberChange::Restore if target.status != MemberStatus::Suspended => {
            Err("Only a suspended member can be restored.".into())
        }
        _ => Ok(()),
    }
}

/// Whether `change` to a member who holds `target_role` needs a recent passkey sign-in:
/// transferring ownership, giving or taking the Admin role, suspending or removing an Admin.
pub fn change_needs_recent_sign_in(change: MemberChange, target_role: Role) -> bool {
    match change {
        MemberChange::TransferOwnership => true,
        MemberChange::ChangeRole(role) => role == Role::Admin || target_role == Role::Admin,
        MemberChange::Suspend | MemberChange::Remove => target_role == Role::Admin,
        MemberChange::Restore => false,
    }
}

/// The Users page's heading: what does not change with the filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersOverview {
    pub tailnet_name: String,
    /// Members who have joined and are active: the billable count.
    pub active_users: i64,
    pub viewer: ViewerRights,
    /// Without SMTP, invites reach people only through their links.
    pub email_delivery_configured: bool,
}

/// Where "Export users" downloads the list with these filters from.
pub fn users_export_path(
    tailnet: &TailnetId,
    status: Option<RowStatus>,
    role: Option<Role>,
    search: &str,
) -> String {
    let mut pairs = Vec::new();
    if let Some(status) = status {
        pairs.push(("status", status.as_str().to_owned()));
    }
    if let Some(role) = role {
        pairs.push(("role", role.as_str().to_owned()));
    }
    if !search.trim().is_empty() {
        pairs.push(("search", search.trim().to_owned()));
    }
    format!(
        "/admin/{tailnet}/users/export?{}",
        crate::format::query_string(&pairs)
    )
}

/// One page of the Users list.
pub type UserListPage = Page<UserListRow>;

/// Puts two newest-first lists together and takes one page (plus one row, to know whether
/// more follow). For a `Before` request both lists are oldest-first and so is the result.
pub fn merge_newest_first(
    mut members: Vec<UserListRow>,
    invites: Vec<UserListRow>,
    ascending: bool,
) -> Vec<UserListRow> {
    members.extend(invites);
    members.sort_by_key(UserListRow::cursor);
    if !ascending {
        members.reverse();
    }
    members.truncate(PAGE_SIZE + 1);
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_turn_idle_after_28_days_unseen() {
        let day = 86_400;
        assert_eq!(
            RowStatus::of_member(MemberStatus::Active, 0, 27 * day),
            RowStatus::Active
        );
        assert_eq!(
            RowStatus::of_member(MemberStatus::Active, 0, 28 * day),
            RowStatus::Idle
        );
        assert_eq!(
            RowStatus::of_member(MemberStatus::Suspended, 0, 28 * day),
            RowStatus::Suspended
        );
        assert_eq!(RowStatus::of_invite(100, 99), RowStatus::Invited);
        assert_eq!(RowStatus::of_invite(100, 100), RowStatus::Expired);
    }

    #[test]
    fn member_changes_follow_the_role_rules() {
        let (me, them) = (UserId::from_raw("me"), UserId::from_raw("them"));
        let member = |role, status| MemberState {
            user: &them,
            role,
            status,
        };
        let active = MemberStatus::Active;
        let check = |actor_role, target: &MemberState<'_>, change| {
            check_member_change(&me, actor_role, target, change).is_ok()
        };
        let auditor = member(Role::Auditor, active);
        // Who may manage at all.
        assert!(check(
            Role::Admin,
            &auditor,
            MemberChange::ChangeRole(Role::Member)
        ));
        assert!(check(
            Role::ItAdmin,
            &auditor,
            MemberChange::ChangeRole(Role::Member)
        ));
        assert!(!check(Role::NetworkAdmin, &auditor, MemberChange::Suspend));
        // Never yourself.
        let myself = MemberState {
            user: &me,
            role: Role::Admin,
            status: active,
        };
        assert!(!check(
            Role::Owner,
            &myself,
            MemberChange::ChangeRole(Role::Member)
        ));
        // Never to or from Owner, except Transfer ownership by the Owner.
        assert!(!check(
            Role::Owner,
            &auditor,
            MemberChange::ChangeRole(Role::Owner)
        ));
        let owner = member(Role::Owner, active);
        for change in [
            MemberChange::ChangeRole(Role::Admin),
            MemberChange::Suspend,
            MemberChange::Remove,
        ] {
            assert!(!check(Role::Admin, &owner, change), "{change:?}");
        }
        assert!(check(
            Role::Owner,
            &auditor,
            MemberChange::TransferOwnership
        ));
        assert!(!check(
            Role::Admin,
            &auditor,
            MemberChange::TransferOwnership
        ));
        assert!(!check(
            Role::Owner,
            &member(Role::Auditor, MemberStatus::Suspended),
            MemberChange::TransferOwnership
        ));
        // An IT admin cannot create or change Admins.
        assert!(!check(
            Role::ItAdmin,
            &auditor,
            MemberChange::ChangeRole(Role::Admin)
        ));
        assert!(!check(
            Role::ItAdmin,
            &member(Role::Admin, active),
            MemberChange::Suspend
        ));
        assert!(check(
            Role::Admin,
            &auditor,
            MemberChange::ChangeRole(Role::Admin)
        ));
        // Suspend only the active, restore only the suspended.
        let suspended = member(Role::Auditor, MemberStatus::Suspended);
        assert!(!check(Role::Admin, &suspended, MemberChange::Suspend));
        assert!(check(Role::Admin, &suspended, MemberChange::Restore));
        assert!(!check(Role::Admin, &auditor, MemberChange::Restore));
        assert!(check(Role::Admin, &suspended, MemberChange::Remove));
    }

    #[test]
    fn high_impact_changes_need_a_recent_sign_in() {
        use MemberChange::*;
        assert!(change_needs_recent_sign_in(TransferOwnership, Role::Member));
        assert!(change_needs_recent_sign_in(
            ChangeRole(Role::Admin),
            Role::Member
        ));
        assert!(change_needs_recent_sign_in(
            ChangeRole(Role::Member),
            Role::Admin
        ));
        assert!(change_needs_recent_sign_in(Suspend, Role::Admin));
        assert!(change_needs_recent_sign_in(Remove, Role::Admin));
        assert!(!change_needs_recent_sign_in(
            ChangeRole(Role::Auditor),
            Role::Member
        ));
        assert!(!change_needs_recent_sign_in(Suspend, Role::Member));
        assert!(!change_needs_recent_sign_in(Restore, Role::Admin));
    }

    #[test]
    fn status_filter_values_round_trip() {
        for status in RowStatus::ALL {
            assert_eq!(RowStatus::parse(status.as_str()), Some(status));
        }
    }
}
