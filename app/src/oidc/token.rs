//! (ssr) The token endpoint (`POST /oidc/token`): a client proves itself (`client_secret_basic`
//! or `client_secret_post`; a public client by PKCE alone) and exchanges a code for an ID token
//! and an access token. A code is used once: a second exchange is refused and revokes what the
//! first one got. The person's membership is checked again, so someone suspended since the
//! code was made gets nothing.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreTokenType,
};
use openidconnect::{
    AccessToken, AuthorizationCode, EmptyExtraTokenFields, IdTokenFields, Scope,
    StandardTokenResponse,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::access::check_person;
use super::claims::{GroupsClaim, IdTokenRequest, Person, id_token};
use super::clients::{RegisteredClient, registered};
use super::grants::{
    ACCESS_TOKEN_LIFETIME_SECS, Grant, Redemption, issue_access_token, redeem_code,
};
use super::request::{Parameters, is_pkce_text};
use super::signing_keys::current;
use crate::context::{AppState, now};
use crate::error::AppError;
use crate::rate_limit::{self, Limit};
use crate::secrets::SecretToken;
use crate::sql::begin_write;

/// Exchanges per client per minute: a sign-in is one; guessing a secret is many.
pub const EXCHANGES_PER_MINUTE_PER_CLIENT: i64 = 120;

type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        GroupsClaim,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// An OAuth error answer (RFC 6749 5.2).
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    retry_after_secs: Option<u64>,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        let status = if code == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self {
            status,
            code,
            description: description.into(),
            retry_after_secs: None,
        }
    }

    fn invalid_client() -> Self {
        Self::new(
            "invalid_client",
            "Client authentication failed (unknown client or wrong secret).",
        )
    }
}

impl From<AppError> for OAuthError {
    fn from(error: AppError) -> Self {
        if let AppError::RateLimited { retry_after_secs } = error {
            return Self {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "invalid_request",
                description: "Too many token requests for this client; try again shortly."
                    .to_owned(),
                retry_after_secs: Some(retry_after_secs),
            };
        }
        tracing::error!(%error, "token request failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "server_error",
            description: "Gatehouse could not answer; try again.".to_owned(),
            retry_after_secs: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "error_description": self.description });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"gatehouse\""),
            );
        }
        if let Some(seconds) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// `POST /oidc/token`.
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let mut response = match exchange(&state, &headers, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(error) => error.into_response(),
    };
    // Tokens must not be kept by any cache (RFC 6749 5.1); `no-store` comes from the layer.
    response
        .headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// The client's id and secret from `Authorization: Basic` (each form-encoded, RFC 6749 2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::new("invalid_client", "The Basic credentials are malformed.");
    let text = value.to_str().map_err(|_| malformed())?;
    let Some(encoded) = text
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, encoded)| encoded.trim())
    else {
        return Err(OAuthError::new(
            "invalid_client",
            "Use HTTP Basic or client_secret_post to authenticate the client.",
        ));
    };
    let decoded = STANDARD.decode(encoded).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let form_decode = |part: &str| {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| malformed())
    };
    Ok(Some((form_decode(id)?, form_decode(secret)?)))
}

/// Who the client says it is, and the secret it proves it with (none for a public client).
fn client_credentials(
    headers: &HeaderMap,
    parameters: &Parameters,
) -> Result<(String, Option<String>), OAuthError> {
    let form = |name: &str| {
        parameters
            .one(name)
            .map(|value| value.map(str::to_owned))
            .map_err(|problem| OAuthError::new("invalid_request", problem))
    };
    let (form_id, form_secret) = (form("client_id")?, form("client_secret")?);
    match basic_credentials(headers)? {
        Some(_) if form_secret.is_some() => Err(OAuthError::new(
            "invalid_request",
            "Authenticate the client one way: HTTP Basic or client_secret in the form, not both.",
        )),
        Some((id, _)) if form_id.as_ref().is_some_and(|form_id| *form_id != id) => {
            Err(OAuthError::new(
                "invalid_request",
                "client_id differs from the Basic credentials.",
            ))
        }
        Some((id, secret)) => Ok((id, Some(secret).filter(|s| !s.is_empty()))),
        None => match form_id {
            Some(id) => Ok((id, form_secret)),
            None => Err(OAuthError::invalid_client()),
        },
    }
}

/// Whether `verifier` answers `challenge` (S256: the challenge is the verifier's SHA-256).
fn pkce_answers(verifier: &str, challenge: &str) -> bool {
    is_pkce_text(verifier)
        && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    parameters: &Parameters,
    now: i64,
) -> Result<RegisteredClient, OAuthError> {
    let (client_id, secret) = client_credentials(headers, parameters)?;
    let mut conn = state.db.acquire().await.map_err(AppError::from)?;
    let client = registered(&mut conn, &client_id)
        .await?
        .ok_or_else(OAuthError::invalid_client)?;
    drop(conn);
    // Counted only for clients that exist, so unknown ids cannot fill the counters table.
    let limit = Limit {
        max_hits: EXCHANGES_PER_MINUTE_PER_CLIENT,
        window_secs: rate_limit::WINDOW_SECS,
    };
    rate_limit::hit(&state.db, &format!("oidc-token:{client_id}"), limit, now).await?;
    let proven = match (client.client.public, secret) {
        (true, None) => true,
        (false, Some(secret)) => client.secret_matches(&SecretToken::from_client(secret)),
        _ => false,
    };
    if proven {
        Ok(client)
    } else {
        Err(OAuthError::invalid_client())
    }
}

async fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    body: &str,
) -> Result<TokenResponse, OAuthError> {
    let now = now();
    let parameters = Parameters::parse(body);
    let client = authenticate(state, headers, &parameters, now).await?;
    let required = |name: &str| match parameters.one(name) {
        Ok(Some(value)) => Ok(value.to_owned()),
        Ok(None) => Err(OAuthError::new(
            "invalid_request",
            format!("{name} is missing."),
        )),
        Err(problem) => Err(OAuthError::new("invalid_request", problem)),
    };
    if required("grant_type")? != "authorization_code" {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            "Only the authorization_code grant is supported.",
        ));
    }
    let code = SecretToken::from_client(required("code")?);
    let redirect_uri = required("redirect_uri")?;
    let verifier = parameters
        .one("code_verifier")
        .map_err(|problem| OAuthError::new("invalid_request", problem))?
        .map(str::to_owned);
    let key = current(&state.db, &state.settings.link_key, now).await?;

    let mut tx = begin_write(&state.db).await?;
    let grant = match redeem_code(&mut tx, &code, &client.client.id, now).await? {
        Ok(grant) => grant,
        Err(Redemption::Invalid) => {
            return Err(OAuthError::new(
                "invalid_grant",
                "The code is not valid: unknown, expired, or issued to another client.",
            ));
        }
        Err(Redemption::Reused) => {
            tx.commit().await.map_err(AppError::from)?;
            return Err(OAuthError::new(
                "invalid_grant",
                "The code was already used; the tokens issued with it are revoked.",
            ));
        }
    };
    // From here the code is spent whatever happens, so a wrong verifier cannot be retried.
    let checked = check_grant(&mut tx, &client, &grant, &redirect_uri, verifier.as_deref()).await;
    let role = match checked {
        Ok(role) => role,
        Err(error) => {
            tx.commit().await.map_err(AppError::from)?;
            return Err(error);
        }
    };
    let person = Person::load(&mut tx, &grant.user).await?;
    let access_token = issue_access_token(&mut tx, &code, &grant, now).await?;
    let access_token = AccessToken::new(access_token.expose().to_owned());
    let issuer = state.settings.public_origin();
    let id_token = id_token(
        &person,
        &IdTokenRequest {
            issuer: &issuer,
            client_id: &client.client.id,
            scope: &grant.scope,
            role,
            nonce: grant.nonce.as_deref(),
            auth_time: grant.auth_time,
            now,
            access_token: &access_token,
            code: &AuthorizationCode::new(code.expose().to_owned()),
        },
        &key,
    )?;
    tx.commit().await.map_err(AppError::from)?;
    let mut response = TokenResponse::new(
        access_token,
        CoreTokenType::Bearer,
        IdTokenFields::new(Some(id_token), EmptyExtraTokenFields {}),
    );
    response.set_expires_in(Some(&Duration::from_secs(
        ACCESS_TOKEN_LIFETIME_SECS.unsigned_abs(),
    )));
    response.set_scopes(Some(
        grant
            .scope
            .split(' ')
            .map(|s| Scope::new(s.to_owned()))
            .collect(),
    ));
    Ok(response)
}

/// The redirect URI and PKCE verifier must match the code's, and the person must still be let
/// in; returns their role.
async fn check_grant(
    conn: &mut sqlx::AnyConnection,
    client: &RegisteredClient,
    grant: &Grant,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<crate::roles::Role, OAuthError> {
    if grant.redirect_uri != redirect_uri {
        return Err(OAuthError::new(
            "invalid_grant",
            "redirect_uri differs from the one the code was issued for.",
        ));
    }
    match (&grant.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) if pkce_answers(verifier, challenge) => {}
        (Some(_), Some(_)) => {
            return Err(OAuthError::new(
                "invalid_grant",
                "The code_verifier does not match the code_challenge.",
            ));
        }
        (Some(_), None) => {
            return Err(OAuthError::new(
                "invalid_grant",
                "code_verifier is missing.",
            ));
        }
        (None, Some(_)) => {
            return Err(OAuthError::new(
                "invalid_grant",
                "The code was issued without a code_challenge.",
            ));
        }
        (None, None) => {}
    }
    check_person(conn, client, &grant.user)
        .await?
        .map_err(|refusal| OAuthError::new("invalid_grant", refusal.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_answers(verifier, challenge));
        assert!(!pkce_answers(&verifier.replace('d', "e"), challenge));
        assert!(!pkce_answers(challenge, challenge));
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%20client:s%3Acret+x");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).expect("header"),
        );
        let credentials = basic_credentials(&headers).expect("well formed");
        assert_eq!(
            credentials,
            Some(("my client".to_owned(), "s:cret x".to_owned()))
        );
    }
}
