//! (ssr) The WebAuthn relying party and the passkeys table.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sqlx::{AnyConnection, AnyPool};
use webauthn_rs::prelude::{CreationChallengeResponse, Passkey};
use webauthn_rs::{Webauthn, WebauthnBuilder};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::model::{LAST_PASSKEY_MESSAGE, PasskeyName, PasskeySummary, SyncState};
use super::wire::PasskeyCreationOptions;
use crate::error::AppError;
use crate::ids::{PasskeyId, UserId};

/// The relying party for `public_url`: its host is the RP id and the URL is the only origin.
pub fn relying_party(public_url: &url::Url) -> Result<Webauthn, String> {
    let host = public_url
        .host_str()
        .ok_or_else(|| "the public URL has no host".to_owned())?;
    WebauthnBuilder::new(host, public_url)
        .and_then(|builder| builder.rp_name("Gatehouse").build())
        .map_err(|error| format!("cannot be used as a WebAuthn origin: {error}"))
}

/// webauthn-rs asks for a server-side credential by default; sign-in without a user name needs
/// a discoverable one (a passkey kept by the authenticator), so require it.
pub fn require_discoverable(mut options: CreationChallengeResponse) -> CreationChallengeResponse {
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    options
}

/// The refusal of a passkey that was used but could not be verified (or whose answer could
/// not be read): signing in and "Confirm it's you" say the same.
pub fn passkey_not_verified() -> AppError {
    AppError::SignInFailed("Gatehouse could not verify this passkey. Please try again.".into())
}

pub fn credential_key(credential_id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(credential_id)
}

/// Stores `passkey` for `user` under `name`, or "Passkey N" (N counting every passkey the
/// person ever added) when `name` is `None`.
pub async fn insert_passkey(
    conn: &mut AnyConnection,
    user: &UserId,
    passkey: &Passkey,
    name: Option<&PasskeyName>,
    now: i64,
) -> Result<(PasskeyId, PasskeyName), AppError> {
    let id = PasskeyId::generate();
    let stored = serde_json::to_string(passkey).map_err(AppError::internal)?;
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(ordinal) FROM passkeys WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let ordinal = last.unwrap_or(0) + 1;
    let name = name
        .cloned()
        .unwrap_or_else(|| PasskeyName::numbered(ordinal));
    let inserted = sqlx::query(
        "INSERT INTO passkeys (id, user_id, credential_id, credential, name, created_at, ordinal, \
             sign_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.as_str())
    .bind(user.as_str())
    .bind(credential_key(passkey.cred_id().as_ref()))
    .bind(stored)
    .bind(name.as_str())
    .bind(now)
    .bind(ordinal)
    .bind(i64::from(counter(passkey)))
    .execute(&mut *conn)
    .await;
    match inserted {
        Ok(_) => Ok((id, name)),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Err(
            AppError::Conflict("This passkey is already registered with Gatehouse.".into()),
        ),
        Err(error) => Err(error.into()),
    }
}

/// A stored passkey found by its credential id, with its owner.
pub struct StoredPasskey {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub webauthn_user_id: String,
    pub passkey: Passkey,
}

pub async fn find_by_credential(
    db: &AnyPool,
    credential_id: &[u8],
) -> Result<Option<StoredPasskey>, AppError> {
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT p.id, p.user_id, u.webauthn_user_id, p.credential FROM passkeys p \
         JOIN users u ON u.id = p.user_id WHERE p.credential_id = $1",
    )
    .bind(credential_key(credential_id))
    .fetch_optional(db)
    .await?;
    row.map(|(id, user_id, webauthn_user_id, credential)| {
        Ok(StoredPasskey {
            id: PasskeyId::from_raw(id),
            user_id: UserId::from_raw(user_id),
            webauthn_user_id,
            passkey: serde_json::from_str(&credential).map_err(AppError::internal)?,
        })
    })
    .transpose()
}

/// What recording a sign-in found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordedUse {
    Recorded,
    /// Another sign-in recorded this counter (or a higher one) since this one read the passkey:
    /// two uses of one counter value mean a copy. Nothing was written.
    CounterAlreadySeen,
}

