//! (ssr) The userinfo endpoint (`GET` or `POST /oidc/userinfo`, RFC 6750 bearer token): the
//! same claims as the ID token, for as long as the access token lives and the person is still
//! let in: someone suspended, removed or demoted out of the client's roles gets
//! `invalid_token`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};

use super::access::check_person;
use super::claims::{Person, userinfo as claims_of};
use super::clients::registered;
use super::grants::access_token_holder;
use crate::context::{AppState, now};
use crate::error::AppError;
use crate::secrets::SecretToken;

/// A 401 with the bearer challenge; `error` is absent when no token was presented at all.
fn unauthorized(error: Option<&str>) -> Response {
    let challenge = match error {
        Some(description) => format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            description.replace(['"', '\\'], "'")
        ),
        None => "Bearer".to_owned(),
    };
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn bearer_token(headers: &HeaderMap) -> Option<SecretToken> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| SecretToken::from_client(token.trim().to_owned()))
}

/// `GET` and `POST /oidc/userinfo`.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return unauthorized(None);
    };
    match answer(&state, &token).await {
        Ok(Ok(claims)) => Json(claims).into_response(),
        Ok(Err(problem)) => unauthorized(Some(&problem)),
        Err(error) => {
            tracing::error!(%error, "userinfo failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn answer(
    state: &AppState,
    token: &SecretToken,
) -> Result<Result<serde_json::Value, String>, AppError> {
    let mut conn = state.db.acquire().await?;
    let Some(holder) = access_token_holder(&mut conn, token, now()).await? else {
        return Ok(Err(
            "The access token is unknown, expired or revoked.".to_owned()
        ));
    };
    let Some(client) = registered(&mut conn, &holder.client_id).await? else {
        return Ok(Err("The client was deleted.".to_owned()));
    };
    let role = match check_person(&mut conn, &client, &holder.user).await? {
        Ok(role) => role,
        Err(refusal) => return Ok(Err(refusal.to_string())),
    };
    let person = Person::load(&mut conn, &holder.user).await?;
    let claims = claims_of(&person, &holder.scope, role);
    Ok(Ok(
        serde_json::to_value(&claims).map_err(AppError::internal)?
    ))
}
