//! (ssr) `POST /api/v2/oauth/token`: an OAuth client's id and secret, form-encoded or as HTTP
//! Basic, exchanged for a one-hour `tskey-api-…` access token (the client-credentials grant;
//! `grant_type` may be left out, as some clients do). Refusals carry OAuth's `error` code for
//! OAuth libraries and the API's `message` for everyone else.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::model::CLIENT_SECRET_PREFIX;
use super::oauth_clients::{self, ExchangeRefusal};
use crate::context::{AppState, now};
use crate::delegation::Scopes;
use crate::error::AppError;
use crate::rate_limit::{self, Limit};

/// Token requests one client may make a minute.
pub const TOKEN_REQUESTS_PER_MINUTE: i64 = 60;

/// The answer to a good request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenAnswer {
    /// A `tskey-api-…` token for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the token lives: 3600.
    pub expires_in: i64,
    /// The token's scopes, space-separated.
    pub scope: String,
}

/// A refusal, in OAuth's words and the API's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenRefusal {
    /// OAuth's code: `invalid_request`, `invalid_client`, `invalid_scope`,
    /// `unsupported_grant_type`.
    pub error: String,
    pub error_description: String,
    /// The same, as every API error says it.
    pub message: String,
}

fn refuse(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    let description = description.into();
    let mut response = (
        status,
        Json(TokenRefusal {
            error: error.to_owned(),
            error_description: description.clone(),
            message: description,
        }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"gatehouse\""),
        );
    }
    response
}

/// The request's fields that matter.
#[derive(Debug, Default, PartialEq, Eq)]
struct TokenRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    scope: Option<String>,
}

impl TokenRequest {
    fn parse(body: &[u8], headers: &HeaderMap) -> Self {
        let mut request = Self::default();
        for (name, value) in url::form_urlencoded::parse(body) {
            let value = Some(value.into_owned());
            match name.as_ref() {
                "client_id" => request.client_id = value,
                "client_secret" => request.client_secret = value,
                "grant_type" => request.grant_type = value,
                "scope" => request.scope = value,
                _ => {}
            }
        }
        if let Some((id, secret)) = basic_credentials(headers) {
            request.client_id = request.client_id.or(Some(id));
            request.client_secret = request.client_secret.or(Some(secret));
        }
        // Only the secret (it names its client, as `tskey-client-<id>-…`).
        if request.client_id.as_deref().is_none_or(str::is_empty) {
            request.client_id = request
                .client_secret
                .as_deref()
                .and_then(|secret| secret.strip_prefix(CLIENT_SECRET_PREFIX))
                .and_then(|rest| rest.split_once('-'))
                .map(|(id, _)| id.to_owned());
        }
        request
    }
}

/// `Authorization: Basic` with form-encoded id and secret (RFC 6749, section 2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |text: &str| {
        url::form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// `POST /api/v2/oauth/token`.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth", request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`client_id`, `client_secret` (or HTTP Basic), optional `grant_type=client_credentials` and `scope`"), responses((status = 200, description = "A one-hour access token", body = TokenAnswer), (status = "4XX", description = "An OAuth error", body = TokenRefusal)))]
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match exchange(&state, &headers, &body).await {
        Ok(response) => response,
        Err(error) => super::error::ApiError::from(error).into_response(),
    }
}

async fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, AppError> {
    let request = TokenRequest::parse(body, headers);
    if let Some(grant) = request.grant_type.as_deref()
        && grant != "client_credentials"
    {
        return Ok(refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        ));
    }
    let (Some(client_id), Some(secret)) = (request.client_id, request.client_secret) else {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id and client_secret are required (in the form or as HTTP Basic)",
        ));
    };
    let requested = match request.scope.as_deref().map(Scopes::parse).transpose() {
        Ok(requested) => requested,
        Err(problem) => {
            return Ok(refuse(StatusCode::BAD_REQUEST, "invalid_scope", problem));
        }
    };
    let now = now();
    let limit = Limit {
        max_hits: TOKEN_REQUESTS_PER_MINUTE,
        window_secs: rate_limit::WINDOW_SECS,
    };
    rate_limit::hit(&state.db, &format!("oauth-token:{client_id}"), limit, now).await?;
    let issued =
        match oauth_clients::exchange(&state.db, &client_id, &secret, requested, now).await? {
            Ok(issued) => issued,
            Err(ExchangeRefusal::InvalidClient) => {
                return Ok(refuse(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "unknown or revoked client, or a wrong secret",
                ));
            }
            Err(ExchangeRefusal::InvalidScope(problem)) => {
                return Ok(refuse(StatusCode::BAD_REQUEST, "invalid_scope", problem));
            }
        };
    let mut response = Json(TokenAnswer {
        access_token: issued.secret,
        token_type: "Bearer".to_owned(),
        expires_in: issued.expires_in,
        scope: issued.scopes.to_text(),
    })
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_the_form_or_basic_and_a_secret_names_its_client() {
        let form = TokenRequest::parse(
            b"client_id=c1&client_secret=s%2B1&grant_type=client_credentials",
            &HeaderMap::new(),
        );
        assert_eq!(form.client_id.as_deref(), Some("c1"));
        assert_eq!(form.client_secret.as_deref(), Some("s+1"));

        let mut headers = HeaderMap::new();
        let basic = STANDARD.encode("c2:tskey-client-c2-a%3Ab");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {basic}")).expect("header"),
        );
        let basic = TokenRequest::parse(b"", &headers);
        assert_eq!(basic.client_id.as_deref(), Some("c2"));
        assert_eq!(basic.client_secret.as_deref(), Some("tskey-client-c2-a:b"));
        assert_eq!(basic.grant_type, None);

        let secret_only =
            TokenRequest::parse(b"client_secret=tskey-client-c3-xyz", &HeaderMap::new());
        assert_eq!(secret_only.client_id.as_deref(), Some("c3"));
    }
}
