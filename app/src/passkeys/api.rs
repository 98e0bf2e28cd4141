//! Server functions of the Account page: the person's passkeys and sessions. Each acts on the
//! signed-in person only; nobody manages another person's passkeys here.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::AccountOverview;
use crate::auth::model::PasskeyChallenge;
use crate::error::AppError;
use crate::ids::PasskeyId;
use crate::passkeys::wire::{
    NewPasskey, PasskeyAssertion, PasskeyCreationOptions, PasskeyRequestOptions,
};

/// The Account page: name, email, passkeys and how many sessions are signed in.
#[server(prefix = "/api", endpoint = "get_account", input = Json)]
pub async fn get_account() -> Result<AccountOverview, AppError> {
    use crate::context::{app_state, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        super::account::overview(&state, &session, now()).await
    })
    .await
}

/// "Add passkey", first half: options that exclude the person's passkeys. Needs a passkey
/// sign-in within `GATEHOUSE_RECENT_SIGN_IN` (5 minutes).
#[server(prefix = "/api", endpoint = "start_add_passkey", input = Json)]
pub async fn start_add_passkey() -> Result<PasskeyChallenge<PasskeyCreationOptions>, AppError> {
    use crate::context::{app_state, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        super::account::start_adding(&state, &session, now()).await
    })
    .await
}

/// "Add passkey", second half: stores the new passkey as `name` ("Passkey N" when empty).
#[server(prefix = "/api", endpoint = "finish_add_passkey", input = Json)]
pub async fn finish_add_passkey(
    ceremony: String,
    credential: NewPasskey,
    name: String,
) -> Result<PasskeyId, AppError> {
    use crate::context::{acting_person, app_state, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        let actor = acting_person(&state, &session).await?;
        super::account::finish_adding(&state, &actor, ceremony, &credential, &name, now()).await
    })
    .await
}

/// "Rename" one of the person's passkeys.
#[server(prefix = "/api", endpoint = "rename_passkey", input = Json)]
pub async fn rename_passkey(passkey: PasskeyId, name: String) -> Result<(), AppError> {
    use crate::context::{acting_person, app_state, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        let actor = acting_person(&state, &session).await?;
        super::account::rename(&state, &actor, &passkey, &name, now()).await
    })
    .await
}

/// "Delete" one of the person's passkeys: never the last, and only within
/// `GATEHOUSE_RECENT_SIGN_IN` (5 minutes) of a passkey sign-in.
#[server(prefix = "/api", endpoint = "delete_passkey", input = Json)]
pub async fn delete_passkey(passkey: PasskeyId) -> Result<(), AppError> {
    use crate::context::{acting_person, app_state, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        let actor = acting_person(&state, &session).await?;
        super::account::delete(&state, &session, &actor, &passkey, now()).await
    })
    .await
}

/// "Confirm it's you", first half: a challenge for the person's own passkeys.
#[server(prefix = "/api", endpoint = "start_verify_passkey", input = Json)]
pub async fn start_verify_passkey() -> Result<PasskeyChallenge<PasskeyRequestOptions>, AppError> {
    use crate::context::{app_state, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        crate::rate_limit::count_confirmation(&state, &session.user_id, now()).await?;
        super::account::start_verification(&state, &session, now()).await
    })
    .await
}

/// "Confirm it's you", second half: this session counts as freshly signed in.
#[server(prefix = "/api", endpoint = "finish_verify_passkey", input = Json)]
pub async fn finish_verify_passkey(
    ceremony: String,
    credential: PasskeyAssertion,
) -> Result<(), AppError> {
    use crate::context::{app_state, client_address, current_session, now, respond};

    respond(async {
        let state = app_state()?;
        let session = current_session(&state).await?;
        super::account::finish_verification(
            &state,
            &session,
            ceremony,
            &credential,
            client_address(),
            now(),
        )
        .await
    })
    .await
}
