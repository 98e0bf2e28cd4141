//! Server functions of recovery links: issuing one (Users page) and using one (`/recover/…`).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{IssuedRecoveryLink, RecoveryLinkPreview};
use crate::auth::model::PasskeyChallenge;
use crate::error::AppError;
use crate::ids::{TailnetId, UserId};
use crate::passkeys::wire::{NewPasskey, PasskeyCreationOptions};

/// "Recovery link": a one-time link for `user`, a member of `tailnet` (Owner, Admin, IT admin;
/// never for an account with more privileges than the caller's, in any of its tailnets). The
/// link is in this answer only; it is emailed too when email delivery is configured.
#[server(prefix = "/api", endpoint = "issue_recovery_link", input = Json)]
pub async fn issue_recovery_link(
    tailnet: TailnetId,
    user: UserId,
) -> Result<IssuedRecoveryLink, AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &tailnet, Permission::IssueRecoveryLinks).await?;
        // A recovery link opens someone's account: always a high-impact change.
        verification.require()?;
        super::server::issue_by_admin(&state, &actor, &tailnet, &user, now()).await
    })
    .await
}

/// Counts a request that presents a recovery token against its client address's limit; a
/// cross-site subresource request gets the invalid-link answer without a look-up.
#[cfg(feature = "ssr")]
async fn count_lookup(state: &crate::context::AppState, now: i64) -> Result<(), AppError> {
    if crate::rate_limit::count_token_lookup(state, "recovery", now).await? {
        Ok(())
    } else {
        Err(super::server::invalid_link())
    }
}

/// The recovery page's details; one answer (410) for every unusable link.
#[server(prefix = "/api", endpoint = "inspect_recovery_link", input = Json)]
pub async fn inspect_recovery_link(token: String) -> Result<RecoveryLinkPreview, AppError> {
    use crate::context::{app_state, now, respond};

    respond(async {
        let state = app_state()?;
        let now = now();
        count_lookup(&state, now).await?;
        super::server::preview(&state.db, token, now).await
    })
    .await
}

/// "Create a new passkey" on the recovery page, first half.
#[server(prefix = "/api", endpoint = "start_recovery", input = Json)]
pub async fn start_recovery(
    token: String,
) -> Result<PasskeyChallenge<PasskeyCreationOptions>, AppError> {
    use crate::context::{app_state, now, respond};

    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        let now = now();
        count_lookup(&state, now).await?;
        super::server::start(&state, token, now).await
    })
    .await
}

/// "Create a new passkey", second half: uses the link, signs in, and returns where to go.
#[server(prefix = "/api", endpoint = "finish_recovery", input = Json)]
pub async fn finish_recovery(ceremony: String, credential: NewPasskey) -> Result<String, AppError> {
    use crate::context::{app_state, client_address, now, request_parts, respond};

    respond(async {
        let state = app_state()?;
        crate::rate_limit::count_sign_in_attempt(&state, crate::context::now()).await?;
        let request = request_parts()?;
        super::server::finish(
            &state,
            ceremony,
            &credential,
            &request.headers,
            client_address(),
            now(),
        )
        .await?;
        Ok(crate::passkeys::model::ACCOUNT_PATH.to_owned())
    })
    .await
}