/// Records a sign-in: the new counter and backup state, and when it was last used. The write
/// is conditional on the stored counter still being below the new one (for passkeys that count
/// at all), so two sign-ins that raced past the verification cannot both record.
pub async fn record_use(
    conn: &mut AnyConnection,
    stored: &StoredPasskey,
    now: i64,
) -> Result<RecordedUse, AppError> {
    let credential = serde_json::to_string(&stored.passkey).map_err(AppError::internal)?;
    let new_count = i64::from(counter(&stored.passkey));
    let updated = sqlx::query(
        "UPDATE passkeys SET credential = $1, last_used_at = $2, sign_count = $3 \
         WHERE id = $4 AND ($3 = 0 OR sign_count < $3)",
    )
    .bind(credential)
    .bind(now)
    .bind(new_count)
    .bind(stored.id.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(if updated.rows_affected() == 1 {
        RecordedUse::Recorded
    } else {
        RecordedUse::CounterAlreadySeen
    })
}

/// Whether a stored credential is backed up, and may be (WebAuthn's BE and BS flags).
fn sync_state(passkey: &Passkey) -> SyncState {
    let credential = webauthn_rs::prelude::Credential::from(passkey.clone());
    SyncState::from_flags(credential.backup_eligible, credential.backup_state)
}

/// The signature counter of a stored credential.
pub fn counter(passkey: &Passkey) -> u32 {
    webauthn_rs::prelude::Credential::from(passkey.clone()).counter
}

type PasskeyRow = (String, String, String, i64, Option<i64>);

/// `user`'s passkeys, oldest first.
pub async fn list(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Vec<PasskeySummary>, AppError> {
    let rows: Vec<PasskeyRow> = sqlx::query_as(
        "SELECT id, name, credential, created_at, last_used_at FROM passkeys \
         WHERE user_id = $1 ORDER BY ordinal, created_at, id",
    )
    .bind(user.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, name, credential, created_at, last_used_at)| {
            let passkey: Passkey = serde_json::from_str(&credential).map_err(AppError::internal)?;
            Ok(PasskeySummary {
                id: PasskeyId::from_raw(id),
                name,
                created_at,
                last_used_at,
                sync: sync_state(&passkey),
            })
        })
        .collect()
}

/// `user`'s credentials, to exclude from a new registration or to confirm it's them.
pub async fn credentials_of(
    conn: &mut AnyConnection,
    user: &UserId,
) -> Result<Vec<Passkey>, AppError> {
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT credential FROM passkeys WHERE user_id = $1 ORDER BY id")
            .bind(user.as_str())
            .fetch_all(&mut *conn)
            .await?;
    stored
        .iter()
        .map(|credential| serde_json::from_str(credential).map_err(AppError::internal))
        .collect()
}

/// The name of one of `user`'s passkeys; `NotFound` for anyone else's.
async fn name_of(
    conn: &mut AnyConnection,
    user: &UserId,
    passkey: &PasskeyId,
) -> Result<String, AppError> {
    sqlx::query_scalar("SELECT name FROM passkeys WHERE id = $1 AND user_id = $2")
        .bind(passkey.as_str())
        .bind(user.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::NotFound("This passkey does not exist or is not yours.".into()))
}

/// Renames one of `user`'s passkeys; returns its old name, or `None` when the name is unchanged.
pub async fn rename(
    conn: &mut AnyConnection,
    user: &UserId,
    passkey: &PasskeyId,
    name: &PasskeyName,
) -> Result<Option<String>, AppError> {
    let old = name_of(conn, user, passkey).await?;
    if old == name.as_str() {
        return Ok(None);
    }
    sqlx::query("UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3")
        .bind(name.as_str())
        .bind(passkey.as_str())
        .bind(user.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(Some(old))
}

/// Deletes one of `user`'s passkeys, never the last; returns its name. Locks the person's row
/// first, so two deletions at once cannot both see a second passkey and leave none.
pub async fn delete(
    conn: &mut AnyConnection,
    user: &UserId,
    passkey: &PasskeyId,
) -> Result<String, AppError> {
    sqlx::query("UPDATE users SET display_name = display_name WHERE id = $1")
        .bind(user.as_str())
        .execute(&mut *conn)
        .await?;
    let name = name_of(conn, user, passkey).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1")
        .bind(user.as_str())
        .fetch_one(&mut *conn)
        .await?;
    if count <= 1 {
        return Err(AppError::NotAllowed(LAST_PASSKEY_MESSAGE.into()));
    }
    sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2")
        .bind(passkey.as_str())
        .bind(user.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(name)
}

/// Starts registering another passkey for an existing person (`user`), excluding the passkeys
/// they have, so an authenticator that holds one says so instead of making a second. `context`
/// is what the ceremony keeps for its second half.
pub async fn start_registration_for<C: serde::Serialize>(
    state: &crate::context::AppState,
    user: &UserId,
    purpose: crate::auth::ceremonies::CeremonyPurpose,
    context: &C,
    now: i64,
) -> Result<crate::auth::model::PasskeyChallenge<PasskeyCreationOptions>, AppError> {
    let mut conn = state.db.acquire().await?;
    let (webauthn_user_id, display_name, email): (String, String, String) =
        sqlx::query_as("SELECT webauthn_user_id, display_name, email FROM users WHERE id = $1")
            .bind(user.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let webauthn_user_id = uuid::Uuid::parse_str(&webauthn_user_id).map_err(AppError::internal)?;
    let existing = credentials_of(&mut conn, user)
        .await?
        .iter()
        .map(|passkey| passkey.cred_id().clone())
        .collect();
    drop(conn);
    let (options, registration) = state
        .webauthn
        .start_passkey_registration(webauthn_user_id, &email, &display_name, Some(existing))
        .map_err(AppError::internal)?;
    let ceremony =
        crate::auth::ceremonies::store_ceremony(&state.db, purpose, &registration, context, now)
            .await?;
    Ok(crate::auth::model::PasskeyChallenge {
        ceremony: ceremony.expose().to_owned(),
        options: PasskeyCreationOptions::encode(&require_discoverable(options))?,
    })
}
