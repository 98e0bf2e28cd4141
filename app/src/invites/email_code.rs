//! (ssr) Verifying a link invitee's typed email address before their account exists: a
//! six-digit code emailed through the outbox, entered on the invite page. An address that
//! already has an account gets an email telling its owner to sign in instead, and the page's
//! answer is the same, so the page tells nobody which addresses have accounts.

use sqlx::AnyPool;

use super::model::{
    EMAIL_CODE_ATTEMPTS, EMAIL_CODE_TTL_SECS, EmailCodeAnswer, EmailCodeSent, WRONG_CODE_MESSAGE,
};
use crate::email::Email;
use crate::error::AppError;
use crate::fields::EmailAddress;
use crate::secrets::SecretToken;
use crate::settings::Settings;

/// Outbox templates of the two emails.
pub const CODE_TEMPLATE: &str = "email_code";
pub const TAKEN_TEMPLATE: &str = "email_taken";

/// A six-digit code from the operating system's random numbers.
fn new_code() -> Result<String, AppError> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000))
}

/// What is stored of a code: the hash of `id:code`.
fn code_hash(id: &str, code: &str) -> String {
    SecretToken::from_client(format!("{id}:{code}")).hash()
}

/// "Email me a code" for `email` on the invite with `token_hash`: stores the code (or, for an
/// address with an account, nothing anyone can answer) and queues its email, in one
/// transaction.
pub async fn send(
    db: &AnyPool,
    settings: &Settings,
    token_hash: &str,
    email: &EmailAddress,
    now: i64,
) -> Result<EmailCodeSent, AppError> {
    let mut tx = crate::sql::begin_write(db).await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let id = uuid::Uuid::new_v4().to_string();
    let (code_hash, sealed, template) = if taken.is_some() {
        let unknowable = SecretToken::generate();
        (code_hash(&id, unknowable.expose()), None, TAKEN_TEMPLATE)
    } else {
        let code = new_code()?;
        let sealed = settings
            .link_key
            .seal(&SecretToken::from_client(code.clone()), &id);
        (code_hash(&id, &code), Some(sealed), CODE_TEMPLATE)
    };
    sqlx::query(
        "INSERT INTO email_codes (id, invite_token_hash, email, code_hash, sealed_code, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(token_hash)
    .bind(email.as_str())
    .bind(code_hash)
    .bind(sealed)
    .bind(now)
    .bind(now + EMAIL_CODE_TTL_SECS)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO email_outbox (id, template, email_code_id, recipient, created_at, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(template)
    .bind(&id)
    .bind(email.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(EmailCodeSent {
        code_id: id,
        email: email.as_str().to_owned(),
    })
}

fn wrong_code() -> AppError {
    AppError::validation("code", WRONG_CODE_MESSAGE)
}

/// Checks `answer` for `email` on the invite with `token_hash` and uses the code up. A wrong
/// answer counts against the code; the fifth wrong one ends it.
pub async fn verify(
    db: &AnyPool,
    answer: &EmailCodeAnswer,
    token_hash: &str,
    email: &EmailAddress,
    now: i64,
) -> Result<(), AppError> {
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT code_hash FROM email_codes WHERE id = $1 AND invite_token_hash = $2 \
         AND email = $3 AND expires_at > $4 AND attempts < $5",
    )
    .bind(&answer.code_id)
    .bind(token_hash)
    .bind(email.as_str())
    .bind(now)
    .bind(EMAIL_CODE_ATTEMPTS)
    .fetch_optional(db)
    .await?;
    let Some(stored) = stored else {
        return Err(wrong_code());
    };
    if code_hash(&answer.code_id, answer.code.trim()) != stored {
        sqlx::query("UPDATE email_codes SET attempts = attempts + 1 WHERE id = $1")
            .bind(&answer.code_id)
            .execute(db)
            .await?;
        return Err(wrong_code());
    }
    // Used once: of two requests with the right code, one deletes the row.
    let used = sqlx::query("DELETE FROM email_codes WHERE id = $1 AND attempts < $2")
        .bind(&answer.code_id)
        .bind(EMAIL_CODE_ATTEMPTS)
        .execute(db)
        .await?;
    if used.rows_affected() == 1 {
        Ok(())
    } else {
        Err(wrong_code())
    }
}

/// The email for an outbox row of a code, rendered now; `None` once the code is gone.
pub async fn email_for(
    db: &AnyPool,
    settings: &Settings,
    template: &str,
    id: &str,
) -> Result<Option<Email>, AppError> {
    let row: Option<Option<String>> =
        sqlx::query_scalar("SELECT sealed_code FROM email_codes WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?;
    let Some(sealed) = row else {
        return Ok(None);
    };
    if template == TAKEN_TEMPLATE {
        return Ok(Some(super::email::AddressCheckEmail::already_has_account(
            settings.public_origin().as_str(),
        )));
    }
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let code = settings
        .link_key
        .open(&sealed, id)
        .map_err(AppError::internal)?;
    Ok(Some(super::email::AddressCheckEmail::code(code.expose())))
}

/// Forgets the sealed code once its email went out: from then on only its hash is kept.
pub async fn forget_sealed_code(db: &AnyPool, id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE email_codes SET sealed_code = NULL WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes expired codes; runs in the background.
pub async fn purge_expired(db: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM email_codes WHERE expires_at <= $1")
            .bind(now)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
