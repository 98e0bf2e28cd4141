//! Shared types of signing in, and the session lifetime rules.

use serde::{Deserialize, Serialize};

use crate::ids::{TailnetId, UserId};
use crate::roles::{MemberStatus, Permission, Role};
use crate::tailnets::model::TailnetKind;

/// A session ends after this long without a request.
pub const SESSION_IDLE_SECS: i64 = 8 * 60 * 60;
/// A session ends this long after sign-in, however active.
pub const SESSION_ABSOLUTE_SECS: i64 = 7 * 24 * 60 * 60;
/// A passkey ceremony (registration or sign-in) must finish within this time.
pub const CEREMONY_TTL_SECS: i64 = 5 * 60;
/// `last_seen_at` is written at most this often, so reads do not turn into writes.
pub const SESSION_TOUCH_INTERVAL_SECS: i64 = 60;

/// Whether a session created at `created_at` and last used at `last_seen_at` is still valid.
pub fn session_is_live(created_at: i64, last_seen_at: i64, now: i64) -> bool {
    now < created_at.saturating_add(SESSION_ABSOLUTE_SECS)
        && now < last_seen_at.saturating_add(SESSION_IDLE_SECS)
}

/// Options for the browser's passkey call, and the id of the server-side ceremony they belong to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasskeyChallenge<T> {
    pub ceremony: String,
    pub options: T,
}

/// One tailnet the signed-in person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TailnetMembership {
    pub tailnet_id: TailnetId,
    pub tailnet_name: String,
    pub role: Role,
    pub status: MemberStatus,
    /// The person's first tailnet.
    pub is_home: bool,
    pub kind: TailnetKind,
    /// Where the tailnet's devices join ("Coordination server URL"), when it is set.
    pub coordination_server_url: Option<String>,
}

impl TailnetMembership {
    /// Whether "Leave tailnet" is offered (see [`crate::tailnets::model::may_leave`]).
    pub fn can_leave(&self) -> bool {
        crate::tailnets::model::may_leave(self.is_home, self.kind, self.role, self.status)
    }

    /// Where this tailnet opens: the Users page for admin roles, the person's welcome page
    /// (which also tells whether they still wait for approval) for everyone else.
    pub fn landing_path(&self) -> String {
        if self.status == MemberStatus::Active && self.role.can(Permission::ViewMembers) {
            users_path(&self.tailnet_id)
        } else {
            format!("/welcome/{}", self.tailnet_id)
        }
    }
}

/// The signed-in person, as the UI needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub user_id: UserId,
    pub display_name: String,
    pub email: String,
    /// Home tailnet first, then the others by name.
    pub tailnets: Vec<TailnetMembership>,
}

impl SignedInUser {
    pub fn home(&self) -> Option<&TailnetMembership> {
        self.tailnets.iter().find(|m| m.is_home)
    }

    /// Where to go after signing in: admins to their home tailnet's Users page, everyone else
    /// to their own page.
    pub fn landing_path(&self) -> String {
        match self.home() {
            Some(home)
                if home.status == MemberStatus::Active
                    && home.role.can(Permission::ViewMembers) =>
            {
                users_path(&home.tailnet_id)
            }
            _ => "/".to_owned(),
        }
    }
}

pub fn users_path(tailnet: &TailnetId) -> String {
    format!("/admin/{tailnet}/users")
}

/// A return address is at most this long (an OpenID Connect authorization request with a long
/// redirect URI and state fits).
pub const MAX_RETURN_PATH_CHARS: usize = 8_000;

/// Where the sign-in page may send the person back to: a path on this site (`/admin/…?…`),
/// never another site (`//evil.example`, `/\evil.example`, `https://…`).
pub fn return_path(next: &str) -> Option<String> {
    let on_this_site = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.chars().count() <= MAX_RETURN_PATH_CHARS;
    on_this_site.then(|| next.to_owned())
}

/// The sign-in page, sending the person on to `next` once signed in.
pub fn login_path(next: &str) -> String {
    match return_path(next) {
        Some(next) => format!("/login?{}", crate::format::query_string(&[("next", next)])),
        None => "/login".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_returns_only_to_paths_on_this_site() {
        assert_eq!(
            return_path("/admin/t1/logs?event=USER.LOGIN"),
            Some("/admin/t1/logs?event=USER.LOGIN".to_owned())
        );
        for elsewhere in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example",
            "evil.example",
            "",
            "/a\nb",
        ] {
            assert_eq!(return_path(elsewhere), None, "{elsewhere:?}");
        }
        assert_eq!(login_path("/account"), "/login?next=%2Faccount");
        assert_eq!(login_path("//evil.example"), "/login");
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let start = 1_000_000;
        assert!(session_is_live(start, start, start));
        assert!(session_is_live(start, start, start + SESSION_IDLE_SECS - 1));
        assert!(!session_is_live(start, start, start + SESSION_IDLE_SECS));
        let busy = start + SESSION_ABSOLUTE_SECS - 10;
        assert!(session_is_live(
            start,
            busy,
            start + SESSION_ABSOLUTE_SECS - 1
        ));
        assert!(!session_is_live(start, busy, start + SESSION_ABSOLUTE_SECS));
    }

    fn person(role: Role, status: MemberStatus) -> SignedInUser {
        SignedInUser {
            user_id: UserId::from_raw("u"),
            display_name: "Ada".into(),
            email: "ada@example.com".into(),
            tailnets: vec![TailnetMembership {
                coordination_server_url: None,
                tailnet_id: TailnetId::from_raw("t1"),
                tailnet_name: "Example".into(),
                role,
                status,
                is_home: true,
                kind: TailnetKind::Organization,
            }],
        }
    }

    #[test]
    fn only_later_organization_tailnets_can_be_left() {
        let mut membership = person(Role::Member, MemberStatus::Active)
            .tailnets
            .remove(0);
        assert!(!membership.can_leave(), "the home tailnet");
        membership.is_home = false;
        assert!(membership.can_leave());
        membership.kind = TailnetKind::Personal;
        assert!(!membership.can_leave(), "a personal tailnet");
        membership.kind = TailnetKind::Organization;
        membership.role = Role::Owner;
        assert!(
            !membership.can_leave(),
            "the Owner transfers ownership first"
        );
    }

    #[test]
    fn admins_land_on_the_users_page_and_members_on_their_own() {
        assert_eq!(
            person(Role::Owner, MemberStatus::Active).landing_path(),
            "/admin/t1/users"
        );
        assert_eq!(
            person(Role::Auditor, MemberStatus::Active).landing_path(),
            "/admin/t1/users"
        );
        assert_eq!(
            person(Role::Member, MemberStatus::Active).landing_path(),
            "/"
        );
        assert_eq!(
            person(Role::Admin, MemberStatus::Suspended).landing_path(),
            "/"
        );
    }
}
