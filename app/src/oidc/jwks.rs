//! (ssr) `GET /oidc/jwks`: the JSON Web Key Set relying parties verify ID tokens with (the
//! public halves of the signing keys and of keys retired too recently for their tokens to
//! have expired).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use openidconnect::core::CoreJsonWebKeySet;

use super::signing_keys::{ensure_one, published};
use crate::context::{AppState, now, refusal};

pub async fn jwks(State(state): State<AppState>) -> Response {
    let now = now();
    // A set without a key would make every relying party fail; the first request makes one.
    let keys = match ensure_one(&state.db, &state.settings.link_key, now).await {
        Ok(()) => published(&state.db, now).await,
        Err(error) => Err(error),
    };
    match keys {
        Ok(keys) => Json(CoreJsonWebKeySet::new(keys)).into_response(),
        Err(error) => refusal(&error),
    }
}
