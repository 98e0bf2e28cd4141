//! Server functions behind the setup page.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{SetupForm, SetupLinkInfo};
use crate::auth::model::PasskeyChallenge;
use crate::error::AppError;
use crate::passkeys::wire::{NewPasskey, PasskeyCreationOptions};

/// What the server keeps while the browser creates the Owner's passkey.
#[cfg(feature = "ssr")]
#[derive(serde::Serialize, serde::Deserialize)]
struct SetupCeremony {
    token_hash: String,
    setup: super::model::ValidSetup,
    webauthn_user_id: uuid::Uuid,
}

/// Checks a setup link: 404 when unknown or malformed, 410 when used or expired.
#[server(prefix = "/api", endpoint = "get_setup_link", input = Json)]
pub async fn get_setup_link(token: String) -> Result<SetupLinkInfo, AppError> {
    use crate::context::{app_state, now, respond};
    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        super::server::inspect_setup_link(&state.db, &token, now()).await
    })
    .await
}

/// Validates the setup form and starts registering the Owner's passkey.
#[server(prefix = "/api", endpoint = "start_setup", input = Json)]
pub async fn start_setup(
    token: String,
    form: SetupForm,
) -> Result<PasskeyChallenge<PasskeyCreationOptions>, AppError> {
    use super::server::inspect_setup_link;
    use crate::accounts::{ensure_email_is_free, start_registration};
    use crate::auth::ceremonies::CeremonyPurpose;
    use crate::context::{app_state, now, respond};
    use crate::secrets::SecretToken;

    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        let now = now();
        inspect_setup_link(&state.db, &token, now).await?;
        let setup = form.validate()?;
        ensure_email_is_free(&mut *state.db.acquire().await?, &setup.email).await?;
        let (email, display_name) = (setup.email.clone(), setup.display_name.clone());
        start_registration(
            &state,
            CeremonyPurpose::Setup,
            &email,
            &display_name,
            |webauthn_user_id| SetupCeremony {
                token_hash: SecretToken::from_client(token).hash(),
                setup,
                webauthn_user_id,
            },
            now,
        )
        .await
    })
    .await
}

/// Verifies the new passkey, creates the tailnet and its Owner, signs them in and returns the
/// path of their Users page.
#[server(prefix = "/api", endpoint = "finish_setup", input = Json)]
pub async fn finish_setup(ceremony: String, credential: NewPasskey) -> Result<String, AppError> {
    use crate::accounts::finish_registration;
    use crate::auth::ceremonies::CeremonyPurpose;
    use crate::auth::server::load_signed_in_user;
    use crate::auth::sessions::set_session_cookie;
    use crate::context::{app_state, now, respond};

    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        let now = now();
        let (passkey, context): (_, SetupCeremony) =
            finish_registration(&state, CeremonyPurpose::Setup, ceremony, &credential, now).await?;
        let request = crate::context::request_parts()?;
        let owner = super::server::NewOwner {
            setup: &context.setup,
            webauthn_user_id: context.webauthn_user_id,
            passkey: &passkey,
        };
        let (user_id, session) = super::server::complete_setup(
            &state.db,
            &state.settings,
            &request.headers,
            &context.token_hash,
            owner,
            crate::context::client_address(),
            now,
        )
        .await?;
        set_session_cookie(&state.settings, &session);
        let user = load_signed_in_user(&state.db, &user_id).await?;
        Ok(user.landing_path())
    })
    .await
}
