//! (ssr) Creating invites, by email or as a link, and what creating, resending and deleting
//! share. Every change writes its audit event, and an emailed invite its outbox row, in the
//! change's own transaction. Resending, copying and deleting are in `manage.rs`; reading an
//! invite from its link and rendering its email in `lookup.rs`.

use sqlx::{AnyConnection, AnyPool};

use super::lookup::invite_url;
use super::model::{InviteKind, InviteLink};
use super::outbox::{enqueue_invite_email, take_email_allowance};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_role;
use crate::context::Verification;
use crate::error::AppError;
use crate::fields::EmailAddress;
use crate::ids::{InviteId, TailnetId};
use crate::roles::{Permission, Role, check_grant, grant_needs_recent_sign_in, stored_role};
use crate::secrets::SecretToken;
use crate::settings::Settings;

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
pub(super) fn invite_details(
    kind: InviteKind,
    email: Option<&str>,
    role: Role,
    expires_at: i64,
) -> String {
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
pub(super) async fn check_actor_grants(
    conn: &mut AnyConnection,
    actor: &Actor,
    tailnet: &TailnetId,
    role: Role,
) -> Result<(), AppError> {
    let actor_role = lock_actor_role(conn, tailnet, actor, Permission::ManageInvites).await?;
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
    let invited = crate::webhooks::events::Invited {
        tailnet,
        invite: invite.as_str(),
        email,
        role,
        actor,
    };
    crate::webhooks::events::emit_invited(conn, &invited, now).await?;
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

/// One invite of a batch: by email, or a link when `email` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedInvite {
    pub email: Option<EmailAddress>,
    pub role: Role,
}

/// An invite just made, with its token (for its link).
#[derive(Debug)]
pub struct CreatedInvite {
    pub invite: InviteId,
    pub token: SecretToken,
}

/// Creates a batch of invites, each with its own role, in one transaction: every rule is
/// checked for the whole batch first (the actor may give each role; an address is not a member,
/// not invited already and not twice in the batch; the email allowances), then every invite,
/// its email and its audit event are written. All or nothing; answers in the batch's order.
pub async fn create_invites(
    db: &AnyPool,
    settings: &Settings,
    (actor, verification): (&Actor, Verification),
    tailnet: &TailnetId,
    wanted: &[WantedInvite],
    now: i64,
) -> Result<Vec<CreatedInvite>, AppError> {
    let change = Change::new(actor, tailnet, now);
    let mut tx = crate::sql::begin_write(db).await?;
    let mut roles: Vec<Role> = wanted.iter().map(|w| w.role).collect();
    roles.dedup();
    for role in roles {
        check_actor_grants(&mut tx, actor, tailnet, role).await?;
        check_verification(verification, role)?;
    }
    let addresses: Vec<EmailAddress> = wanted.iter().filter_map(|w| w.email.clone()).collect();
    if let Some(twice) = addresses
        .iter()
        .enumerate()
        .find(|(i, a)| addresses[..*i].contains(a))
    {
        return Err(AppError::validation(
            "addresses",
            format!("{} is in the list twice.", twice.1.as_str()),
        ));
    }
    if !addresses.is_empty() {
        clear_addresses(&mut tx, &change, &addresses).await?;
        take_email_allowance(&mut tx, settings, actor, tailnet, addresses.len(), now).await?;
    }
    let mut created = Vec::with_capacity(wanted.len());
    for w in wanted {
        let (invite, token) =
            insert_invite(&mut tx, settings, &change, w.email.as_ref(), w.role).await?;
        created.push(CreatedInvite { invite, token });
    }
    tx.commit().await?;
    Ok(created)
}

/// "Invite by email": one role for every address, all or nothing. Returns the invited
/// addresses.
pub async fn invite_by_email(
    db: &AnyPool,
    settings: &Settings,
    actor: (&Actor, Verification),
    tailnet: &TailnetId,
    addresses: &[EmailAddress],
    role: Role,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let wanted: Vec<WantedInvite> = addresses
        .iter()
        .map(|address| WantedInvite {
            email: Some(address.clone()),
            role,
        })
        .collect();
    create_invites(db, settings, actor, tailnet, &wanted, now).await?;
    Ok(addresses.iter().map(|a| a.as_str().to_owned()).collect())
}

/// "Generate & copy invite link".
pub async fn create_invite_link(
    db: &AnyPool,
    settings: &Settings,
    actor: (&Actor, Verification),
    tailnet: &TailnetId,
    role: Role,
    now: i64,
) -> Result<InviteLink, AppError> {
    let wanted = [WantedInvite { email: None, role }];
    let created = create_invites(db, settings, actor, tailnet, &wanted, now).await?;
    let CreatedInvite { invite, token } = created
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal("no invite was created"))?;
    Ok(InviteLink {
        url: invite_url(settings, &token),
        invite,
    })
}

/// What the log keeps of a deleted invite.
pub(super) struct StoredInvite {
    pub(super) email: Option<String>,
    pub(super) role: String,
    pub(super) expires_at: i64,
}

/// Deletes an open invite and records `INVITE.DELETE` (from "Delete invite", and for
/// addresses that joined by another way).
pub(super) async fn delete_invite_row(
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

/// The answer when an open invite is gone (deleted or accepted meanwhile).
pub(super) fn invite_not_found() -> AppError {
    AppError::NotFound("This invite no longer exists. It may have been deleted or accepted.".into())
}
