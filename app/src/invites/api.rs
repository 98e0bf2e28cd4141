//! Server functions for invitations. Each checks the caller's permission in the named tailnet
//! on its first line; hiding a button is never the check.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{EmailInvite, InviteLink, InvitePreview, InvitesSent};
use crate::error::AppError;
use crate::ids::{InviteId, TailnetId};
use crate::roles::Role;

/// The signed-in admin as the audit log records them, after the permission check.
#[cfg(feature = "ssr")]
async fn acting_admin(
    state: &crate::context::AppState,
    tailnet: &TailnetId,
    permission: crate::roles::Permission,
) -> Result<crate::audit::Actor, AppError> {
    let (session, _) = crate::context::require(state, tailnet, permission).await?;
    let mut conn = state.db.acquire().await?;
    crate::audit::Actor::load(
        &mut conn,
        &session.user_id,
        crate::context::client_address(),
    )
    .await
}

/// "Invite by email": one role for every address; all or nothing.
#[server(prefix = "/api", endpoint = "invite_by_email", input = Json)]
pub async fn invite_by_email(invite: EmailInvite) -> Result<InvitesSent, AppError> {
    use super::model::{check_invitable, parse_address_list};
    use crate::context::{app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_admin(&state, &invite.tailnet, Permission::ManageInvites).await?;
        let role = check_invitable(invite.role)?;
        let addresses = parse_address_list(&invite.addresses)?;
        let invited = super::server::invite_by_email(
            &state.db,
            &state.settings,
            &actor,
            &invite.tailnet,
            &addresses,
            role,
            now(),
        )
        .await?;
        Ok(InvitesSent {
            invited,
            email_delivery_configured: state.settings.email_delivery_configured,
        })
    })
    .await
}

/// "Generate & copy invite link".
#[server(prefix = "/api", endpoint = "create_invite_link", input = Json)]
pub async fn create_invite_link(tailnet: TailnetId, role: Role) -> Result<InviteLink, AppError> {
    use super::model::check_invitable;
    use crate::context::{app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_admin(&state, &tailnet, Permission::ManageInvites).await?;
        let role = check_invitable(role)?;
        super::server::create_invite_link(&state.db, &state.settings, &actor, &tailnet, role, now())
            .await
    })
    .await
}

/// "Resend user invite". Returns the new expiry.
#[server(prefix = "/api", endpoint = "resend_invite", input = Json)]
pub async fn resend_invite(tailnet: TailnetId, invite: InviteId) -> Result<i64, AppError> {
    use crate::context::{app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_admin(&state, &tailnet, Permission::ManageInvites).await?;
        super::server::resend(&state.db, &state.settings, &actor, &tailnet, &invite, now()).await
    })
    .await
}

/// "Copy invite link": the invite's working link.
#[server(prefix = "/api", endpoint = "copy_invite_link", input = Json)]
pub async fn copy_invite_link(
    tailnet: TailnetId,
    invite: InviteId,
) -> Result<InviteLink, AppError> {
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        require(&state, &tailnet, Permission::ManageInvites).await?;
        super::server::reveal_link(&state.db, &state.settings, &tailnet, &invite).await
    })
    .await
}

/// "Delete invite".
#[server(prefix = "/api", endpoint = "delete_invite", input = Json)]
pub async fn delete_invite(tailnet: TailnetId, invite: InviteId) -> Result<(), AppError> {
    use crate::context::{app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_admin(&state, &tailnet, Permission::ManageInvites).await?;
        super::server::delete(&state.db, &actor, &tailnet, &invite, now()).await
    })
    .await
}

/// The public invite page's details; one answer for every unusable link.
#[server(prefix = "/api", endpoint = "inspect_invite", input = Json)]
pub async fn inspect_invite(token: String) -> Result<InvitePreview, AppError> {
    use crate::context::{app_state, now, respond};

    respond(async {
        let state = app_state()?;
        super::server::preview(&state.db, &token, now()).await
    })
    .await
}
