//! Server functions of the "General settings" page: reading the tailnet's settings and
//! changing who may join and who may leave for other tailnets.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{GeneralSettings, JoinSettings};
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::roles::Role;

/// The "General settings" page: the tailnet's name and kind, its joining settings and what the
/// viewer may change. Any admin role may read it; Members get 403.
#[server(prefix = "/api", endpoint = "get_general_settings", input = Json)]
pub async fn get_general_settings(tailnet: TailnetId) -> Result<GeneralSettings, AppError> {
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (_, role) = require(&state, &tailnet, Permission::ViewMembers).await?;
        let mut conn = state.db.acquire().await?;
        let rules = super::server::load(&mut conn, &tailnet).await?;
        Ok(GeneralSettings {
            name: rules.name,
            kind: rules.kind,
            settings: rules.settings,
            manages_join_external: role.can(Permission::ManageJoinExternalTailnets),
            manages_user_approval: role.can(Permission::ManageUserApproval),
            manages_coordination_server: role.can(Permission::ManageOidcClients),
        })
    })
    .await
}

/// Turns "User approval" on or off (Owner, Admin, Network admin).
#[server(prefix = "/api", endpoint = "set_user_approval", input = Json)]
pub async fn set_user_approval(
    tailnet: TailnetId,
    enabled: bool,
) -> Result<JoinSettings, AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &tailnet, Permission::ManageUserApproval).await?;
        verification.require()?;
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
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &tailnet, Permission::ManageJoinExternalTailnets)
                .await?;
        verification.require()?;
        super::server::set_join_external_roles(&state.db, &actor, &tailnet, &roles, now()).await
    })
    .await
}

/// Sets the "Coordination server URL" (Owner, Admin, Network admin: those who manage OIDC
/// clients); empty clears it.
#[server(prefix = "/api", endpoint = "set_coordination_server_url", input = Json)]
pub async fn set_coordination_server_url(
    tailnet: TailnetId,
    url: String,
) -> Result<JoinSettings, AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &tailnet, Permission::ManageOidcClients).await?;
        let url = super::model::check_coordination_server_url(&url)
            .map_err(|problem| AppError::validation("coordination_server_url", problem))?;
        verification.require()?;
        super::server::set_coordination_server_url(
            &state.db,
            &actor,
            &tailnet,
            url.as_deref(),
            now(),
        )
        .await
    })
    .await
}

/// "Leave tailnet": ends the signed-in person's own membership of `tailnet`, when it is an
/// organization's tailnet joined after their home tailnet. Access ends at once.
#[server(prefix = "/api", endpoint = "leave_tailnet", input = Json)]
pub async fn leave_tailnet(tailnet: TailnetId) -> Result<(), AppError> {
    use crate::context::{acting_person, app_state, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        let person = acting_person(&state, &session).await?;
        super::leave::leave(&state.db, &person, &tailnet, now()).await
    })
    .await
}
