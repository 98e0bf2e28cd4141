//! (ssr) Creating a person's account: the user row and their first passkey. Setup and
//! accepting an invite both create accounts; each adds the membership that goes with it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::AnyConnection;
use webauthn_rs::prelude::{Passkey, PasskeyRegistration};

use crate::audit::model::EventName;
use crate::audit::{Actor, Change};
use crate::auth::ceremonies::{CeremonyPurpose, store_ceremony, take_ceremony};
use crate::auth::model::PasskeyChallenge;
use crate::context::AppState;
use crate::error::AppError;
use crate::fields::{DisplayName, EmailAddress};
use crate::ids::{PasskeyId, TailnetId, UserId};
use crate::passkeys::wire::{NewPasskey, PasskeyCreationOptions};

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
    /// Whether the person proved they receive mail at `email` (a code, or an emailed invite).
    pub email_verified: bool,
    pub webauthn_user_id: uuid::Uuid,
    pub passkey: &'a Passkey,
}

/// A person just created, with their first passkey.
pub struct CreatedAccount {
    pub user: UserId,
    pub passkey: PasskeyId,
}

impl CreatedAccount {
    /// The new person as the audit log names them: they are the actor of their own sign-up.
    pub fn actor(&self, account: &NewAccount<'_>, client_address: Option<String>) -> Actor {
        Actor {
            kind: crate::audit::ActorKind::User,
            id: self.user.clone(),
            display_name: account.display_name.as_str().to_owned(),
            email: account.email.as_str().to_owned(),
            client_address,
            origin: crate::audit::Origin::AdminConsole,
            delegation: None,
        }
    }

    /// Records `USER.CREATE.PASSKEY` for the first passkey, as part of `change`.
    pub async fn record_passkey(
        &self,
        conn: &mut AnyConnection,
        change: &Change<'_>,
    ) -> Result<(), AppError> {
        record_passkey_added(conn, change, &self.passkey).await
    }
}

/// Records that `change.actor` added `passkey` to their account.
pub async fn record_passkey_added(
    conn: &mut AnyConnection,
    change: &Change<'_>,
    passkey: &PasskeyId,
) -> Result<(), AppError> {
    change
        .record(
            conn,
            EventName::PasskeyCreate,
            crate::audit::Target::passkeys_of(change.actor),
            None,
            Some(serde_json::json!({ "passkey_id": passkey.as_str() }).to_string()),
        )
        .await
}

/// Inserts the person (with `home` as their home tailnet) and their passkey. An address taken
/// meanwhile by a concurrent sign-up is the same validation error as one taken before.
pub async fn create_account(
    conn: &mut AnyConnection,
    account: &NewAccount<'_>,
    home: &TailnetId,
    now: i64,
) -> Result<CreatedAccount, AppError> {
    ensure_email_is_free(conn, account.email).await?;
    let user = UserId::generate();
    let api_id = crate::api_ids::allocate(conn, crate::api_ids::ApiIdKind::User).await?;
    let inserted = sqlx::query(
        "INSERT INTO users (id, webauthn_user_id, display_name, email, home_tailnet_id, \
             created_at, email_verified, api_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(user.as_str())
    .bind(account.webauthn_user_id.to_string())
    .bind(account.display_name.as_str())
    .bind(account.email.as_str())
    .bind(home.as_str())
    .bind(now)
    .bind(i64::from(account.email_verified))
    .bind(api_id)
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(AppError::validation("email", EMAIL_TAKEN_MESSAGE));
        }
        Err(error) => return Err(error.into()),
    }
    let (passkey, _) =
        crate::passkeys::server::insert_passkey(conn, &user, account.passkey, None, now).await?;
    Ok(CreatedAccount { user, passkey })
}

/// Starts registering a new person's first (discoverable) passkey. `context` receives the
/// person's new WebAuthn user id and returns what the ceremony keeps for its second half.
pub async fn start_registration<C: Serialize>(
    state: &AppState,
    purpose: CeremonyPurpose,
    email: &EmailAddress,
    display_name: &DisplayName,
    context: impl FnOnce(uuid::Uuid) -> C,
    now: i64,
) -> Result<PasskeyChallenge<PasskeyCreationOptions>, AppError> {
    let webauthn_user_id = uuid::Uuid::new_v4();
    let (options, registration) = state
        .webauthn
        .start_passkey_registration(
            webauthn_user_id,
            email.as_str(),
            display_name.as_str(),
            None,
        )
        .map_err(AppError::internal)?;
    let context = context(webauthn_user_id);
    let ceremony = store_ceremony(&state.db, purpose, &registration, &context, now).await?;
    Ok(PasskeyChallenge {
        ceremony: ceremony.expose().to_owned(),
        options: PasskeyCreationOptions::encode(&crate::passkeys::server::require_discoverable(
            options,
        ))?,
    })
}

/// Consumes the ceremony and verifies the new passkey; returns it with the ceremony's context.
pub async fn finish_registration<C: DeserializeOwned>(
    state: &AppState,
    purpose: CeremonyPurpose,
    ceremony: String,
    credential: &NewPasskey,
    now: i64,
) -> Result<(Passkey, C), AppError> {
    let (registration, context): (PasskeyRegistration, C) =
        take_ceremony(&state.db, purpose, ceremony, now).await?;
    let not_verified = || {
        AppError::validation(
            "passkey",
            "Gatehouse could not verify the new passkey. Please try again.",
        )
    };
    let credential = credential.decode().map_err(|error| {
        tracing::info!(%error, "new passkey unreadable");
        not_verified()
    })?;
    let passkey = state
        .webauthn
        .finish_passkey_registration(&credential, &registration)
        .map_err(|error| {
            tracing::info!(%error, "passkey registration refused");
            not_verified()
        })?;
    Ok((passkey, context))
}
