//! (ssr) Accepting an invite: one transaction consumes the invite, adds the membership (active,
//! or waiting for approval), and writes the audit events. The invite is consumed by the
//! transaction's first statement, a conditional update whose row count decides, so of any
//! number of concurrent accepts exactly one wins and a refused accept leaves it unused.

use crate::webhooks::events::UserEvent;
use crate::webhooks::model::EventType;
use axum::http::HeaderMap;
use sqlx::{AnyConnection, AnyPool};

use super::lookup::{invalid_invite, token_hash};
use super::model::{ALREADY_USED_MESSAGE, InviteKind, inviter_still_grants};
use super::server::invite_target;
use crate::accounts::{NewAccount, create_account};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::error::AppError;
use crate::ids::{InviteId, TailnetId, UserId};
use crate::roles::{MemberStatus, Role, stored_role};
use crate::secrets::SecretToken;
use crate::settings::Settings;
use crate::tailnets::model::describe_roles;

/// An invite this transaction has just consumed.
#[derive(Debug, Clone)]
pub struct ClaimedInvite {
    pub id: InviteId,
    pub tailnet: TailnetId,
    pub kind: InviteKind,
    pub email: Option<String>,
    pub role: Role,
}

/// The membership an accepted invite made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub tailnet: TailnetId,
    pub status: MemberStatus,
}

/// Consumes the invite with `token_hash` if it is open and unexpired at `now`. A used invite
/// gets "already used"; unknown, deleted and expired ones get the invalid-invite answer.
pub async fn claim(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> Result<ClaimedInvite, AppError> {
    type Row = (
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
    );
    let claimed: Option<Row> = sqlx::query_as(
        "UPDATE invites SET accepted_at = $1 \
         WHERE token_hash = $2 AND accepted_at IS NULL AND expires_at > $1 \
         RETURNING id, tailnet_id, kind, email, role, invited_by",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, tailnet, kind, email, role, invited_by)) = claimed else {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM invites WHERE token_hash = $1 AND accepted_at IS NOT NULL",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
        return Err(match used {
            Some(_) => AppError::Gone(ALREADY_USED_MESSAGE.to_owned()),
            None => invalid_invite(),
        });
    };
    let claimed = ClaimedInvite {
        id: InviteId::from_raw(id),
        tailnet: TailnetId::from_raw(tailnet),
        kind: InviteKind::parse(&kind)
            .ok_or_else(|| AppError::internal(format!("stored invite kind {kind}")))?,
        email,
        role: stored_role(&role)?,
    };
    // The caller's transaction is dropped with this error, so the invite stays unused.
    let inviter = inviter_membership(conn, &claimed.tailnet, invited_by.as_deref()).await?;
    if !inviter_still_grants(inviter, claimed.role) {
        return Err(invalid_invite());
    }
    Ok(claimed)
}

/// The role and status of an invite's creator in its tailnet, if they are still a member.
pub async fn inviter_membership(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    invited_by: Option<&str>,
) -> Result<Option<(Role, MemberStatus)>, AppError> {
    let Some(invited_by) = invited_by else {
        return Ok(None);
    };
    crate::context::membership(conn, tailnet, invited_by).await
}

/// Refuses an external join that the person's home tailnet does not allow. Returns the home
/// tailnet when the join is external (it logs the join too).
async fn check_join_external(
    conn: &mut AnyConnection,
    invitee: &UserId,
    invite_tailnet: &TailnetId,
) -> Result<Option<(TailnetId, String)>, AppError> {
    let home: String = sqlx::query_scalar("SELECT home_tailnet_id FROM users WHERE id = $1")
        .bind(invitee.as_str())
        .fetch_one(&mut *conn)
        .await?;
    let home = TailnetId::from_raw(home);
    if &home == invite_tailnet {
        return Ok(None);
    }
    let home_membership = crate::context::membership(conn, &home, invitee.as_str()).await?;
    let Some((home_role, home_status)) = home_membership else {
        // No longer in their home tailnet, whose rule therefore no longer binds them. Someone
        // in no tailnet at all makes this one their new home.
        sqlx::query(
            "UPDATE users SET home_tailnet_id = $1 WHERE id = $2 \
             AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = $2)",
        )
        .bind(invite_tailnet.as_str())
        .bind(invitee.as_str())
        .execute(&mut *conn)
        .await?;
        return Ok(None);
    };
    let rules = crate::tailnets::server::load(conn, &home).await?;
    if home_status == MemberStatus::Suspended {
        return Err(AppError::NotAllowed(format!(
            "You are suspended in {home_name}, your home tailnet, so you cannot join other \
             tailnets. The invite stays unused.",
            home_name = rules.name,
        )));
    }
    if !rules.lets_join_external(home_role) {
        let allowed = describe_roles(&rules.settings.join_external_roles);
        return Err(AppError::NotAllowed(format!(
            "{home_name}'s \"Join external tailnets\" setting does not let {role}s join other \
             tailnets (it allows {allowed}). Ask an admin of {home_name} to change the setting, \
             then open this link again: the invite stays unused until then.",
            home_name = rules.name,
            role = home_role.label(),
        )));
    }
    Ok(Some((home, rules.name)))
}

