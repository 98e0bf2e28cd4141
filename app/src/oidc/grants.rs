//! (ssr) Authorization codes and access tokens: issued, redeemed once, revoked. Only their
//! SHA-256 is stored; the values exist in the answer that hands them out.

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::secrets::SecretToken;

/// A code must be exchanged within this time.
pub const CODE_LIFETIME_SECS: i64 = 60;
/// How long an access token opens the userinfo endpoint.
pub const ACCESS_TOKEN_LIFETIME_SECS: i64 = 600;

/// What a code stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub client_id: String,
    pub tailnet: TailnetId,
    pub user: UserId,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// When the person last proved a passkey (the ID token's `auth_time`).
    pub auth_time: i64,
}

impl Grant {
    pub fn has_scope(&self, scope: &str) -> bool {
        has_scope(&self.scope, scope)
    }
}

pub fn has_scope(scopes: &str, scope: &str) -> bool {
    scopes.split(' ').any(|s| s == scope)
}

/// Stores a new code for `grant` (in the caller's transaction) and returns it: 256 random bits.
pub async fn issue_code(
    conn: &mut AnyConnection,
    grant: &Grant,
    now: i64,
) -> Result<SecretToken, AppError> {
    let code = SecretToken::generate();
    sqlx::query(
        "INSERT INTO oidc_codes (code_hash, client_id, tailnet_id, user_id, redirect_uri, scope, \
             nonce, code_challenge, auth_time, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(code.hash())
    .bind(&grant.client_id)
    .bind(grant.tailnet.as_str())
    .bind(grant.user.as_str())
    .bind(&grant.redirect_uri)
    .bind(&grant.scope)
    .bind(grant.nonce.as_deref())
    .bind(grant.code_challenge.as_deref())
    .bind(grant.auth_time)
    .bind(now)
    .bind(now + CODE_LIFETIME_SECS)
    .execute(&mut *conn)
    .await?;
    Ok(code)
}

/// Why a code was not exchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// Unknown, another client's, or expired.
    Invalid,
    /// Presented before: the tokens issued from it have just been revoked.
    Reused,
}

type CodeRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

/// Marks the code used (in the caller's transaction) and returns its grant. A code already used
/// revokes every access token made from it, so whoever replays a stolen code gains nothing and
/// the first holder loses what it got; the caller must commit for the revocation to hold.
pub async fn redeem_code(
    conn: &mut AnyConnection,
    code: &SecretToken,
    client_id: &str,
    now: i64,
) -> Result<Result<Grant, Redemption>, AppError> {
    let code_hash = code.hash();
    let row: Option<CodeRow> = sqlx::query_as(
        "SELECT client_id, tailnet_id, user_id, redirect_uri, scope, nonce, code_challenge, \
             auth_time, expires_at, used_at \
         FROM oidc_codes WHERE code_hash = $1",
    )
    .bind(&code_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Err(Redemption::Invalid));
    };
    let (
        owner,
        tailnet,
        user,
        redirect_uri,
        scope,
        nonce,
        code_challenge,
        auth_time,
        expires_at,
        used_at,
    ) = row;
    if owner != client_id {
        return Ok(Err(Redemption::Invalid));
    }
    if used_at.is_some() {
        revoke_tokens_of_code(conn, &code_hash).await?;
        return Ok(Err(Redemption::Reused));
    }
    if now >= expires_at {
        return Ok(Err(Redemption::Invalid));
    }
    // Two exchanges racing: only one flips `used_at`; the other is a reuse.
    let marked =
        sqlx::query("UPDATE oidc_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL")
            .bind(now)
            .bind(&code_hash)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if marked != 1 {
        revoke_tokens_of_code(conn, &code_hash).await?;
        return Ok(Err(Redemption::Reused));
    }
    Ok(Ok(Grant {
        client_id: owner,
        tailnet: TailnetId::from_raw(&tailnet),
        user: UserId::from_raw(&user),
        redirect_uri,
        scope,
        nonce,
        code_challenge,
        auth_time,
    }))
}

async fn revoke_tokens_of_code(conn: &mut AnyConnection, code_hash: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM oidc_access_tokens WHERE code_hash = $1")
        .bind(code_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores a new access token made from `code` and returns it.
pub async fn issue_access_token(
    conn: &mut AnyConnection,
    code: &SecretToken,
    grant: &Grant,
    now: i64,
) -> Result<SecretToken, AppError> {
    let token = SecretToken::generate();
    sqlx::query(
        "INSERT INTO oidc_access_tokens (token_hash, code_hash, client_id, tailnet_id, user_id, \
             scope, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token.hash())
    .bind(code.hash())
    .bind(&grant.client_id)
    .bind(grant.tailnet.as_str())
    .bind(grant.user.as_str())
    .bind(&grant.scope)
    .bind(now + ACCESS_TOKEN_LIFETIME_SECS)
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// Whom a live access token speaks for: the person, the tailnet and the scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHolder {
    pub client_id: String,
    pub tailnet: TailnetId,
    pub user: UserId,
    pub scope: String,
}

/// The holder of `token`, if it exists and has not expired.
pub async fn access_token_holder(
    conn: &mut AnyConnection,
    token: &SecretToken,
    now: i64,
) -> Result<Option<TokenHolder>, AppError> {
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT client_id, tailnet_id, user_id, scope FROM oidc_access_tokens \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token.hash())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(client_id, tailnet, user, scope)| TokenHolder {
        client_id,
        tailnet: TailnetId::from_raw(&tailnet),
        user: UserId::from_raw(&user),
        scope,
    }))
}

/// Forgets codes past the time any token made from them could live, and expired tokens.
pub async fn purge_expired(db: &sqlx::AnyPool, now: i64) -> Result<u64, AppError> {
    let codes = sqlx::query("DELETE FROM oidc_codes WHERE expires_at < $1")
        .bind(now - ACCESS_TOKEN_LIFETIME_SECS)
        .execute(db)
        .await?
        .rows_affected();
    let tokens = sqlx::query("DELETE FROM oidc_access_tokens WHERE expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?
        .rows_affected();
    Ok(codes + tokens)
}
