//! (ssr) Housekeeping of sessions and ceremonies, and the signed-in person as the UI needs
//! them.

use sqlx::AnyPool;

use super::model::{SESSION_ABSOLUTE_SECS, SignedInUser, TailnetMembership};
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};

/// Deletes expired sessions and ceremonies; runs in the background.
pub async fn purge_expired(db: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let ceremonies = sqlx::query("DELETE FROM webauthn_ceremonies WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?
        .rows_affected();
    let sessions = sqlx::query("DELETE FROM sessions WHERE created_at <= $1 OR last_seen_at <= $2")
        .bind(now - SESSION_ABSOLUTE_SECS)
        .bind(now - super::model::SESSION_IDLE_SECS)
        .execute(db)
        .await?
        .rows_affected();
    Ok(ceremonies + sessions)
}

/// The person behind `user`, with their tailnets (home first).
pub async fn load_signed_in_user(db: &AnyPool, user: &UserId) -> Result<SignedInUser, AppError> {
    let (display_name, email, home): (String, String, String) =
        sqlx::query_as("SELECT display_name, email, home_tailnet_id FROM users WHERE id = $1")
            .bind(user.as_str())
            .fetch_optional(db)
            .await?
            .ok_or(AppError::Unauthenticated)?;
    let rows: Vec<(String, String, String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT t.id, t.name, t.kind, t.coordination_server_url, m.role, m.status \
         FROM memberships m \
         JOIN tailnets t ON t.id = m.tailnet_id WHERE m.user_id = $1 ORDER BY t.name, t.id",
    )
    .bind(user.as_str())
    .fetch_all(db)
    .await?;
    let mut tailnets = rows
        .into_iter()
        .map(|(id, name, kind, coordination_server_url, role, status)| {
            Ok(TailnetMembership {
                coordination_server_url,
                is_home: id == home,
                kind: crate::tailnets::model::TailnetKind::parse(&kind)
                    .ok_or_else(|| AppError::internal(format!("stored tailnet kind {kind}")))?,
                tailnet_id: TailnetId::from_raw(id),
                tailnet_name: name,
                role: crate::context::stored_role(&role)?,
                status: crate::context::stored_status(&status)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    tailnets.sort_by_key(|m| !m.is_home);
    Ok(SignedInUser {
        user_id: user.clone(),
        display_name,
        email,
        tailnets,
    })
}
