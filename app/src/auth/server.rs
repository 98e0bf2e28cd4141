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

/// The columns of [`PersonRow`], from a `users u`; `person_joins!` brings each membership and
/// its tailnet.
macro_rules! person_columns {
    () => {
        "u.display_name, u.email, u.home_tailnet_id, t.id AS tailnet_id, t.name AS tailnet_name, \
         t.kind AS tailnet_kind, t.coordination_server_url, m.role, m.status"
    };
}
macro_rules! person_joins {
    () => {
        "LEFT JOIN memberships m ON m.user_id = u.id \
         LEFT JOIN tailnets t ON t.id = m.tailnet_id"
    };
}
pub(super) use {person_columns, person_joins};

/// One row of the signed-in person: their own columns, then one membership's (all absent for a
/// person with no membership).
#[derive(Clone, sqlx::FromRow)]
pub(super) struct PersonRow {
    display_name: String,
    email: String,
    home_tailnet_id: String,
    tailnet_id: Option<String>,
    tailnet_name: Option<String>,
    tailnet_kind: Option<String>,
    coordination_server_url: Option<String>,
    role: Option<String>,
    status: Option<String>,
}

/// The person behind `user`, with their tailnets (home first), in one statement: the person's
/// columns repeat on each of their memberships' rows.
pub async fn load_signed_in_user(db: &AnyPool, user: &UserId) -> Result<SignedInUser, AppError> {
    let rows: Vec<PersonRow> = sqlx::query_as(concat!(
        "SELECT ",
        person_columns!(),
        " FROM users u ",
        person_joins!(),
        " WHERE u.id = $1 ORDER BY t.name, t.id"
    ))
    .bind(user.as_str())
    .fetch_all(db)
    .await?;
    person_from_rows(user, rows)
}

/// The person `user` from their rows (in tailnet name order), home tailnet first;
/// `Unauthenticated` when there are none (the account is gone).
pub(super) fn person_from_rows(
    user: &UserId,
    rows: Vec<PersonRow>,
) -> Result<SignedInUser, AppError> {
    let Some(first) = rows.first() else {
        return Err(AppError::Unauthenticated);
    };
    let (display_name, email, home) = (
        first.display_name.clone(),
        first.email.clone(),
        first.home_tailnet_id.clone(),
    );
    let mut tailnets = rows
        .into_iter()
        .filter_map(|row| {
            Some((
                row.tailnet_id?,
                row.tailnet_name?,
                row.tailnet_kind?,
                row.coordination_server_url,
                row.role?,
                row.status?,
            ))
        })
        .map(|(id, name, kind, coordination_server_url, role, status)| {
            Ok(TailnetMembership {
                coordination_server_url,
                is_home: id == home,
                kind: crate::tailnets::model::TailnetKind::parse(&kind)
                    .ok_or_else(|| AppError::internal(format!("stored tailnet kind {kind}")))?,
                tailnet_id: TailnetId::from_raw(id),
                tailnet_name: name,
                role: crate::roles::stored_role(&role)?,
                status: crate::roles::stored_status(&status)?,
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
