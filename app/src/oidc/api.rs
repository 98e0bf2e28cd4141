//! Server functions of the "OIDC clients" page. Every admin role reads it; Owner, Admin and
//! Network admin add clients, regenerate secrets and delete clients. Adding a client and
//! regenerating a secret hand out a credential, so both need a recent passkey sign-in.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{AddedOidcClient, NewOidcClient, OidcClientsPage};
use crate::error::AppError;
use crate::ids::TailnetId;

/// The page: the issuer URL, the tailnet's clients and whether the viewer manages them.
#[server(prefix = "/api", endpoint = "list_oidc_clients", input = Json)]
pub async fn list_oidc_clients(tailnet: TailnetId) -> Result<OidcClientsPage, AppError> {
    use crate::context::{app_state, require, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (_, role) = require(&state, &tailnet, Permission::ViewOidcClients).await?;
        let mut conn = state.db.acquire().await?;
        Ok(OidcClientsPage {
            issuer: state.settings.public_origin(),
            clients: super::clients::list(&mut conn, &tailnet).await?,
            manages: role.can(Permission::ManageOidcClients),
        })
    })
    .await
}

/// "Add OIDC client": returns the client and, for a confidential one, its secret (shown once).
#[server(prefix = "/api", endpoint = "add_oidc_client", input = Json)]
pub async fn add_oidc_client(client: NewOidcClient) -> Result<AddedOidcClient, AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &client.tailnet, Permission::ManageOidcClients).await?;
        let valid = super::clients::check_new_client(&client)?;
        verification.require()?;
        super::clients::add(&state.db, &actor, &client.tailnet, valid, now()).await
    })
    .await
}

/// "Regenerate secret": returns the new secret (shown once); the old one stops working.
#[server(prefix = "/api", endpoint = "regenerate_oidc_client_secret", input = Json)]
pub async fn regenerate_oidc_client_secret(
    tailnet: TailnetId,
    client: String,
) -> Result<String, AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, verification) =
            acting_member_verified(&state, &tailnet, Permission::ManageOidcClients).await?;
        verification.require()?;
        super::clients::regenerate_secret(&state.db, &actor, &tailnet, &client, now()).await
    })
    .await
}

/// "Delete": the client can no longer sign anyone in.
#[server(prefix = "/api", endpoint = "delete_oidc_client", input = Json)]
pub async fn delete_oidc_client(tailnet: TailnetId, client: String) -> Result<(), AppError> {
    use crate::context::{acting_member_verified, app_state, now, respond};
    use crate::roles::Permission;

    respond(async {
        let state = app_state()?;
        let (actor, _) =
            acting_member_verified(&state, &tailnet, Permission::ManageOidcClients).await?;
        super::clients::delete(&state.db, &actor, &tailnet, &client, now()).await
    })
    .await
}
