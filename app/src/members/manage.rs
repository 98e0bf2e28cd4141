//! (ssr) What an admin does to a member from the row's menu: "Change role", "Transfer
//! ownership", "Suspend user", "Restore user" and "Remove user". The rules
//! ([`check_member_change`]) are checked against the membership as it stands inside the
//! change's transaction, every write is conditional on what was read, and the audit event is
//! written in the same transaction.

use crate::webhooks::events::UserEvent;
use crate::webhooks::model::EventType;
use sqlx::{AnyConnection, AnyPool};

use super::model::{MemberChange, MemberState, change_needs_recent_sign_in, check_member_change};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_and_member;
use crate::context::Verification;
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::roles::{MemberStatus, Permission, Role, stored_role, stored_status};

fn changed_meanwhile() -> AppError {
    AppError::Conflict(
        "This member changed while you were looking. Reload the page and try again.".into(),
    )
}

/// A membership as read inside the transaction.
struct Membership {
    role: Role,
    status: MemberStatus,
    email: String,
}

async fn membership(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    user: &UserId,
) -> Result<Option<Membership>, AppError> {
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT m.role, m.status, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.tailnet_id = $1 AND m.user_id = $2",
    )
    .bind(tailnet.as_str())
    .bind(user.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(role, status, email)| {
        Ok(Membership {
            role: stored_role(&role)?,
            status: stored_status(&status)?,
            email,
        })
    })
    .transpose()
}

/// Sets a membership's role and status, only if it still has the ones that were checked.
async fn update_membership(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    user: &UserId,
    before: (Role, MemberStatus),
    after: (Role, MemberStatus),
) -> Result<(), AppError> {
    let updated = sqlx::query(
        "UPDATE memberships SET role = $1, status = $2 \
         WHERE tailnet_id = $3 AND user_id = $4 AND role = $5 AND status = $6",
    )
    .bind(after.0.as_str())
    .bind(after.1.as_str())
    .bind(tailnet.as_str())
    .bind(user.as_str())
    .bind(before.0.as_str())
    .bind(before.1.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 1 {
        Ok(())
    } else {
        Err(changed_meanwhile())
    }
}

fn state_json(role: Role, status: MemberStatus) -> Option<String> {
    Some(serde_json::json!({ "role": role.as_str(), "status": status.as_str() }).to_string())
}

/// The webhook events of an applied change: who they are about, their type and the role the
/// person has afterwards.
fn webhook_events<'a>(
    change: MemberChange,
    actor: &'a Actor,
    user: &'a UserId,
    role: Role,
) -> Vec<(&'a UserId, EventType, Option<Role>)> {
    match change {
        MemberChange::ChangeRole(new) => vec![(user, EventType::UserRoleUpdated, Some(new))],
        MemberChange::TransferOwnership => vec![
            (user, EventType::UserRoleUpdated, Some(Role::Owner)),
            (&actor.id, EventType::UserRoleUpdated, Some(Role::Admin)),
        ],
        MemberChange::Suspend => vec![(user, EventType::UserSuspended, Some(role))],
        MemberChange::Restore => vec![(user, EventType::UserRestored, Some(role))],
        MemberChange::Remove => vec![(user, EventType::UserDeleted, None)],
    }
}

/// Applies `change` to `user`'s membership of `tailnet`, made by `actor`, whose own membership
/// is read (and locked with the target's) inside the transaction. A change that changes nothing
/// (the role it already has) writes no event.
pub async fn apply(
    db: &AnyPool,
    actor: &Actor,
    verification: Verification,
    tailnet: &TailnetId,
    user: &UserId,
    change: MemberChange,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = crate::sql::begin_write(db).await?;
    let actor_role =
        lock_actor_and_member(&mut tx, tailnet, actor, user, Permission::ManageUsers).await?;
    let target = membership(&mut tx, tailnet, user).await?.ok_or_else(|| {
        AppError::NotFound("This person is no longer a member of this tailnet.".into())
    })?;
    let state = MemberState {
        user,
        role: target.role,
        status: target.status,
    };
    check_member_change(&actor.id, actor_role, &state, change).map_err(AppError::NotAllowed)?;
    if change_needs_recent_sign_in(change, target.role) {
        verification.require()?;
    }
    let before = (target.role, target.status);
    let audit = Change::new(actor, tailnet, now);
    let subject = Target::user(user, &target.email);
    match change {
        MemberChange::ChangeRole(role) => {
            if role == target.role {
                return Ok(());
            }
            update_membership(&mut tx, tailnet, user, before, (role, target.status)).await?;
            audit
                .record(
                    &mut tx,
                    EventName::UserUpdateRole,
                    subject.with_property("role"),
                    Some(target.role.as_str().to_owned()),
                    Some(role.as_str().to_owned()),
                )
                .await?;
        }
        MemberChange::TransferOwnership => {
            // The Owner steps down first: the database allows one Owner per tailnet.
            let active = MemberStatus::Active;
            update_membership(
                &mut tx,
                tailnet,
                &actor.id,
                (Role::Owner, active),
                (Role::Admin, active),
            )
            .await?;
            update_membership(&mut tx, tailnet, user, before, (Role::Owner, target.status)).await?;
            audit
                .record(
                    &mut tx,
                    EventName::UserUpdateRole,
                    subject.with_property("role"),
                    Some(target.role.as_str().to_owned()),
                    Some(Role::Owner.as_str().to_owned()),
                )
                .await?;
            audit
                .record(
                    &mut tx,
                    EventName::UserUpdateRole,
                    Target::user(&actor.id, &actor.email).with_property("role"),
                    Some(Role::Owner.as_str().to_owned()),
                    Some(Role::Admin.as_str().to_owned()),
                )
                .await?;
        }
        MemberChange::Suspend | MemberChange::Restore => {
            let (status, event) = if change == MemberChange::Suspend {
                (MemberStatus::Suspended, EventName::UserSuspend)
            } else {
                (MemberStatus::Active, EventName::UserRestore)
            };
            update_membership(&mut tx, tailnet, user, before, (target.role, status)).await?;
            audit
                .record(
                    &mut tx,
                    event,
                    subject.with_property("status"),
                    state_json(target.role, target.status),
                    state_json(target.role, status),
                )
                .await?;
        }
        MemberChange::Remove => {
            let removed = sqlx::query(
                "DELETE FROM memberships WHERE tailnet_id = $1 AND user_id = $2 \
                 AND role = $3 AND status = $4",
            )
            .bind(tailnet.as_str())
            .bind(user.as_str())
            .bind(target.role.as_str())
            .bind(target.status.as_str())
            .execute(&mut *tx)
            .await?;
            if removed.rows_affected() != 1 {
                return Err(changed_meanwhile());
            }
            audit
                .record(
                    &mut tx,
                    EventName::UserDelete,
                    subject,
                    state_json(target.role, target.status),
                    None,
                )
                .await?;
        }
    }
    for (person, kind, role) in webhook_events(change, actor, user, target.role) {
        let event = UserEvent {
            tailnet,
            kind,
            user: person,
            role,
            actor,
        };
        crate::webhooks::events::emit(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
