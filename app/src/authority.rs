//! (ssr) Who may make a change, decided inside the change's own write transaction: the
//! memberships it depends on are read (and, on PostgreSQL, locked) there, and an OAuth client's
//! row likewise, so a rule checked against them still holds when the change commits. Every
//! feature's writes start here (`lock_actor_role`), for the console, the API and OIDC alike.

use crate::audit::Actor;
use crate::delegation::Delegation;
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::roles::{MemberStatus, Permission, Role, stored_role, stored_status};

/// A membership as a write transaction read (and, on PostgreSQL, locked) it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedMembership {
    pub user: UserId,
    pub role: Role,
    pub status: MemberStatus,
}

/// Reads the memberships of `users` in `tailnet` inside a write transaction and keeps them as
/// read until it commits, so a rule checked against them (the actor's own role above all) still
/// holds when the change lands: two Admins demoting each other at once cannot both succeed. On
/// PostgreSQL the rows are locked in one order (by user id), so two changes that lock the same
/// rows wait for each other instead of deadlocking; SQLite's write transactions
/// ([`crate::sql::begin_write`]) run one at a time already.
pub async fn lock_memberships(
    conn: &mut sqlx::AnyConnection,
    tailnet: &TailnetId,
    users: &[&UserId],
) -> Result<Vec<LockedMembership>, AppError> {
    let placeholders = (2..2 + users.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let lock = if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = format!(
        "SELECT user_id, role, status FROM memberships \
         WHERE tailnet_id = $1 AND user_id IN ({placeholders}) ORDER BY user_id{lock}"
    );
    let mut query = sqlx::query_as::<_, (String, String, String)>(sqlx::AssertSqlSafe(sql))
        .bind(tailnet.as_str());
    for user in users {
        query = query.bind(user.as_str());
    }
    query
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(user, role, status)| {
            Ok(LockedMembership {
                user: UserId::from_raw(user),
                role: stored_role(&role)?,
                status: stored_status(&status)?,
            })
        })
        .collect()
}

/// The role of `actor` among `locked`, when they are an active member allowed `permission`;
/// `Forbidden` otherwise (they were suspended, removed or demoted since the request began).
/// An OAuth client is no member: its role and scopes decide ([`Delegation::role_for`]).
pub fn locked_actor_role(
    locked: &[LockedMembership],
    actor: &Actor,
    permission: Permission,
) -> Result<Role, AppError> {
    if let Some(delegation) = &actor.delegation {
        return delegation.role_for(permission).ok_or(AppError::Forbidden);
    }
    active_role_among(locked, &actor.id, permission)
}

/// The role of `person` among `locked`, when they are active and it allows `permission`.
fn active_role_among(
    locked: &[LockedMembership],
    person: &UserId,
    permission: Permission,
) -> Result<Role, AppError> {
    locked
        .iter()
        .find(|membership| &membership.user == person)
        .filter(|membership| {
            membership.status == MemberStatus::Active && membership.role.can(permission)
        })
        .map(|membership| membership.role)
        .ok_or(AppError::Forbidden)
}

/// [`lock_memberships`] of the actor alone, and their role: the first statement of a write
/// transaction whose rule depends on who makes the change. For an OAuth client, its row is
/// read (and locked) instead, so a client revoked meanwhile changes nothing.
pub async fn lock_actor_role(
    conn: &mut sqlx::AnyConnection,
    tailnet: &TailnetId,
    actor: &Actor,
    permission: Permission,
) -> Result<Role, AppError> {
    if let Some(delegation) = &actor.delegation {
        lock_live_client(conn, tailnet, delegation).await?;
        return locked_actor_role(&[], actor, permission);
    }
    lock_member_role(conn, tailnet, &actor.id, permission).await
}

/// [`lock_actor_role`] of a person who acts without an audited change (a reader of a link).
pub async fn lock_member_role(
    conn: &mut sqlx::AnyConnection,
    tailnet: &TailnetId,
    person: &UserId,
    permission: Permission,
) -> Result<Role, AppError> {
    let locked = lock_memberships(conn, tailnet, &[person]).await?;
    active_role_among(&locked, person, permission)
}

/// [`lock_actor_role`], with the membership of the person the change is made to locked as
/// well (in one statement, in the same order as every other lock of memberships).
pub async fn lock_actor_and_member(
    conn: &mut sqlx::AnyConnection,
    tailnet: &TailnetId,
    actor: &Actor,
    member: &UserId,
    permission: Permission,
) -> Result<Role, AppError> {
    if let Some(delegation) = &actor.delegation {
        lock_live_client(conn, tailnet, delegation).await?;
    }
    let locked = lock_memberships(conn, tailnet, &[&actor.id, member]).await?;
    locked_actor_role(&locked, actor, permission)
}

/// Reads (on PostgreSQL, locks) the OAuth client of `delegation`; `Forbidden` when it was
/// revoked or belongs to another tailnet.
pub async fn lock_live_client(
    conn: &mut sqlx::AnyConnection,
    tailnet: &TailnetId,
    delegation: &Delegation,
) -> Result<(), AppError> {
    let lock = if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = format!(
        "SELECT id FROM oauth_clients WHERE id = $1 AND tailnet_id = $2 AND revoked_at IS NULL{lock}"
    );
    let live: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(delegation.client_id.as_str())
        .bind(tailnet.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    live.map(|_| ()).ok_or(AppError::Forbidden)
}
