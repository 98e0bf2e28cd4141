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
    use super::server::active_user_count;
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (_, role) = require(&state, &tailnet, Permission::ViewMembers).await?;
        let tailnet_name: String = sqlx::query_scalar("SELECT name FROM tailnets WHERE id = $1")
            .bind(tailnet.as_str())
            .fetch_one(&state.db)
            .await?;
        Ok(UsersOverview {
            tailnet_name,
            active_users: active_user_count(&state.db, &tailnet).await?,
            viewer: ViewerRights {
                sees_invites: role.can(Permission::ViewInvites),
                manages_invites: role.can(Permission::ManageInvites),
                approves_users: role.can(Permission::ApproveUsers),
            },
            email_delivery_configured: state.settings.email_delivery_configured,
        })
    })
    .await
}

/// One page of the tailnet's members and, for roles that may see them, its open invites.
#[server(prefix = "/api", endpoint = "list_users", input = Json)]
pub async fn list_users(query: UserListQuery) -> Result<UserListPage, AppError> {
    use super::model::{PAGE_SIZE, UserListRow, merge_newest_first};
    use super::server::{invite_rows, member_rows};
    use crate::context::{app_state, now, require, respond};
    use crate::paging::Page;
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (_, role) = require(&state, &query.tailnet, Permission::ViewMembers).await?;
        let now = now();
        let members = member_rows(&state.db, &query, now).await?;
        let invites = if role.can(Permission::ViewInvites) {
            invite_rows(&state.db, &query, now).await?
        } else {
            Vec::new()
        };
        let rows = merge_newest_first(members, invites, query.page.reads_backwards());
        Ok(Page::from_rows(
            rows,
            &query.page,
            PAGE_SIZE,
            UserListRow::cursor,
        ))
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
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ApproveUsers).await?;
        super::approval::approve(&state.db, &actor, &tailnet, &user, role, now()).await
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
