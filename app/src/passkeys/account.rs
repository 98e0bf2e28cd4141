//! (ssr) The signed-in person managing their own passkeys: adding, renaming and deleting them,
//! confirming it's them, and the security event of a passkey whose counter went backwards.
//! Each change and its audit events commit together.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use webauthn_rs::prelude::{Passkey, PasskeyAuthentication, WebauthnError};

use super::model::{AccountOverview, PasskeyName};
use super::server::{
    RecordedUse, StoredPasskey, credentials_of, find_by_credential, passkey_not_verified,
    record_use,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, EventGroup, Target, record_for_person};
use crate::auth::ceremonies::{CeremonyPurpose, store_ceremony, take_ceremony};
use crate::auth::model::{PasskeyChallenge, SESSION_ABSOLUTE_SECS, SESSION_IDLE_SECS};
use crate::auth::sessions::Session;
use crate::context::AppState;
use crate::error::AppError;
use crate::ids::{PasskeyId, UserId};
use crate::passkeys::wire::{
    NewPasskey, PasskeyAssertion, PasskeyCreationOptions, PasskeyRequestOptions,
};
use crate::sql::begin_write;

/// What a passkey ceremony of the Account page keeps for its second half: whose it is.
#[derive(Serialize, Deserialize)]
struct CeremonyOwner {
    user: UserId,
}

/// The person's passkeys, sessions and how long this session stays confirmed.
pub async fn overview(
    state: &AppState,
    session: &Session,
    now: i64,
) -> Result<AccountOverview, AppError> {
    let mut conn = state.db.acquire().await?;
    let (display_name, email): (String, String) =
        sqlx::query_as("SELECT display_name, email FROM users WHERE id = $1")
            .bind(session.user_id.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let passkeys = super::server::list(&mut conn, &session.user_id).await?;
    let sessions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND created_at > $2 AND last_seen_at > $3",
    )
    .bind(session.user_id.as_str())
    .bind(now - SESSION_ABSOLUTE_SECS)
    .bind(now - SESSION_IDLE_SECS)
    .fetch_one(&mut *conn)
    .await?;
    // Everything on the one connection: taking a second from the pool while holding this one
    // deadlocks once every connection is held by a request waiting for its second.
    let approval_emails =
        crate::members::approval_email::preference(&mut conn, &session.user_id).await?;
    Ok(AccountOverview {
        display_name,
        email,
        passkeys,
        sessions,
        current_passkey: session.passkey_id.clone(),
        verified_until: session.verified_at + state.settings.recent_sign_in_secs,
        approval_emails,
    })
}

/// Refuses a change that needs a recent passkey sign-in when this session has none.
pub fn require_recent_verification(
    state: &AppState,
    session: &Session,
    now: i64,
) -> Result<(), AppError> {
    crate::context::Verification::of(session, &state.settings, now).require()
}

/// One passkey as an event's old or new value.
pub fn passkey_value(id: &PasskeyId, name: &str) -> Option<String> {
    Some(serde_json::json!({ "passkey_id": id.as_str(), "name": name }).to_string())
}

/// Starts registering another passkey for the person, excluding the ones they already have
/// (an authenticator that holds one of them says so instead of making a second).
pub async fn start_adding(
    state: &AppState,
    session: &Session,
    now: i64,
) -> Result<PasskeyChallenge<PasskeyCreationOptions>, AppError> {
    require_recent_verification(state, session, now)?;
    let owner = CeremonyOwner {
        user: session.user_id.clone(),
    };
    super::server::start_registration_for(
        state,
        &session.user_id,
        CeremonyPurpose::AddPasskey,
        &owner,
        now,
    )
    .await
}

