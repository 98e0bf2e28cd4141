//! Server functions of the Users page.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{UserListPage, UserListQuery, UsersOverview};
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::roles::Role;

/// The tailnet's name, its active-user count and what the viewer may do.
#[server(prefix = "/api", endpoint = "get_users_overview", input = Json)]
pub async fn get_users_overview(tailnet: TailnetId) -> Result<UsersOverview, AppError> {
    use super::model::ViewerRights;
    use crate::context::{app_state, require, respond};
    use crate::roles::{MemberStatus, Permission};

    respond(async {
        let state = app_state()?;
        let (session, role) = require(&state, &tailnet, Permission::ViewMembers).await?;
        // Members who have joined and are active (including idle ones) are the billable count.
        let (tailnet_name, kind, home, active_users): (String, String, String, i64) =
            sqlx::query_as(
                "SELECT t.name, t.kind, u.home_tailnet_id, \
                 (SELECT COUNT(*) FROM memberships m WHERE m.tailnet_id = t.id AND m.status = $3) \
                 FROM tailnets t, users u WHERE t.id = $1 AND u.id = $2",
            )
            .bind(tailnet.as_str())
            .bind(session.user_id.as_str())
            .bind(MemberStatus::Active.as_str())
            .fetch_one(&state.db)
            .await?;
        let kind = crate::tailnets::model::TailnetKind::parse(&kind)
            .ok_or_else(|| AppError::internal(format!("stored tailnet kind {kind}")))?;
        Ok(UsersOverview {
            tailnet_name: tailnet_name.clone(),
            active_users,
            viewer: ViewerRights {
                sees_invites: role.can(Permission::ViewInvites),
                manages_invites: role.can(Permission::ManageInvites),
                approves_users: role.can(Permission::ApproveUsers),
                exports_users: role.can(Permission::ExportUsers),
                can_leave: crate::tailnets::model::may_leave(
                    home == tailnet.as_str(),
                    kind,
                    role,
                    MemberStatus::Active,
                ),
                user: session.user_id,
                role,
                tailnet_name: tailnet_name.clone(),
            },
            email_delivery_configured: state.settings.email_delivery_configured,
        })
    })
    .await
}

/// One page of the tailnet's members and, for roles that may see them, its open invites.
#[server(prefix = "/api", endpoint = "list_users", input = Json)]
pub async fn list_users(query: UserListQuery) -> Result<UserListPage, AppError> {
    use crate::context::{app_state, now, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (_, role) = require(&state, &query.tailnet, Permission::ViewMembers).await?;
        super::model::check_search(&query.search)?;
        super::server::read_page(&state.db, &query, role.can(Permission::ViewInvites), now()).await
    })
    .await
}

/// "Approve" a person who waits for approval, optionally with another role. Returns the role
/// they now have.
#[server(prefix = "/api", endpoint = "approve_user", input = Json)]
pub async fn approve_user(
    tailnet: TailnetId,
    user: UserId,
    role: Option<Role>,
) -> Result<Role, AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &tailnet, Permission::ApproveUsers).await?;
        super::approval::approve(
            &state.db,
            &actor,
            verification,
            &tailnet,
            &user,
            role,
            now(),
        )
        .await
    })
    .await
}

/// "Remove" a person who waits for approval.
#[server(prefix = "/api", endpoint = "remove_waiting_user", input = Json)]
pub async fn remove_waiting_user(tailnet: TailnetId, user: UserId) -> Result<(), AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ApproveUsers).await?;
        super::approval::remove_waiting(&state.db, &actor, &tailnet, &user, now()).await
    })
    .await
}

/// A change to a member from the row's menu: "Change role", "Transfer ownership",
/// "Suspend user", "Restore user" or "Remove user". Owner, Admin and IT admin, within the rules
/// of [`super::model::check_member_change`]; a refusal (403) names the rule.
#[server(prefix = "/api", endpoint = "manage_member", input = Json)]
pub async fn manage_member(
    tailnet: TailnetId,
    user: UserId,
    change: super::model::MemberChange,
) -> Result<(), AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &tailnet, Permission::ManageUsers).await?;
        super::manage::apply(
            &state.db,
            &actor,
            verification,
            &tailnet,
            &user,
            change,
            now(),
        )
        .await
    })
    .await
}

/// Turns "Email me when someone needs approval" on or off for the signed-in person.
#[server(prefix = "/api", endpoint = "set_approval_emails", input = Json)]
pub async fn set_approval_emails(on: bool) -> Result<(), AppError> {
    use crate::context::{app_state, current_session, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        super::approval_email::set_preference(&state.db, &session.user_id, on).await
    })
    .await
}
