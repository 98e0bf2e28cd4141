//! Server functions of the Users page.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::MembersPage;
use crate::error::AppError;
use crate::ids::TailnetId;

/// The tailnet's members, for anyone allowed to view them (every admin role).
#[server(prefix = "/api", endpoint = "list_members", input = Json)]
pub async fn list_members(tailnet: TailnetId) -> Result<MembersPage, AppError> {
    use super::model::MemberRow;
    use crate::context::{app_state, require, respond};
    use crate::ids::UserId;
    use crate::roles::Permission;

    respond(async {
        /// id, display name, email, role, status, joined, last seen.
        type MemberRecord = (String, String, String, String, String, i64, Option<i64>);

        let state = app_state()?;
        require(&state, &tailnet, Permission::ViewMembers).await?;
        let tailnet_name: String = sqlx::query_scalar("SELECT name FROM tailnets WHERE id = $1")
            .bind(tailnet.as_str())
            .fetch_one(&state.db)
            .await?;
        // The paginated, filtered list is the invite issue's; this first page is bounded.
        let rows: Vec<MemberRecord> = sqlx::query_as(
            "SELECT u.id, u.display_name, u.email, m.role, m.status, m.joined_at, m.last_seen_at \
                 FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.tailnet_id = $1 ORDER BY u.email LIMIT 200",
        )
        .bind(tailnet.as_str())
        .fetch_all(&state.db)
        .await?;
        let members = rows
            .into_iter()
            .map(
                |(id, display_name, email, role, status, joined_at, last_seen_at)| {
                    Ok(MemberRow {
                        user_id: UserId::from_raw(id),
                        display_name,
                        email,
                        role: crate::context::stored_role(&role)?,
                        status: crate::context::stored_status(&status)?,
                        joined_at,
                        last_seen_at,
                    })
                },
            )
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(MembersPage {
            tailnet_name,
            members,
        })
    })
    .await
}
