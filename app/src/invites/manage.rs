//! (ssr) Managing open invites from the Users page: "Resend user invite", "Copy invite link"
//! and "Delete invite", each in one transaction with its audit event.

use sqlx::{AnyConnection, AnyPool};

use super::lookup::invite_url;
use super::model::{InviteKind, InviteLink, resend_wait};
use super::outbox::{enqueue_invite_email, take_email_allowance};
use super::server::{
    StoredInvite, check_actor_grants, delete_invite_row, invite_details, invite_not_found,
    invite_target,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change};
use crate::authority::lock_member_role;
use crate::error::AppError;
use crate::ids::{InviteId, TailnetId, UserId};
use crate::roles::{Permission, check_grant, stored_role};
use crate::settings::Settings;

/// An open (not yet accepted) invite of `tailnet`, as stored.
struct OpenInvite {
    kind: InviteKind,
    email: Option<String>,
    role: String,
    sealed_token: String,
    expires_at: i64,
    last_sent_at: Option<i64>,
}

async fn load_open_invite(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    invite: &InviteId,
) -> Result<OpenInvite, AppError> {
    type Row = (String, Option<String>, String, String, i64, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT kind, email, role, sealed_token, expires_at, last_sent_at FROM invites \
         WHERE id = $1 AND tailnet_id = $2 AND accepted_at IS NULL",
    )
    .bind(invite.as_str())
    .bind(tailnet.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let (kind, email, role, sealed_token, expires_at, last_sent_at) =
        row.ok_or_else(invite_not_found)?;
    let kind = InviteKind::parse(&kind)
        .ok_or_else(|| AppError::internal(format!("stored invite kind {kind}")))?;
    Ok(OpenInvite {
        kind,
        email,
        role,
        sealed_token,
        expires_at,
        last_sent_at,
    })
}

/// "Resend user invite": emails the invite again and restarts its expiry; once a minute.
pub async fn resend(
    db: &AnyPool,
    settings: &Settings,
    actor: &Actor,
    tailnet: &TailnetId,
    invite: &InviteId,
    now: i64,
) -> Result<i64, AppError> {
    let mut tx = crate::sql::begin_write(db).await?;
    let open = load_open_invite(&mut tx, tailnet, invite).await?;
    // Resending restarts the expiry: it gives the role again.
    check_actor_grants(&mut tx, actor, tailnet, stored_role(&open.role)?).await?;
    let (InviteKind::Email, Some(email)) = (open.kind, open.email.as_deref()) else {
        return Err(AppError::validation(
            "invite",
            "Only email invites can be resent. Copy the invite link instead.",
        ));
    };
    if let Some(retry_after_secs) = resend_wait(open.last_sent_at, now) {
        return Err(AppError::RateLimited { retry_after_secs });
    }
    let expires_at = now.saturating_add(settings.invite_ttl_secs);
    // The condition repeats the limit, so of two concurrent resends only one updates.
    let updated = sqlx::query(
        "UPDATE invites SET last_sent_at = $1, expires_at = $2 \
         WHERE id = $3 AND accepted_at IS NULL AND (last_sent_at IS NULL OR last_sent_at <= $4)",
    )
    .bind(now)
    .bind(expires_at)
    .bind(invite.as_str())
    .bind(now - super::model::RESEND_INTERVAL_SECS)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(AppError::RateLimited {
            retry_after_secs: super::model::RESEND_INTERVAL_SECS.unsigned_abs(),
        });
    }
    take_email_allowance(&mut tx, settings, actor, tailnet, 1, now).await?;
    enqueue_invite_email(&mut tx, invite, email, now).await?;
    let role = stored_role(&open.role)?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::InviteResend,
            invite_target(invite, Some(email)),
            Some(invite_details(
                open.kind,
                Some(email),
                role,
                open.expires_at,
            )),
            Some(invite_details(open.kind, Some(email), role, expires_at)),
        )
        .await?;
    tx.commit().await?;
    Ok(expires_at)
}

/// "Copy invite link": the same working link, unsealed with the server key, for someone who
/// may give its role (a working link is the role, in the hands of whoever holds it).
pub async fn reveal_link(
    db: &AnyPool,
    settings: &Settings,
    viewer: &UserId,
    tailnet: &TailnetId,
    invite: &InviteId,
) -> Result<InviteLink, AppError> {
    let mut conn = db.acquire().await?;
    let open = load_open_invite(&mut conn, tailnet, invite).await?;
    let viewer_role =
        lock_member_role(&mut conn, tailnet, viewer, Permission::ManageInvites).await?;
    check_grant(viewer_role, stored_role(&open.role)?)?;
    let token = settings
        .link_key
        .open(&open.sealed_token, invite.as_str())
        .map_err(|error| {
            AppError::internal(format!("{error} (was GATEHOUSE_SECRET_KEY_FILE replaced?)"))
        })?;
    Ok(InviteLink {
        invite: invite.clone(),
        url: invite_url(settings, &token),
    })
}

/// "Delete invite": the link stops working at once and an unsent email is dropped.
pub async fn delete(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    invite: &InviteId,
    now: i64,
) -> Result<(), AppError> {
    let change = Change::new(actor, tailnet, now);
    let mut tx = crate::sql::begin_write(db).await?;
    let open = load_open_invite(&mut tx, tailnet, invite).await?;
    let stored = StoredInvite {
        email: open.email,
        role: open.role,
        expires_at: open.expires_at,
    };
    delete_invite_row(&mut tx, &change, invite, &stored).await?;
    tx.commit().await?;
    Ok(())
}
