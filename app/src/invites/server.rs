//! (ssr) Creating, resending, revealing, deleting and looking up invites. Every change writes
//! its audit event, and an emailed invite its outbox row, in the change's own transaction.

use sqlx::{AnyConnection, AnyPool};

use super::email::{InviteEmail, JoinNetwork};
use super::model::{
    INVALID_INVITE_MESSAGE, InviteKind, InviteLink, InvitePreview, inviter_still_grants,
    resend_wait,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::context::{Verification, lock_actor_role, stored_role};
use crate::error::AppError;
use crate::fields::EmailAddress;
use crate::ids::{InviteId, TailnetId, UserId};
use crate::roles::{Permission, Role, check_grant, grant_needs_recent_sign_in};
use crate::secrets::SecretToken;
use crate::settings::Settings;
use crate::setup::model::token_is_well_formed;

/// The link that opens an invite.
pub fn invite_url(settings: &Settings, token: &SecretToken) -> String {
    format!("{}/invite/{}", settings.public_origin(), token.expose())
}

/// An invite as the audit log names it: by its address, or as a link.
pub(super) fn invite_target(invite: &InviteId, email: Option<&str>) -> Target {
    Target {
        kind: "INVITE",
        id: invite.to_string(),
        name: Some(email.unwrap_or("invite link").to_owned()),
        property: None,
    }
}

/// The invite's details as the log shows them; never its token or link.
fn invite_details(kind: InviteKind, email: Option<&str>, role: Role, expires_at: i64) -> String {
    serde_json::json!({
        "kind": kind.as_str(),
        "email": email,
        "role": role.as_str(),
        "expires_at": crate::format::utc_timestamp(expires_at),
    })
    .to_string()
}

/// Re-reads the actor's membership inside the transaction: they must still manage invites and
/// be allowed to give `role` ([`crate::roles::may_grant`]).
async fn check_actor_grants(
    conn: &mut AnyConnection,
    actor: &Actor,
    tailnet: &TailnetId,
    role: Role,
) -> Result<(), AppError> {
    let actor_role = lock_actor_role(conn, tailnet, &actor.id, Permission::ManageInvites).await?;
    check_grant(actor_role, role)
}

/// A new invite that gives an admin role needs a recent passkey sign-in.
fn check_verification(verification: Verification, role: Role) -> Result<(), AppError> {
    if grant_needs_recent_sign_in(role) {
        verification.require()
    } else {
        Ok(())
    }
}

/// Invitation emails count against daily allowances of the tailnet and of the person sending
/// them, inside the transaction that queues them: a refused batch counts nothing, and deleting
/// invites gives nothing back, so delete-and-invite-again cannot send more.
async fn take_email_allowance(
    conn: &mut AnyConnection,
    settings: &Settings,
    actor: &Actor,
    tailnet: &TailnetId,
    emails: usize,
    now: i64,
) -> Result<(), AppError> {
    let emails = i64::try_from(emails).unwrap_or(i64::MAX);
    let day = |max_hits| crate::rate_limit::Limit {
        max_hits,
        window_secs: 86_400,
    };
    let allowances = [
        (
            format!("invite-emails:tailnet:{tailnet}"),
            day(settings.invite_emails_per_day_per_tailnet),
            "This tailnet",
        ),
        (
            format!("invite-emails:person:{}", actor.id),
            day(settings.invite_emails_per_day_per_person),
            "You",
        ),
    ];
    for (bucket, limit, who) in allowances {
        if !crate::rate_limit::take(conn, &bucket, limit, emails, now).await? {
            return Err(AppError::QuotaExceeded {
                message: format!(
                    "{who} may send at most {} invitation emails a day, and this would go over. \
                     Nobody was invited; try again later, or use Copy invite link.",
                    limit.max_hits
                ),
                retry_after_secs: crate::rate_limit::retry_after(limit, now),
            });
        }
    }
    Ok(())
}

/// Queues the invite's email; the worker renders and sends it.
async fn enqueue_invite_email(
    conn: &mut AnyConnection,
    invite: &InviteId,
    recipient: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO email_outbox (id, template, invite_id, recipient, created_at, next_attempt_at) \
         VALUES ($1, 'invite', $2, $3, $4, $4)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(invite.as_str())
    .bind(recipient)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts one invite (and, for an email invite, its outbox row) and its audit event.
async fn insert_invite(
    conn: &mut AnyConnection,
    settings: &Settings,
    change: &Change<'_>,
    email: Option<&EmailAddress>,
    role: Role,
) -> Result<(InviteId, SecretToken), AppError> {
    let (actor, tailnet, now) = (change.actor, change.tailnet, change.now);
    let invite = InviteId::generate();
    let token = SecretToken::generate();
    let kind = if email.is_some() {
        InviteKind::Email
    } else {
        InviteKind::Link
    };
    let expires_at = now.saturating_add(settings.invite_ttl_secs);
    let email = email.map(EmailAddress::as_str);
    let inserted = sqlx::query(
        "INSERT INTO invites (id, tailnet_id, kind, email, role, token_hash, sealed_token, \
             invited_by, created_at, expires_at, last_sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(invite.as_str())
    .bind(tailnet.as_str())
    .bind(kind.as_str())
    .bind(email)
    .bind(role.as_str())
    .bind(token.hash())
    .bind(settings.link_key.seal(&token, invite.as_str()))
    .bind(actor.id.as_str())
    .bind(now)
    .bind(expires_at)
    .bind(email.map(|_| now))
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => {}
        // Another admin invited the same address a moment ago.
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(AppError::Conflict(format!(
                "{} already has an open invite.",
                email.unwrap_or("This address")
            )));
        }
        Err(error) => return Err(error.into()),
    }
    if let Some(recipient) = email {
        enqueue_invite_email(conn, &invite, recipient, now).await?;
    }
    change
        .record(
            conn,
            EventName::InviteCreate,
            invite_target(&invite, email),
            None,
            Some(invite_details(kind, email, role, expires_at)),
        )
        .await?;
    Ok((invite, token))
}

/// Builds `SELECT … WHERE <column> IN ($2, $3, …)` for a list bound after the tailnet.
fn in_list(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuses addresses that are already members or have an open invite, naming them all.
/// Expired open invites for these addresses are deleted (and logged) to make room.
async fn clear_addresses(
    conn: &mut AnyConnection,
    change: &Change<'_>,
    addresses: &[EmailAddress],
) -> Result<(), AppError> {
    let (tailnet, now) = (change.tailnet, change.now);
    let placeholders = in_list(2, addresses.len());
    let members_sql = format!(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.tailnet_id = $1 AND u.email IN ({placeholders}) ORDER BY u.email"
    );
    let mut members =
        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(members_sql)).bind(tailnet.as_str());
    for address in addresses {
        members = members.bind(address.as_str());
    }
    let members = members.fetch_all(&mut *conn).await?;

    let invites_sql = format!(
        "SELECT id, email, role, expires_at FROM invites \
         WHERE tailnet_id = $1 AND accepted_at IS NULL AND email IN ({placeholders}) ORDER BY email"
    );
    let mut open =
        sqlx::query_as::<_, (String, String, String, i64)>(sqlx::AssertSqlSafe(invites_sql))
            .bind(tailnet.as_str());
    for address in addresses {
        open = open.bind(address.as_str());
    }
    let open = open.fetch_all(&mut *conn).await?;
    let (expired, pending): (Vec<_>, Vec<_>) = open
        .into_iter()
        .partition(|(_, _, _, expires_at)| *expires_at <= now);

    let mut problems = Vec::new();
    if !members.is_empty() {
        problems.push(format!("already members: {}", members.join(", ")));
    }
    if !pending.is_empty() {
        let emails: Vec<&str> = pending
            .iter()
            .map(|(_, email, _, _)| email.as_str())
            .collect();
        problems.push(format!("already invited: {}", emails.join(", ")));
    }
    if !problems.is_empty() {
        return Err(AppError::validation(
            "addresses",
            format!(
                "Nobody was invited. Remove the addresses that are {}.",
                problems.join("; ")
            ),
        ));
    }
    for (id, email, role, expires_at) in expired {
        let invite = InviteId::from_raw(id);
        let stored = StoredInvite {
            email: Some(email),
            role,
            expires_at,
        };
        delete_invite_row(conn, change, &invite, &stored).await?;
    }
    Ok(())
}

/// "Invite by email": validates the whole batch, then creates every invite and its email in
/// one transaction. Returns the invited addresses.
pub async fn invite_by_email(
    db: &AnyPool,
    settings: &Settings,
    (actor, verification): (&Actor, Verification),
    tailnet: &TailnetId,
    addresses: &[EmailAddress],
    role: Role,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let change = Change::new(actor, tailnet, now);
    let mut tx = crate::sql::begin_write(db).await?;
    check_actor_grants(&mut tx, actor, tailnet, role).await?;
    check_verification(verification, role)?;
    clear_addresses(&mut tx, &change, addresses).await?;
    take_email_allowance(&mut tx, settings, actor, tailnet, addresses.len(), now).await?;
    for address in addresses {
        insert_invite(&mut tx, settings, &change, Some(address), role).await?;
    }
    tx.commit().await?;
    Ok(addresses.iter().map(|a| a.as_str().to_owned()).collect())
}

/// "Generate & copy invite link".
pub async fn create_invite_link(
    db: &AnyPool,
    settings: &Settings,
    (actor, verification): (&Actor, Verification),
    tailnet: &TailnetId,
    role: Role,
    now: i64,
) -> Result<InviteLink, AppError> {
    let change = Change::new(actor, tailnet, now);
    let mut tx = crate::sql::begin_write(db).await?;
    check_actor_grants(&mut tx, actor, tailnet, role).await?;
    check_verification(verification, role)?;
    let (invite, token) = insert_invite(&mut tx, settings, &change, None, role).await?;
    tx.commit().await?;
    Ok(InviteLink {
        url: invite_url(settings, &token),
        invite,
    })
}

/// An open (not yet accepted) invite of `tailnet`, as stored.
struct OpenInvite {
    kind: InviteKind,
    email: Option<String>,
    role: String,
    sealed_token: String,
    expires_at: i64,
    last_sent_at: Option<i64>,
}

fn invite_not_found() -> AppError {
    AppError::NotFound("This invite no longer exists. It may have been deleted or accepted.".into())
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
        lock_actor_role(&mut conn, tailnet, viewer, Permission::ManageInvites).await?;
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

/// What the log keeps of a deleted invite.
struct StoredInvite {
    email: Option<String>,
    role: String,
    expires_at: i64,
}

async fn delete_invite_row(
    conn: &mut AnyConnection,
    change: &Change<'_>,
    invite: &InviteId,
    stored: &StoredInvite,
) -> Result<(), AppError> {
    let deleted = sqlx::query("DELETE FROM invites WHERE id = $1 AND accepted_at IS NULL")
        .bind(invite.as_str())
        .execute(&mut *conn)
        .await?;
    if deleted.rows_affected() != 1 {
        return Err(invite_not_found());
    }
    let email = stored.email.as_deref();
    let kind = if email.is_some() {
        InviteKind::Email
    } else {
        InviteKind::Link
    };
    let role = stored_role(&stored.role)?;
    change
        .record(
            conn,
            EventName::InviteDelete,
            invite_target(invite, email),
            Some(invite_details(kind, email, role, stored.expires_at)),
            None,
        )
        .await
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
