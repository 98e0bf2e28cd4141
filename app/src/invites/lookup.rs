//! (ssr) Reading an invite from its link (the invite page's preview, with one answer for every
//! link that cannot be used), and the invite's email as the outbox worker sends it.

use sqlx::AnyPool;

use super::email::{InviteEmail, JoinNetwork};
use super::model::{INVALID_INVITE_MESSAGE, InvitePreview, inviter_still_grants};
use crate::context::stored_role;
use crate::error::AppError;
use crate::ids::InviteId;
use crate::roles::Role;
use crate::secrets::SecretToken;
use crate::settings::Settings;
use crate::setup::model::token_is_well_formed;
/// The link that opens an invite.
pub fn invite_url(settings: &Settings, token: &SecretToken) -> String {
    format!("{}/invite/{}", settings.public_origin(), token.expose())
}

/// The inviter's membership from a query's nullable role and status columns.
pub fn stored_inviter(
    role: Option<String>,
    status: Option<String>,
) -> Result<Option<(Role, crate::roles::MemberStatus)>, AppError> {
    match (role, status) {
        (Some(role), Some(status)) => Ok(Some((
            stored_role(&role)?,
            crate::context::stored_status(&status)?,
        ))),
        _ => Ok(None),
    }
}

/// The one answer for every invite link that cannot be used.
pub(super) fn invalid_invite() -> AppError {
    AppError::NotFound(INVALID_INVITE_MESSAGE.to_owned())
}

/// The hash that finds an invite from a token a client sent; malformed tokens are refused
/// like unknown ones.
pub fn token_hash(token: &str) -> Result<String, AppError> {
    if token_is_well_formed(token) {
        Ok(SecretToken::from_client(token.to_owned()).hash())
    } else {
        Err(invalid_invite())
    }
}

/// What the invite page shows. Unknown, expired, deleted and used links all get the same
/// error, so a link cannot be probed for which of these it is.
pub async fn preview(db: &AnyPool, token: &str, now: i64) -> Result<InvitePreview, AppError> {
    let token_hash = token_hash(token)?;
    type Row = (
        String,
        Option<String>,
        String,
        Option<String>,
        i64,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.name, u.display_name, i.role, i.email, i.expires_at, m.role, m.status \
         FROM invites i JOIN tailnets t ON t.id = i.tailnet_id \
         LEFT JOIN users u ON u.id = i.invited_by \
         LEFT JOIN memberships m ON m.tailnet_id = i.tailnet_id AND m.user_id = i.invited_by \
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    let (tailnet_name, inviter_name, role, email, expires_at, inviter_role, inviter_status) =
        row.ok_or_else(invalid_invite)?;
    let role = stored_role(&role)?;
    if !inviter_still_grants(stored_inviter(inviter_role, inviter_status)?, role) {
        return Err(invalid_invite());
    }
    Ok(InvitePreview {
        tailnet_name,
        inviter_name,
        role,
        email,
        expires_at,
        email_code_required: false,
    })
}

/// The email for an outbox row of an invite, rendered now; `None` when the invite was
/// accepted meanwhile (nothing to send).
pub async fn invite_email(
    db: &AnyPool,
    settings: &Settings,
    invite: &InviteId,
) -> Result<Option<crate::email::Email>, AppError> {
    type Row = (String, Option<String>, String, String, i64, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.name, u.display_name, i.role, i.sealed_token, i.expires_at, \
             t.coordination_server_url FROM invites i \
         JOIN tailnets t ON t.id = i.tailnet_id LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.id = $1 AND i.accepted_at IS NULL",
    )
    .bind(invite.as_str())
    .fetch_optional(db)
    .await?;
    let Some((tailnet_name, inviter_name, role, sealed, expires_at, coordination_server_url)) = row
    else {
        return Ok(None);
    };
    let token = settings
        .link_key
        .open(&sealed, invite.as_str())
        .map_err(AppError::internal)?;
    Ok(Some(InviteEmail::render(
        &tailnet_name,
        inviter_name.as_deref(),
        stored_role(&role)?,
        &invite_url(settings, &token),
        expires_at,
        coordination_server_url.as_deref().map(|url| JoinNetwork {
            coordination_server_url: url,
            client_download_url: &settings.client_download_url,
        }),
    )))
}
