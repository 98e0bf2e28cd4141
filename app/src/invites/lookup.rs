//! (ssr) Reading an invite from its link (the invite page's preview, with one answer for every
//! link that cannot be used), and the invite's email as the outbox worker sends it.

use sqlx::AnyPool;

use super::email::{InviteEmail, JoinNetwork};
use super::model::{INVALID_INVITE_MESSAGE, InvitePreview, inviter_still_grants};
use crate::error::AppError;
use crate::ids::InviteId;
use crate::roles::{Role, stored_role};
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
            crate::roles::stored_status(&status)?,
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

/// An open invite (not accepted, not expired) as the API shows it.
#[derive(Debug, Clone)]
pub struct OpenInviteView {
    pub id: InviteId,
    pub email: Option<String>,
    pub role: Role,
    /// The inviter's integer API id, while their account exists.
    pub inviter_api_id: Option<i64>,
    pub last_sent_at: Option<i64>,
    sealed_token: String,
}

impl OpenInviteView {
    /// The invite's link (unsealed with the key file).
    pub fn url(&self, settings: &Settings) -> Result<String, AppError> {
        let token = settings
            .link_key
            .open(&self.sealed_token, self.id.as_str())
            .map_err(AppError::internal)?;
        Ok(invite_url(settings, &token))
    }
}

type OpenInviteRow = (
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
    String,
);

fn view_of(row: OpenInviteRow) -> Result<OpenInviteView, AppError> {
    let (id, email, role, inviter_api_id, last_sent_at, sealed_token) = row;
    Ok(OpenInviteView {
        id: InviteId::from_raw(id),
        email,
        role: stored_role(&role)?,
        inviter_api_id,
        last_sent_at,
        sealed_token,
    })
}

/// The columns of an [`OpenInviteRow`], for invites `i` joined to their inviter `u`.
macro_rules! open_invite_columns {
    () => {
        "SELECT i.id, i.email, i.role, u.api_id, i.last_sent_at, i.sealed_token FROM invites i \
         LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.tailnet_id = $1 AND i.accepted_at IS NULL AND i.expires_at > $2"
    };
}

/// The tailnet's open invites, oldest first.
pub async fn open_invites(
    conn: &mut sqlx::AnyConnection,
    tailnet: &crate::ids::TailnetId,
    now: i64,
) -> Result<Vec<OpenInviteView>, AppError> {
    let rows: Vec<OpenInviteRow> = sqlx::query_as(concat!(
        open_invite_columns!(),
        " ORDER BY i.created_at, i.id"
    ))
    .bind(tailnet.as_str())
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(view_of).collect()
}

/// One open invite of the tailnet; another tailnet's is as unknown as a missing one.
pub async fn open_invite(
    conn: &mut sqlx::AnyConnection,
    tailnet: &crate::ids::TailnetId,
    invite: &InviteId,
    now: i64,
) -> Result<Option<OpenInviteView>, AppError> {
    let row: Option<OpenInviteRow> =
        sqlx::query_as(concat!(open_invite_columns!(), " AND i.id = $3"))
            .bind(tailnet.as_str())
            .bind(now)
            .bind(invite.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    row.map(view_of).transpose()
}
