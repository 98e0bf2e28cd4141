//! (ssr) Passkey ceremonies: the server-side half of a WebAuthn registration or sign-in,
//! stored in the database between its two requests (so another server may finish it) and
//! consumed once.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::AnyPool;

use super::model::CEREMONY_TTL_SECS;
use crate::error::AppError;
use crate::secrets::SecretToken;

/// What a ceremony is for; a ceremony started for one purpose cannot finish another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    Setup,
    SignIn,
    InviteSignUp,
    AddPasskey,
    Verify,
    Recovery,
}

impl CeremonyPurpose {
    fn as_str(self) -> &'static str {
        match self {
            CeremonyPurpose::Setup => "setup",
            CeremonyPurpose::SignIn => "sign_in",
            CeremonyPurpose::InviteSignUp => "invite_sign_up",
            CeremonyPurpose::AddPasskey => "add_passkey",
            CeremonyPurpose::Verify => "verify",
            CeremonyPurpose::Recovery => "recovery",
        }
    }
}

/// Stores a ceremony's server-side state (never sent to the client) and returns its id.
pub async fn store_ceremony(
    db: &AnyPool,
    purpose: CeremonyPurpose,
    webauthn_state: &impl Serialize,
    context: &impl Serialize,
    now: i64,
) -> Result<SecretToken, AppError> {
    let state_json = serde_json::to_string(webauthn_state).map_err(AppError::internal)?;
    let context_json = serde_json::to_string(context).map_err(AppError::internal)?;
    let id = SecretToken::generate();
    sqlx::query(
        "INSERT INTO webauthn_ceremonies (id_hash, purpose, state, context, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.hash())
    .bind(purpose.as_str())
    .bind(state_json)
    .bind(context_json)
    .bind(now + CEREMONY_TTL_SECS)
    .execute(db)
    .await?;
    Ok(id)
}

/// Consumes a ceremony: the row is deleted by the same statement that reads it, so it can be
/// finished once, by one server, and never replayed.
pub async fn take_ceremony<S: DeserializeOwned, C: DeserializeOwned>(
    db: &AnyPool,
    purpose: CeremonyPurpose,
    id: String,
    now: i64,
) -> Result<(S, C), AppError> {
    let id = SecretToken::from_client(id);
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "DELETE FROM webauthn_ceremonies WHERE id_hash = $1 AND purpose = $2 \
         RETURNING state, context, expires_at",
    )
    .bind(id.hash())
    .bind(purpose.as_str())
    .fetch_optional(db)
    .await?;
    let expired = || {
        AppError::Gone("The passkey request expired or was already used. Please try again.".into())
    };
    let (state, context, expires_at) = row.ok_or_else(expired)?;
    if now >= expires_at {
        return Err(expired());
    }
    let state = serde_json::from_str(&state).map_err(AppError::internal)?;
    let context = serde_json::from_str(&context).map_err(AppError::internal)?;
    Ok((state, context))
}
