//! HTTP layers around every route: refusing cross-site writes, and security headers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses state-changing requests that a browser sent from another site. Browsers send
/// `Sec-Fetch-Site` (or at least `Origin`) with every such request; a request with neither is
/// refused too, since our own pages always send them.
pub async fn refuse_cross_site(
    State(public_origin): State<Arc<str>>,
    request: Request,
    next: Next,
) -> Response {
    let safe_method = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe_method {
        return next.run(request).await;
    }
    let headers = request.headers();
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let same_site = match (
        header_text("sec-fetch-site"),
        header_text(header::ORIGIN.as_str()),
    ) {
        (Some(site), _) => site == "same-origin",
        (None, Some(origin)) => origin == &*public_origin,
        (None, None) => false,
    };
    if same_site {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "Cross-site request refused: Gatehouse only accepts changes from its own pages.",
        )
            .into_response()
    }
}

/// Headers every response carries. Pages set their own Content-Security-Policy with a
/// per-response nonce; anything else gets one that allows nothing to run.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    response
}

/// Leptos answers a request body it cannot decode with status 500, before our code runs. The
/// body is our `AppError` all the same; this gives it the status that error has (422 for a
/// malformed request), so clients are not told the server failed when they sent bad input.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.status_code())
    {
        parts.status = status;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
