//! Server functions of the "Keys" page. Owner, Admin, IT admin and Network admin generate and
//! revoke API access tokens and OAuth clients (the roles Tailscale lets generate them);
//! generating hands out a credential, so it needs a recent passkey sign-in.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{
    GeneratedApiToken, GeneratedOauthClient, KeysPage, NewApiToken, NewOauthClient,
};
use crate::error::AppError;
use crate::ids::TailnetId;

/// The page: the API's base URL and the tailnet's tokens.
#[server(prefix = "/api", endpoint = "list_api_tokens", input = Json)]
pub async fn list_api_tokens(tailnet: TailnetId) -> Result<KeysPage, AppError> {
    use crate::context::{app_state, now, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (_, role) = require(&state, &tailnet, Permission::ManageApiTokens).await?;
        let mut conn = state.db.acquire().await?;
        let now = now();
        Ok(KeysPage {
            api_base_url: state.settings.public_origin(),
            tokens: super::tokens::list(&mut conn, &tailnet, now).await?,
            oauth_clients: super::oauth_clients::list(&mut conn, &tailnet, now).await?,
            scopes_to_give: crate::delegation::Scope::ALL
                .into_iter()
                .filter(|scope| scope.usable_by(role))
                .collect(),
            now,
        })
    })
    .await
}

/// "Generate access token": returns the token and its secret (shown once).
#[server(prefix = "/api", endpoint = "generate_api_token", input = Json)]
pub async fn generate_api_token(token: NewApiToken) -> Result<GeneratedApiToken, AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &token.tailnet, Permission::ManageApiTokens).await?;
        let description = super::model::check_new_token(&token)?;
        verification.require()?;
        super::tokens::generate(
            &state.db,
            &actor,
            &token.tailnet,
            &description,
            token.expiry_days * super::tokens::DAY_SECS,
            now(),
        )
        .await
    })
    .await
}

/// "Revoke": the token stops working at once.
#[server(prefix = "/api", endpoint = "revoke_api_token", input = Json)]
pub async fn revoke_api_token(tailnet: TailnetId, token: String) -> Result<(), AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageApiTokens).await?;
        super::tokens::revoke(&state.db, &actor, &tailnet, &token, now()).await
    })
    .await
}

/// "Generate OAuth client": returns the client and its secret (shown once).
#[server(prefix = "/api", endpoint = "generate_oauth_client", input = Json)]
pub async fn generate_oauth_client(
    client: NewOauthClient,
) -> Result<GeneratedOauthClient, AppError> {
    use crate::context::{Verification, acting_person, app_state, now, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (session, role) = require(&state, &client.tailnet, Permission::ManageApiTokens).await?;
        let (description, scopes) = super::model::check_new_client(&client, role)?;
        Verification::of(&session, &state.settings, now()).require()?;
        let actor = acting_person(&state, &session).await?;
        super::oauth_clients::generate(
            &state.db,
            &actor,
            &client.tailnet,
            &description,
            &scopes,
            now(),
        )
        .await
    })
    .await
}

/// "Revoke" of an OAuth client: it and every token it was given stop working at once.
#[server(prefix = "/api", endpoint = "revoke_oauth_client", input = Json)]
pub async fn revoke_oauth_client(tailnet: TailnetId, client: String) -> Result<(), AppError> {
    use crate::context::{acting_member, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let actor = acting_member(&state, &tailnet, Permission::ManageApiTokens).await?;
        super::oauth_clients::revoke(&state.db, &actor, &tailnet, &client, now()).await
    })
    .await
}
