//! (ssr) "Leave tailnet": a person ends their own membership of a tailnet they joined after
//! their home tailnet, when it is an organization's. Logged as `TAILNET.LEAVE` in the left
//! tailnet and in the home tailnet, as one event group, in the same transaction.

use sqlx::AnyPool;

use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::roles::{MemberStatus, Role, stored_role, stored_status};

use super::model::TailnetKind;

pub async fn leave(
    db: &AnyPool,
    person: &Actor,
    tailnet: &TailnetId,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = crate::sql::begin_write(db).await?;
    let row: Option<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT m.role, m.status, t.kind, t.name, u.home_tailnet_id FROM memberships m \
         JOIN tailnets t ON t.id = m.tailnet_id JOIN users u ON u.id = m.user_id \
         WHERE m.tailnet_id = $1 AND m.user_id = $2",
    )
    .bind(tailnet.as_str())
    .bind(person.id.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let (role, status, kind, name, home) =
        row.ok_or_else(|| AppError::NotFound("You are not a member of this tailnet.".into()))?;
    let (role, status) = (stored_role(&role)?, stored_status(&status)?);
    if home == tailnet.as_str() {
        return Err(AppError::NotAllowed(
            "This is your home tailnet, the first one you joined; it cannot be left.".into(),
        ));
    }
    if TailnetKind::parse(&kind) != Some(TailnetKind::Organization) {
        return Err(AppError::NotAllowed(
            "Only an organization's tailnet can be left this way; this one is personal.".into(),
        ));
    }
    // Leaving would erase the suspension; an admin restores or removes a suspended member.
    if status == MemberStatus::Suspended {
        return Err(AppError::NotAllowed(
            "You are suspended in this tailnet, so you cannot leave it. An admin of the tailnet \
             can restore or remove you."
                .into(),
        ));
    }
    if role == Role::Owner {
        return Err(AppError::NotAllowed(
            "The Owner cannot leave. Transfer ownership to someone else first.".into(),
        ));
    }
    sqlx::query("DELETE FROM memberships WHERE tailnet_id = $1 AND user_id = $2")
        .bind(tailnet.as_str())
        .bind(person.id.as_str())
        .execute(&mut *tx)
        .await?;
    let membership =
        serde_json::json!({ "role": role.as_str(), "status": status.as_str() }).to_string();
    let change = Change::new(person, tailnet, now);
    change
        .record(
            &mut tx,
            EventName::TailnetLeave,
            Target::user(&person.id, &person.email),
            Some(membership.clone()),
            None,
        )
        .await?;
    let event = crate::webhooks::events::UserEvent {
        tailnet,
        kind: crate::webhooks::model::EventType::UserLeftTailnet,
        user: &person.id,
        role: None,
        actor: person,
    };
    crate::webhooks::events::emit(&mut tx, &event, now).await?;
    let home = TailnetId::from_raw(home);
    let still_home: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM memberships WHERE tailnet_id = $1 AND user_id = $2")
            .bind(home.as_str())
            .bind(person.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if still_home.is_some() {
        change
            .in_tailnet(&home)
            .record(
                &mut tx,
                EventName::TailnetLeave,
                Target::tailnet(tailnet, &name, None),
                Some(membership),
                None,
            )
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
