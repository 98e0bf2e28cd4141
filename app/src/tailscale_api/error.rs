//! (ssr) Every `/api/v2` error as Tailscale answers it: JSON `{"message": "…"}` with the
//! status that says what went wrong (400 bad input, 401 no or bad token, 403 not allowed, 404
//! unknown, also another tailnet's objects, 409, 429 with `Retry-After`, 500).

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::AppError;

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let message = match &error {
            // Every field's message, not the console's summary.
            AppError::Validation(fields) => fields
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            AppError::Unauthenticated => "API token invalid or missing".to_owned(),
            other => other.to_string(),
        };
        let status = match &error {
            // The console's 422 is Tailscale's 400.
            AppError::Validation(_) => StatusCode::BAD_REQUEST,
            other => StatusCode::from_u16(other.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        };
        Self {
            status,
            message,
            retry_after_secs: error.retry_after_secs(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            message: self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"gatehouse\""),
            );
        }
        response
    }
}

/// A layer for the whole app: an error answer under `/api/v2` that is not JSON yet (a body
/// over the size limit, a method the route lacks, a timeout) becomes `{"message": …}` with the
/// same status.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let api = request
        .uri()
        .path()
        .starts_with(&format!("{}/", super::router::API_V2_PREFIX));
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    let status = response.status();
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let mut answer = ApiError::new(status, message).into_response();
    if let Some(retry_after) = response.headers().get(header::RETRY_AFTER) {
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after.clone());
    }
    answer
}