/// Adds the membership for a claimed invite, after every rule, and logs it. The caller's
/// transaction makes it all or nothing.
/// Joins `invitee` to the claimed invite's tailnet and records the events; returns the
/// operation's `Change`, so the caller can add events to the same group.
async fn join<'a>(
    conn: &mut AnyConnection,
    claimed: &'a ClaimedInvite,
    invitee: &'a Actor,
    now: i64,
) -> Result<(Joined, Change<'a>), AppError> {
    let tailnet = crate::tailnets::server::load(conn, &claimed.tailnet).await?;
    if let (InviteKind::Email, Some(invited)) = (claimed.kind, claimed.email.as_deref())
        && !invited.eq_ignore_ascii_case(&invitee.email)
    {
        return Err(AppError::NotAllowed(format!(
            "This invite is for {invited}, and you are signed in as {}. Sign out, then open \
             the link again to sign in or create an account as {invited}.",
            invitee.email
        )));
    }
    let member: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM memberships WHERE tailnet_id = $1 AND user_id = $2")
            .bind(claimed.tailnet.as_str())
            .bind(invitee.id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    if member.is_some() {
        return Err(AppError::Conflict(format!(
            "You are already a member of {}. The invite stays unused.",
            tailnet.name
        )));
    }
    let external_home = check_join_external(conn, &invitee.id, &claimed.tailnet).await?;
    let status = if tailnet.settings.user_approval {
        MemberStatus::NeedsApproval
    } else {
        MemberStatus::Active
    };
    sqlx::query(
        "INSERT INTO memberships (tailnet_id, user_id, role, status, joined_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(claimed.tailnet.as_str())
    .bind(invitee.id.as_str())
    .bind(claimed.role.as_str())
    .bind(status.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE invites SET accepted_by = $1 WHERE id = $2")
        .bind(invitee.id.as_str())
        .bind(claimed.id.as_str())
        .execute(&mut *conn)
        .await?;
    if status == MemberStatus::NeedsApproval {
        crate::members::approval_email::enqueue(conn, &claimed.tailnet, &invitee.id, now).await?;
    }

    let membership = serde_json::json!({
        "role": claimed.role.as_str(),
        "status": status.as_str(),
    })
    .to_string();
    let change = Change::new(invitee, &claimed.tailnet, now);
    change
        .record(
            conn,
            EventName::InviteAccept,
            invite_target(&claimed.id, claimed.email.as_deref()),
            None,
            Some(
                serde_json::json!({
                    "accepted_by": invitee.email,
                    "role": claimed.role.as_str(),
                })
                .to_string(),
            ),
        )
        .await?;
    change
        .record(
            conn,
            EventName::TailnetJoin,
            Target::user(&invitee.id, &invitee.email),
            None,
            Some(membership.clone()),
        )
        .await?;
    if let Some((home, _)) = &external_home {
        change
            .in_tailnet(home)
            .record(
                conn,
                EventName::TailnetJoin,
                Target::tailnet(&claimed.tailnet, &tailnet.name, None),
                None,
                Some(membership),
            )
            .await?;
    }
    let mut kinds = vec![EventType::UserJoined];
    if status == MemberStatus::NeedsApproval {
        kinds.push(EventType::UserNeedsApproval);
    }
    for kind in kinds {
        let event = UserEvent {
            tailnet: &claimed.tailnet,
            kind,
            user: &invitee.id,
            role: Some(claimed.role),
            actor: invitee,
        };
        crate::webhooks::events::emit(conn, &event, now).await?;
    }
    let joined = Joined {
        tailnet: claimed.tailnet.clone(),
        status,
    };
    Ok((joined, change))
}

/// "Accept invite" by a signed-in person.
pub async fn accept_signed_in(
    db: &AnyPool,
    invitee: &UserId,
    client_address: Option<String>,
    token: &str,
    now: i64,
) -> Result<Joined, AppError> {
    let token_hash = token_hash(token)?;
    let mut tx = crate::sql::begin_write(db).await?;
    let claimed = claim(&mut tx, &token_hash, now).await?;
    let actor = Actor::load(&mut tx, invitee, client_address).await?;
    let (joined, _) = join(&mut tx, &claimed, &actor, now).await?;
    tx.commit().await?;
    Ok(joined)
}

/// What "Create account with passkey" on an invite produces: the new person and their session.
pub struct NewMember {
    pub joined: Joined,
    pub user: UserId,
    pub session: SecretToken,
}

/// "Create account with passkey": consumes the invite and, in the same transaction, creates the
/// person (the invite's tailnet becomes their home), their passkey, the membership, the audit
/// events and a session (ending any session the request presented).
pub async fn accept_with_new_account(
    db: &AnyPool,
    settings: &Settings,
    request_headers: &HeaderMap,
    token_hash: &str,
    account: &NewAccount<'_>,
    client_address: Option<String>,
    now: i64,
) -> Result<NewMember, AppError> {
    let mut tx = crate::sql::begin_write(db).await?;
    let claimed = claim(&mut tx, token_hash, now).await?;
    let created = create_account(&mut tx, account, &claimed.tailnet, now).await?;
    let actor = created.actor(account, client_address);
    let event = UserEvent {
        tailnet: &claimed.tailnet,
        kind: EventType::UserCreated,
        user: &created.user,
        role: Some(claimed.role),
        actor: &actor,
    };
    crate::webhooks::events::emit(&mut tx, &event, now).await?;
    let (joined, change) = join(&mut tx, &claimed, &actor, now).await?;
    created.record_passkey(&mut tx, &change).await?;
    crate::auth::sessions::end_presented_session(&mut tx, settings, request_headers).await?;
    let session =
        crate::auth::sessions::start_session(&mut tx, &created.user, Some(&created.passkey), now)
            .await?;
    let user = created.user;
    tx.commit().await?;
    Ok(NewMember {
        joined,
        user,
        session,
    })
}
