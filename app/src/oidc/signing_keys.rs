//! (ssr) The RSA keys ID tokens are signed with (RS256, the algorithm every relying party must
//! accept). Each key's private half is kept in the database sealed with the key file, so every
//! server on the database signs with the same key; the newest key that is not retired signs.
//! Rotating adds a key and retires the others, whose public halves stay published until every
//! token they signed has expired.

use openidconnect::core::{CoreJsonWebKey, CoreRsaPrivateSigningKey};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use rsa::pkcs1::{EncodeRsaPrivateKey, LineEnding};
use sqlx::AnyPool;

use crate::error::AppError;
use crate::secrets::{LinkKey, random_token};
use crate::sql::begin_write;

/// The JWS algorithm of every key.
pub const ALGORITHM: &str = "RS256";
const RSA_BITS: usize = 2048;
/// How long an ID token is valid; a retired key stays published this long after retiring.
pub const ID_TOKEN_LIFETIME_SECS: i64 = 3_600;

/// Why no key could be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    #[error("generating an RSA signing key failed: {0}")]
    Generate(String),
    #[error("signing key {kid} does not open under the key file (was the key file replaced?)")]
    Sealed { kid: String },
    #[error("signing key {kid} is not a valid RSA key: {problem}")]
    Invalid { kid: String, problem: String },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<SigningKeyError> for AppError {
    fn from(error: SigningKeyError) -> Self {
        AppError::internal(error)
    }
}

/// The key that signs now.
pub struct SigningKey {
    kid: String,
    signer: CoreRsaPrivateSigningKey,
}

impl SigningKey {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn signer(&self) -> &CoreRsaPrivateSigningKey {
        &self.signer
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The associated data a key's sealed PEM is bound to, so it opens only on its own row.
fn seal_context(kid: &str) -> String {
    format!("oidc-signing-key:{kid}")
}

fn signer(kid: &str, pem: &str) -> Result<CoreRsaPrivateSigningKey, SigningKeyError> {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.to_owned()))).map_err(
        |problem| SigningKeyError::Invalid {
            kid: kid.to_owned(),
            problem,
        },
    )
}

/// A new key: its id, its private half (PKCS#1 PEM) and its public half as a JWK.
struct NewKey {
    kid: String,
    pem: String,
    public_jwk: String,
}

fn generate() -> Result<NewKey, SigningKeyError> {
    let mut rng = rsa::rand_core::OsRng;
    let key = rsa::RsaPrivateKey::new(&mut rng, RSA_BITS)
        .map_err(|e| SigningKeyError::Generate(e.to_string()))?;
    let pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| SigningKeyError::Generate(e.to_string()))?
        .to_string();
    let kid = random_token(16);
    let public: CoreJsonWebKey = signer(&kid, &pem)?.as_verification_key();
    let public_jwk =
        serde_json::to_string(&public).map_err(|e| SigningKeyError::Generate(e.to_string()))?;
    Ok(NewKey {
        kid,
        pem,
        public_jwk,
    })
}

/// Adds a new signing key and retires the others (`gatehouse rotate-signing-key`, and the
/// first use on a new database). Returns the new key's id.
pub async fn rotate(db: &AnyPool, link_key: &LinkKey, now: i64) -> Result<String, AppError> {
    // Finding two large primes takes a noticeable moment; it must not stall other requests.
    let key = tokio::task::spawn_blocking(generate)
        .await
        .map_err(|e| SigningKeyError::Generate(e.to_string()))??;
    let sealed = link_key.seal_text(&key.pem, &seal_context(&key.kid));
    let mut tx = begin_write(db).await?;
    sqlx::query("UPDATE oidc_signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO oidc_signing_keys (kid, algorithm, public_jwk, private_key_sealed, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.kid)
    .bind(ALGORITHM)
    .bind(&key.public_jwk)
    .bind(&sealed)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(key.kid)
}

/// The newest key that is not retired, if any.
async fn newest(db: &AnyPool, link_key: &LinkKey) -> Result<Option<SigningKey>, SigningKeyError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT kid, private_key_sealed FROM oidc_signing_keys WHERE retired_at IS NULL \
         ORDER BY created_at DESC, kid DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await?;
    let Some((kid, sealed)) = row else {
        return Ok(None);
    };
    let pem = link_key
        .open_text(&sealed, &seal_context(&kid))
        .map_err(|_| SigningKeyError::Sealed { kid: kid.clone() })?;
    let signer = signer(&kid, &pem)?;
    Ok(Some(SigningKey { kid, signer }))
}

/// The key that signs now; on a database without one, a new one. (Two servers making the
/// first key at once each add one: the later one signs, and both are published.)
pub async fn current(db: &AnyPool, link_key: &LinkKey, now: i64) -> Result<SigningKey, AppError> {
    if let Some(key) = newest(db, link_key).await? {
        return Ok(key);
    }
    rotate(db, link_key, now).await?;
    newest(db, link_key)
        .await?
        .ok_or_else(|| AppError::internal("a new signing key was not found"))
}

/// Makes the first key on a database that has none, without reading any private key (the
/// JWKS endpoint calls this on every request).
pub async fn ensure_one(db: &AnyPool, link_key: &LinkKey, now: i64) -> Result<(), AppError> {
    let signing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM oidc_signing_keys WHERE retired_at IS NULL")
            .fetch_one(db)
            .await?;
    if signing == 0 {
        rotate(db, link_key, now).await?;
    }
    Ok(())
}

/// The public halves of every key a valid token may be signed with: the signing keys first,
/// then those retired less than [`ID_TOKEN_LIFETIME_SECS`] ago, newest first.
pub async fn published(db: &AnyPool, now: i64) -> Result<Vec<CoreJsonWebKey>, AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kid, public_jwk FROM oidc_signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 \
         ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC, kid DESC",
    )
    .bind(now - ID_TOKEN_LIFETIME_SECS)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(kid, jwk)| {
            serde_json::from_str(&jwk).map_err(|e| {
                AppError::from(SigningKeyError::Invalid {
                    kid,
                    problem: e.to_string(),
                })
            })
        })
        .collect()
}

/// Forgets retired keys no valid token can have been signed with.
pub async fn purge_retired(db: &AnyPool, now: i64) -> Result<u64, AppError> {
    let removed = sqlx::query("DELETE FROM oidc_signing_keys WHERE retired_at <= $1")
        .bind(now - ID_TOKEN_LIFETIME_SECS)
        .execute(db)
        .await?;
    Ok(removed.rows_affected())
}
