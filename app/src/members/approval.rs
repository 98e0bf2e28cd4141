//! (ssr) "Approve" and "Remove" for people who accepted an invite and wait for approval.
//! Each is one conditional write, so two admins acting at once cannot both succeed, and the
//! audit event is written in the same transaction.

use crate::webhooks::events::UserEvent;
use crate::webhooks::model::EventType;
use sqlx::AnyPool;

use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_and_member;
use crate::context::Verification;
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::invites::model::check_invitable;
use crate::roles::{
    MemberStatus, Permission, Role, check_grant, grant_needs_recent_sign_in, stored_role,
};

fn not_waiting() -> AppError {
    AppError::NotFound(
        "This person is no longer waiting for approval. Another admin may have approved or \
         removed them."
            .into(),
    )
}

/// Locks the actor's and the waiting person's memberships for the transaction, and returns the
/// actor's role as it stands now (`Forbidden` once they may no longer approve).
async fn lock_waiting(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    tailnet: &TailnetId,
    user: &UserId,
) -> Result<Role, AppError> {
    lock_actor_and_member(conn, tailnet, actor, user, Permission::ApproveUsers).await
}

/// The person's email, for naming them in the log.
async fn email_of(conn: &mut sqlx::AnyConnection, user: &UserId) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user.as_str())
        .fetch_one(&mut *conn)
        .await?)
}

/// "Approve": the person becomes Active at once, with `role` when the admin changed it.
pub async fn approve(
    db: &AnyPool,
    actor: &Actor,
    verification: Verification,
    tailnet: &TailnetId,
    user: &UserId,
    role: Option<Role>,
    now: i64,
) -> Result<Role, AppError> {
    let role = role.map(check_invitable).transpose()?;
    let mut tx = crate::sql::begin_write(db).await?;
    let actor_role = lock_waiting(&mut tx, actor, tailnet, user).await?;
    let previous: Option<String> = sqlx::query_scalar(
        "UPDATE memberships SET status = $1 \
         WHERE tailnet_id = $2 AND user_id = $3 AND status = $4 RETURNING role",
    )
    .bind(MemberStatus::Active.as_str())
    .bind(tailnet.as_str())
    .bind(user.as_str())
    .bind(MemberStatus::NeedsApproval.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let previous = stored_role(&previous.ok_or_else(not_waiting)?)?;
    let approved_role = role.unwrap_or(previous);
    check_grant(actor_role, previous)?;
    check_grant(actor_role, approved_role)?;
    if grant_needs_recent_sign_in(approved_role) {
        verification.require()?;
    }
    if approved_role != previous {
        sqlx::query("UPDATE memberships SET role = $1 WHERE tailnet_id = $2 AND user_id = $3")
            .bind(approved_role.as_str())
            .bind(tailnet.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await?;
    }
    let email = email_of(&mut tx, user).await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::UserApprove,
            Target::user(user, &email),
            Some(
                serde_json::json!({
                    "status": MemberStatus::NeedsApproval.as_str(),
                    "role": previous.as_str(),
                })
                .to_string(),
            ),
            Some(
                serde_json::json!({
                    "status": MemberStatus::Active.as_str(),
                    "role": approved_role.as_str(),
                })
                .to_string(),
            ),
        )
        .await?;
    let event = UserEvent {
        tailnet,
        kind: EventType::UserApproved,
        user,
        role: Some(approved_role),
        actor,
    };
    crate::webhooks::events::emit(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(approved_role)
}

/// "Remove": the person leaves the tailnet before they were ever admitted. Their account and
/// passkeys stay, so another invite can bring them back.
pub async fn remove_waiting(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    user: &UserId,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = crate::sql::begin_write(db).await?;
    let actor_role = lock_waiting(&mut tx, actor, tailnet, user).await?;
    let removed: Option<String> = sqlx::query_scalar(
        "DELETE FROM memberships WHERE tailnet_id = $1 AND user_id = $2 AND status = $3 \
         RETURNING role",
    )
    .bind(tailnet.as_str())
    .bind(user.as_str())
    .bind(MemberStatus::NeedsApproval.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let role = stored_role(&removed.ok_or_else(not_waiting)?)?;
    check_grant(actor_role, role)?;
    let email = email_of(&mut tx, user).await?;
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::UserDelete,
            Target::user(user, &email),
            Some(
                serde_json::json!({
                    "status": MemberStatus::NeedsApproval.as_str(),
                    "role": role.as_str(),
                })
                .to_string(),
            ),
            None,
        )
        .await?;
    let event = UserEvent {
        tailnet,
        kind: EventType::UserDeleted,
        user,
        role: None,
        actor,
    };
    crate::webhooks::events::emit(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(())
}
