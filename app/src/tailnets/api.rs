//! Server functions for a tailnet's joining settings. The settings page is its own issue;
//! these are what it (and scripts) call.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::JoinSettings;
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::roles::Role;

/// The tailnet's "User approval" and "Join external tailnets" settings; any admin role.
#[server(prefix = "/api", endpoint = "get_join_settings", input = Json)]
pub async fn get_join_settings(tailnet: TailnetId) -> Result<JoinSettings, AppError> {
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        require(&state, &tailnet, Permission::ViewMembers).await?;
        let mut conn = state.db.acquire().await?;
        Ok(super::server::load(&mut conn, &tailnet).await?.settings)
    })
    .await
}

/// Turns "User approval" on or off (Owner, Admin, Network admin).
#[server(prefix = "/api", endpoint = "set_user_approval", input = Json)]
pub async fn set_user_approval(
    tailnet: TailnetId,
    enabled: bool,
) -> Result<JoinSettings, AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageUserApproval).await?;
        super::server::set_user_approval(&state.db, &actor, &tailnet, enabled, now()).await
    })
    .await
}

/// Chooses the roles that may join external tailnets (Owner, Admin, IT admin); an empty list
/// is "None (disable)".
#[server(prefix = "/api", endpoint = "set_join_external_tailnets", input = Json)]
pub async fn set_join_external_tailnets(
    tailnet: TailnetId,
    roles: Vec<Role>,
) -> Result<JoinSettings, AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageJoinExternalTailnets).await?;
        super::server::set_join_external_roles(&state.db, &actor, &tailnet, &roles, now()).await
    })
    .await
}
