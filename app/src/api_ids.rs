//! (ssr) The integer ids Tailscale's API v2 gives tailnets and people (`tailnetId`,
//! `inviterId`), beside Gatehouse's UUIDs: one counter per kind, taken in the transaction that
//! creates the row, so ids are never reused and never change.

use sqlx::AnyConnection;

use crate::error::AppError;

/// What an id numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiIdKind {
    Tailnet,
    User,
}

impl ApiIdKind {
    fn counter(self) -> &'static str {
        match self {
            ApiIdKind::Tailnet => "tailnet",
            ApiIdKind::User => "user",
        }
    }
}

/// The first of `count` new ids of `kind` (the others follow it), for rows made in bulk.
pub async fn allocate_block(
    conn: &mut AnyConnection,
    kind: ApiIdKind,
    count: i64,
) -> Result<i64, AppError> {
    let last: i64 = sqlx::query_scalar(
        "UPDATE api_id_counters SET last_id = last_id + $2 WHERE kind = $1 RETURNING last_id",
    )
    .bind(kind.counter())
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    Ok(last - count + 1)
}

/// The next id of `kind`. Inside the caller's transaction, which the counter's row lock (or
/// SQLite's write lock) serializes with every other creation.
pub async fn allocate(conn: &mut AnyConnection, kind: ApiIdKind) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "UPDATE api_id_counters SET last_id = last_id + 1 WHERE kind = $1 RETURNING last_id",
    )
    .bind(kind.counter())
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}
