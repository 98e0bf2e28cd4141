//! (ssr) The WebAuthn relying party and the passkeys table.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sqlx::{AnyConnection, AnyPool};
use webauthn_rs::prelude::{CreationChallengeResponse, Passkey};
use webauthn_rs::{Webauthn, WebauthnBuilder};
use webauthn_rs_proto::ResidentKeyRequirement;

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

pub fn credential_key(credential_id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(credential_id)
}

pub async fn insert_passkey(
    conn: &mut AnyConnection,
    user: &UserId,
    passkey: &Passkey,
    now: i64,
) -> Result<PasskeyId, AppError> {
    let id = PasskeyId::generate();
    let stored = serde_json::to_string(passkey).map_err(AppError::internal)?;
    sqlx::query(
        "INSERT INTO passkeys (id, user_id, credential_id, credential, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.as_str())
    .bind(user.as_str())
    .bind(credential_key(passkey.cred_id().as_ref()))
    .bind(stored)
    .bind("Passkey")
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(id)
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

/// Records a sign-in: the new counter and backup state, and when it was last used.
pub async fn record_use(
    conn: &mut AnyConnection,
    stored: &StoredPasskey,
    now: i64,
) -> Result<(), AppError> {
    let credential = serde_json::to_string(&stored.passkey).map_err(AppError::internal)?;
    sqlx::query("UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE id = $3")
        .bind(credential)
        .bind(now)
        .bind(stored.id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
