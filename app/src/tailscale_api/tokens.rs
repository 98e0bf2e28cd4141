//! (ssr) API access tokens: generated (the secret exists only in the answer; the database
//! keeps its SHA-256), listed, revoked, each change audited in its transaction; and the
//! look-up every API request starts with.

use serde_json::json;
use sqlx::{AnyConnection, AnyPool};

use super::model::{
    API_TOKEN_PREFIX, ApiTokenSummary, GeneratedApiToken, MAX_EXPIRY_DAYS, lifetime_allowed,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::authority::lock_actor_role;
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::roles::Permission;
use crate::secrets::{SecretToken, random_token};
use crate::sql::begin_write;

pub use super::model::DAY_SECS;
/// Why an OAuth client is refused what only a person's token may do.
pub const USER_OWNED_ONLY: &str = "This is only permitted for user-owned keys (API access tokens), \
     not for an OAuth client's token.";
/// Revoked and expired tokens stay listed this long.
const SHOWN_AFTER_END_SECS: i64 = 30 * DAY_SECS;
/// `last_used_at` is written at most this often, so API reads do not all turn into writes.
const TOUCH_INTERVAL_SECS: i64 = 60;

/// Whom a live token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    pub token_id: String,
    pub tailnet: TailnetId,
    pub user: UserId,
}

/// Generates a token for `actor` in `tailnet`, valid `lifetime_secs`; returns it with its
/// secret. An access token acts as the person who made it, so an OAuth client cannot make one.
pub async fn generate(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    description: &str,
    lifetime_secs: i64,
    now: i64,
) -> Result<GeneratedApiToken, AppError> {
    if actor.delegation.is_some() {
        return Err(AppError::NotAllowed(USER_OWNED_ONLY.to_owned()));
    }
    if !lifetime_allowed(lifetime_secs) {
        return Err(AppError::Validation(vec![crate::error::FieldError::new(
            "expiry_days",
            format!("Choose 1 to {MAX_EXPIRY_DAYS} days."),
        )]));
    }
    let id = format!("k{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let secret = format!("{API_TOKEN_PREFIX}{id}-{}", random_token(32));
    let expires_at = now.saturating_add(lifetime_secs);
    let mut tx = begin_write(db).await?;
    lock_actor_role(&mut tx, tailnet, actor, Permission::ManageApiTokens).await?;
    sqlx::query(
        "INSERT INTO api_tokens (id, tailnet_id, user_id, description, token_hash, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(tailnet.as_str())
    .bind(actor.id.as_str())
    .bind(description)
    .bind(SecretToken::from_client(secret.clone()).hash())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    let logged = json!({
        "description": description,
        "expires_at": crate::format::utc_timestamp(expires_at),
    });
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::ApiKeyCreate,
            Target::api_key(&id, description),
            None,
            Some(logged.to_string()),
        )
        .await?;
    tx.commit().await?;
    Ok(GeneratedApiToken {
        token: ApiTokenSummary {
            id,
            description: description.to_owned(),
            creator_email: actor.email.clone(),
            created_at: now,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        },
        secret,
    })
}

/// A token row, with its creator's email and API id.
type TokenRow = (
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The columns of a [`TokenRow`], for tokens `k` joined to their creator `u`.
macro_rules! token_columns {
    () => {
        "SELECT k.id, k.description, u.email, k.created_at, k.expires_at, k.revoked_at, \
             k.last_used_at, u.api_id FROM api_tokens k JOIN users u ON u.id = k.user_id"
    };
}

/// A token as listed, and its creator's API id.
fn token_of(row: TokenRow) -> (ApiTokenSummary, Option<i64>) {
    let (id, description, creator_email, created_at, expires_at, revoked_at, last_used_at, api_id) =
        row;
    let summary = ApiTokenSummary {
        id,
        description,
        creator_email,
        created_at,
        expires_at,
        revoked_at,
        last_used_at,
    };
    (summary, api_id)
}

/// The tailnet's live tokens (newest first), then those that ended in the last 30 days.
pub async fn list(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    now: i64,
) -> Result<Vec<ApiTokenSummary>, AppError> {
    let rows: Vec<TokenRow> = sqlx::query_as(concat!(
        token_columns!(),
        " WHERE k.tailnet_id = $1 AND COALESCE(k.revoked_at, k.expires_at) > $2 \
         ORDER BY CASE WHEN k.revoked_at IS NULL AND k.expires_at > $3 THEN 0 ELSE 1 END, \
             k.created_at DESC, k.id"
    ))
    .bind(tailnet.as_str())
    .bind(now - SHOWN_AFTER_END_SECS)
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|row| token_of(row).0).collect())
}

/// "Revoke": the token stops working at once.
pub async fn revoke(
    db: &AnyPool,
    actor: &Actor,
    tailnet: &TailnetId,
    id: &str,
    now: i64,
) -> Result<(), AppError> {
    if let Some(delegation) = &actor.delegation
        && !delegation
            .scopes
            .grants(crate::delegation::Scope::ApiAccessTokens)
    {
        return Err(AppError::Forbidden);
    }
    let mut tx = begin_write(db).await?;
    lock_actor_role(&mut tx, tailnet, actor, Permission::ManageApiTokens).await?;
    let description: Option<String> = sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = $1 \
         WHERE id = $2 AND tailnet_id = $3 AND revoked_at IS NULL RETURNING description",
    )
    .bind(now)
    .bind(id)
    .bind(tailnet.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(description) = description else {
        return Err(AppError::NotFound(
            "That access token does not exist or is already revoked.".to_owned(),
        ));
    };
    Change::new(actor, tailnet, now)
        .record(
            &mut tx,
            EventName::ApiKeyRevoke,
            Target::api_key(id, &description),
            None,
            None,
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The holder of a presented token, if it is one of ours, live and not revoked. Notes its use
/// (at most once a minute).
pub async fn authenticate(
    db: &AnyPool,
    presented: &str,
    now: i64,
) -> Result<Option<TokenHolder>, AppError> {
    if !presented.starts_with(API_TOKEN_PREFIX) {
        return Ok(None);
    }
    let hash = SecretToken::from_client(presented.to_owned()).hash();
    let row: Option<(String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, tailnet_id, user_id, last_used_at FROM api_tokens \
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(&hash)
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some((token_id, tailnet, user, last_used_at)) = row else {
        return Ok(None);
    };
    if last_used_at.is_none_or(|at| now - at >= TOUCH_INTERVAL_SECS) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&token_id)
            .execute(db)
            .await?;
    }
    Ok(Some(TokenHolder {
        token_id,
        tailnet: TailnetId::from_raw(tailnet),
        user: UserId::from_raw(user),
    }))
}

/// One token of the tailnet (live or not), with its creator's API id.
pub async fn find(
    conn: &mut AnyConnection,
    tailnet: &TailnetId,
    id: &str,
) -> Result<Option<(ApiTokenSummary, Option<i64>)>, AppError> {
    let row: Option<TokenRow> = sqlx::query_as(concat!(
        token_columns!(),
        " WHERE k.tailnet_id = $1 AND k.id = $2"
    ))
    .bind(tailnet.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(token_of))
}

/// Forgets tokens that ended more than 30 days ago.
pub async fn purge_ended(db: &AnyPool, now: i64) -> Result<u64, AppError> {
    let removed =
        sqlx::query("DELETE FROM api_tokens WHERE COALESCE(revoked_at, expires_at) <= $1")
            .bind(now - SHOWN_AFTER_END_SECS)
            .execute(db)
            .await?;
    Ok(removed.rows_affected())
}
