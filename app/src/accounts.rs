//! (ssr) Creating a person's account: the user row and their first passkey. Setup and
//! accepting an invite both create accounts; each adds the membership that goes with it.

use sqlx::AnyConnection;
use webauthn_rs::prelude::Passkey;

use crate::error::AppError;
use crate::fields::{DisplayName, EmailAddress};
use crate::ids::{TailnetId, UserId};

/// The message for an address that already has an account.
pub const EMAIL_TAKEN_MESSAGE: &str =
    "An account with this email address already exists. Sign in with its passkey instead.";

/// Refuses an email address that already has an account, as a validation error on `email`.
pub async fn ensure_email_is_free(
    conn: &mut AnyConnection,
    email: &EmailAddress,
) -> Result<(), AppError> {
    let taken: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    match taken {
        Some(_) => Err(AppError::validation("email", EMAIL_TAKEN_MESSAGE)),
        None => Ok(()),
    }
}

/// A person as a passkey registration produced them.
pub struct NewAccount<'a> {
    pub display_name: &'a DisplayName,
    pub email: &'a EmailAddress,
    pub webauthn_user_id: uuid::Uuid,
    pub passkey: &'a Passkey,
}

/// Inserts the person (with `home` as their home tailnet) and their passkey. An address taken
/// meanwhile by a concurrent sign-up is the same validation error as one taken before.
pub async fn create_account(
    conn: &mut AnyConnection,
    account: &NewAccount<'_>,
    home: &TailnetId,
    now: i64,
) -> Result<UserId, AppError> {
    ensure_email_is_free(conn, account.email).await?;
    let user = UserId::generate();
    let inserted = sqlx::query(
        "INSERT INTO users (id, webauthn_user_id, display_name, email, home_tailnet_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user.as_str())
    .bind(account.webauthn_user_id.to_string())
    .bind(account.display_name.as_str())
    .bind(account.email.as_str())
    .bind(home.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(AppError::validation("email", EMAIL_TAKEN_MESSAGE));
        }
        Err(error) => return Err(error.into()),
    }
    crate::passkeys::server::insert_passkey(conn, &user, account.passkey, now).await?;
    Ok(user)
}