/// Verifies and stores the new passkey under `name` (or "Passkey N" when empty), and records
/// `USER.CREATE.PASSKEY` in each of the person's tailnets.
pub async fn finish_adding(
    state: &AppState,
    actor: &Actor,
    ceremony: String,
    credential: &NewPasskey,
    name: &str,
    now: i64,
) -> Result<PasskeyId, AppError> {
    let name = (!name.trim().is_empty())
        .then(|| PasskeyName::parse(name))
        .transpose()?;
    let (passkey, owner): (Passkey, CeremonyOwner) = crate::accounts::finish_registration(
        state,
        CeremonyPurpose::AddPasskey,
        ceremony,
        credential,
        now,
    )
    .await?;
    if owner.user != actor.id {
        return Err(AppError::Forbidden);
    }
    let mut tx = begin_write(&state.db).await?;
    let (id, name) =
        super::server::insert_passkey(&mut tx, &actor.id, &passkey, name.as_ref(), now).await?;
    record_for_person(
        &mut tx,
        &EventGroup::new(),
        actor,
        &Target::passkeys_of(actor),
        EventName::PasskeyCreate,
        (None, passkey_value(&id, name.as_str())),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames one of the person's passkeys; renaming to the same name changes and records nothing.
pub async fn rename(
    state: &AppState,
    actor: &Actor,
    passkey: &PasskeyId,
    name: &str,
    now: i64,
) -> Result<(), AppError> {
    let name = PasskeyName::parse(name)?;
    let mut tx = begin_write(&state.db).await?;
    if let Some(old) = super::server::rename(&mut tx, &actor.id, passkey, &name).await? {
        record_for_person(
            &mut tx,
            &EventGroup::new(),
            actor,
            &Target::passkeys_of(actor),
            EventName::PasskeyRename,
            (
                passkey_value(passkey, &old),
                passkey_value(passkey, name.as_str()),
            ),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes one of the person's passkeys (never the last), after a recent verification, and
/// ends the person's other sessions that it signed in (a lost device's, say).
pub async fn delete(
    state: &AppState,
    session: &Session,
    actor: &Actor,
    passkey: &PasskeyId,
    now: i64,
) -> Result<(), AppError> {
    require_recent_verification(state, session, now)?;
    let mut tx = begin_write(&state.db).await?;
    let name = super::server::delete(&mut tx, &actor.id, passkey).await?;
    let ended = sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND passkey_id = $2 AND token_hash <> $3",
    )
    .bind(actor.id.as_str())
    .bind(passkey.as_str())
    .bind(&session.token_hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let consequence = serde_json::json!({ "sessions_ended": ended });
    record_for_person(
        &mut tx,
        &EventGroup::new(),
        actor,
        &Target::passkeys_of(actor),
        EventName::PasskeyDelete,
        (passkey_value(passkey, &name), Some(consequence.to_string())),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Confirm it's you": a passkey ceremony limited to the person's own passkeys.
pub async fn start_verification(
    state: &AppState,
    session: &Session,
    now: i64,
) -> Result<PasskeyChallenge<PasskeyRequestOptions>, AppError> {
    let mut conn = state.db.acquire().await?;
    let passkeys = credentials_of(&mut conn, &session.user_id).await?;
    drop(conn);
    let (options, authentication) = state
        .webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(AppError::internal)?;
    let owner = CeremonyOwner {
        user: session.user_id.clone(),
    };
    let ceremony = store_ceremony(
        &state.db,
        CeremonyPurpose::Verify,
        &authentication,
        &owner,
        now,
    )
    .await?;
    Ok(PasskeyChallenge {
        ceremony: ceremony.expose().to_owned(),
        options: PasskeyRequestOptions::encode(&options)?,
    })
}

/// Checks the person's passkey and marks this session as recently verified.
pub async fn finish_verification(
    state: &AppState,
    session: &Session,
    ceremony: String,
    credential: &PasskeyAssertion,
    client_address: Option<String>,
    now: i64,
) -> Result<(), AppError> {
    let (authentication, owner): (PasskeyAuthentication, CeremonyOwner) =
        take_ceremony(&state.db, CeremonyPurpose::Verify, ceremony, now).await?;
    if owner.user != session.user_id {
        return Err(AppError::Forbidden);
    }
    let credential = credential.decode().map_err(|error| {
        tracing::info!(%error, "passkey verification answer unreadable");
        passkey_not_verified()
    })?;
    let not_yours = || {
        AppError::SignInFailed(
            "This passkey is not one of yours. Choose a passkey of this account.".into(),
        )
    };
    let mut stored = find_by_credential(&state.db, credential.raw_id.as_ref())
        .await?
        .filter(|stored| stored.user_id == session.user_id)
        .ok_or_else(not_yours)?;
    let result = match state
        .webauthn
        .finish_passkey_authentication(&credential, &authentication)
    {
        Ok(result) => result,
        Err(WebauthnError::CredentialPossibleCompromise) => {
            return Err(refuse_possible_clone(state, &stored, client_address, now).await);
        }
        Err(error) => {
            tracing::info!(%error, "passkey verification refused");
            return Err(passkey_not_verified());
        }
    };
    stored.passkey.update_credential(&result);
    let mut tx = begin_write(&state.db).await?;
    if record_use(&mut tx, &stored, now).await? == RecordedUse::CounterAlreadySeen {
        drop(tx);
        return Err(refuse_possible_clone(state, &stored, client_address, now).await);
    }
    sqlx::query("UPDATE sessions SET verified_at = $1, passkey_id = $2 WHERE token_hash = $3")
        .bind(now)
        .bind(stored.id.as_str())
        .bind(&session.token_hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A passkey whose signature counter did not go up may have been copied: the sign-in is
/// refused, and the attempt is recorded in each of the owner's tailnets (it commits on its own,
/// as nothing else of the refused sign-in does).
pub async fn refuse_possible_clone(
    state: &AppState,
    stored: &StoredPasskey,
    client_address: Option<String>,
    now: i64,
) -> AppError {
    match record_possible_clone(state, stored, client_address, now).await {
        Ok(()) => AppError::SignInFailed(
            "Gatehouse refused this passkey: its signature counter went backwards, which can mean \
             it was copied. Sign in with another passkey and delete this one, or ask an admin \
             for a recovery link."
                .into(),
        ),
        Err(error) => error,
    }
}

async fn record_possible_clone(
    state: &AppState,
    stored: &StoredPasskey,
    client_address: Option<String>,
    now: i64,
) -> Result<(), AppError> {
    tracing::warn!(passkey = %stored.id, "passkey counter went backwards; sign-in refused");
    let mut tx = begin_write(&state.db).await?;
    let owner = Actor::load(&mut tx, &stored.user_id, client_address).await?;
    let name: String = sqlx::query_scalar("SELECT name FROM passkeys WHERE id = $1")
        .bind(stored.id.as_str())
        .fetch_one(&mut *tx)
        .await?;
    let details = serde_json::json!({
        "passkey_id": stored.id.as_str(),
        "name": name,
        "stored_counter": super::server::counter(&stored.passkey),
    });
    record_for_person(
        &mut tx,
        &EventGroup::new(),
        &owner,
        &Target::passkeys_of(&owner),
        EventName::PasskeyCounterRegression,
        (None, Some(details.to_string())),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Sign out everywhere": ends every session of the person, this one included, and records it.
pub async fn sign_out_everywhere(
    conn: &mut AnyConnection,
    actor: &Actor,
    now: i64,
) -> Result<u64, AppError> {
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(actor.id.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    record_for_person(
        conn,
        &EventGroup::new(),
        actor,
        &Target::user(&actor.id, &actor.email),
        EventName::UserLogoutEverywhere,
        (
            None,
            Some(serde_json::json!({ "sessions_ended": ended }).to_string()),
        ),
        now,
    )
    .await?;
    Ok(ended)
}
