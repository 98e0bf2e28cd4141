//! Server functions for signing in and out, and for "who am I".

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{PasskeyChallenge, SignedInUser};
use crate::error::AppError;
use crate::passkeys::wire::{PasskeyAssertion, PasskeyRequestOptions};

/// Starts a passkey sign-in without a user name: the browser offers the passkeys it holds.
#[server(prefix = "/api", endpoint = "start_sign_in", input = Json)]
pub async fn start_sign_in() -> Result<PasskeyChallenge<PasskeyRequestOptions>, AppError> {
    use super::ceremonies::{CeremonyPurpose, store_ceremony};
    use crate::context::{app_state, now, respond};

    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        let (options, ceremony_state) = state
            .webauthn
            .start_discoverable_authentication()
            .map_err(AppError::internal)?;
        let ceremony = store_ceremony(
            &state.db,
            CeremonyPurpose::SignIn,
            &ceremony_state,
            &(),
            now(),
        )
        .await?;
        Ok(PasskeyChallenge {
            ceremony: ceremony.expose().to_owned(),
            options: PasskeyRequestOptions::encode(&options)?,
        })
    })
    .await
}

/// Finishes a passkey sign-in, starts a session and returns where to go next.
#[server(prefix = "/api", endpoint = "finish_sign_in", input = Json)]
pub async fn finish_sign_in(
    ceremony: String,
    credential: PasskeyAssertion,
) -> Result<String, AppError> {
    use super::ceremonies::{CeremonyPurpose, take_ceremony};
    use super::server::load_signed_in_user;
    use super::sessions::{
        end_presented_session, record_session_event, set_session_cookie, start_session,
    };
    use crate::audit::model::EventName;
    use crate::context::{app_state, client_address, now, request_parts, respond};
    use crate::passkeys::account::refuse_possible_clone;
    use crate::passkeys::server::{
        RecordedUse, find_by_credential, passkey_not_verified, record_use,
    };
    use webauthn_rs::prelude::{DiscoverableAuthentication, WebauthnError};

    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        let now = now();
        let (ceremony_state, ()): (DiscoverableAuthentication, ()) =
            take_ceremony(&state.db, CeremonyPurpose::SignIn, ceremony, now).await?;
        let unknown = || {
            AppError::SignInFailed(
                "This passkey is not registered with Gatehouse. Choose another passkey, or ask \
                 an admin of your tailnet for an invitation."
                    .into(),
            )
        };
        let credential = credential.decode().map_err(|error| {
            tracing::info!(%error, "passkey sign-in answer unreadable");
            passkey_not_verified()
        })?;
        let (user_handle, credential_id) = state
            .webauthn
            .identify_discoverable_authentication(&credential)
            .map_err(|_| unknown())?;
        let mut stored = find_by_credential(&state.db, credential_id)
            .await?
            .filter(|stored| stored.webauthn_user_id == user_handle.to_string())
            .ok_or_else(unknown)?;
        let result = match state.webauthn.finish_discoverable_authentication_v2(
            &credential,
            ceremony_state,
            &stored.passkey,
        ) {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                return Err(refuse_possible_clone(&state, &stored, client_address(), now).await);
            }
            Err(error) => {
                tracing::info!(%error, "passkey sign-in refused");
                return Err(passkey_not_verified());
            }
        };
        stored.passkey.update_credential(&result);

        let request = request_parts()?;
        let mut tx = crate::sql::begin_write(&state.db).await?;
        if record_use(&mut tx, &stored, now).await? == RecordedUse::CounterAlreadySeen {
            drop(tx);
            return Err(refuse_possible_clone(&state, &stored, client_address(), now).await);
        }
        end_presented_session(&mut tx, &state.settings, &request.headers).await?;
        let token = start_session(&mut tx, &stored.user_id, Some(&stored.id), now).await?;
        record_session_event(
            &mut tx,
            &stored.user_id,
            client_address(),
            EventName::UserLogin,
            now,
        )
        .await?;
        tx.commit().await?;
        set_session_cookie(&state.settings, &token);

        let user = load_signed_in_user(&state.db, &stored.user_id).await?;
        Ok(user.landing_path())
    })
    .await
}

/// Ends the current session. Signing out twice is not an error.
#[server(prefix = "/api", endpoint = "sign_out", input = Json)]
pub async fn sign_out() -> Result<(), AppError> {
    use super::sessions::{clear_session_cookie, end_session};
    use crate::context::{app_state, client_address, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        match current_session(&state).await {
            Ok(session) => end_session(&state.db, &session, client_address(), now()).await?,
            Err(AppError::Unauthenticated) => {}
            Err(other) => return Err(other),
        }
        clear_session_cookie(&state.settings);
        Ok(())
    })
    .await
}

/// "Sign out everywhere": ends every session of the person, on every device, this one too.
#[server(prefix = "/api", endpoint = "sign_out_everywhere", input = Json)]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use super::sessions::clear_session_cookie;
    use crate::context::{acting_person, app_state, current_session, now, respond};
    use crate::sql::begin_write;

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        let actor = acting_person(&state, &session).await?;
        let mut tx = begin_write(&state.db).await?;
        crate::passkeys::account::sign_out_everywhere(&mut tx, &actor, now()).await?;
        tx.commit().await?;
        clear_session_cookie(&state.settings);
        Ok(())
    })
    .await
}

/// The signed-in person, or `None` when nobody is signed in.
#[server(prefix = "/api", endpoint = "current_user", input = Json)]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    use crate::context::{app_state, current_session, respond, signed_in_user};

    respond(async {
        let state = app_state()?;
        match current_session(&state).await {
            Ok(session) => Ok(Some(signed_in_user(&state, &session).await?)),
            Err(AppError::Unauthenticated) => Ok(None),
            Err(other) => Err(other),
        }
    })
    .await
}
