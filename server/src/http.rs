//! HTTP layers around every route: the request log, refusing cross-site writes, and security
//! headers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Path segments that follow these are secrets (invite, setup and recovery tokens).
const SECRET_AFTER: [&str; 3] = ["invite", "setup", "recover"];

/// The request path as the log shows it: the token of an invite or setup link is replaced, so
/// the log never holds a working link. The query string is left out for the same reason.
pub fn loggable_path(path: &str) -> String {
    let mut previous = "";
    path.split('/')
        .map(|segment| {
            let shown = if SECRET_AFTER.contains(&previous) && !segment.is_empty() {
                "…"
            } else {
                segment
            };
            previous = segment;
            shown
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Logs each request (method, masked path, status, time) once it is answered, and counts it
/// for the metrics.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let raw_path = request.uri().path().to_owned();
    let path = loggable_path(&raw_path);
    let matched = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let route = crate::metrics::route_label(matched.as_deref(), &raw_path);
    crate::metrics::record_request(&route, &method, status, started);
    let ms = started.elapsed().as_secs_f64() * 1_000.0;
    // Probes ask every few seconds: they are logged only when debugging, unless they fail.
    if crate::health::is_probe(&path) && status < 400 {
        tracing::debug!(%method, %path, status, ms, "request");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    response
}

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
    // The OIDC endpoints relying parties call server to server, and the API v2, carry no
    // cookie authority: their credentials are in the request.
    let path = request.uri().path();
    let without_cookies = app::oidc::CROSS_SITE_PATHS.contains(&path)
        || path.starts_with(&format!("{}/", app::tailscale_api::router::API_V2_PREFIX));
    if safe_method || without_cookies {
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

/// What the security headers depend on.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// The public URL is https: browsers are told to use nothing else for a year.
    pub https: bool,
}

/// Where the compiled wasm, JS and CSS are served from: the only responses a browser or proxy
/// may keep. Everything else is a page or an answer that may name people, carry a link or a
/// secret, or depend on who is signed in.
const CACHEABLE_PREFIX: &str = "/pkg/";

/// Whether `path` is one of the site's files: under `/pkg/` from disk, or under the embedded
/// site's `/v-<id>/pkg/` (which sets its own year-long, immutable caching).
fn is_site_file(path: &str) -> bool {
    path.starts_with(CACHEABLE_PREFIX)
        || crate::site::embedded_pkg_dir().is_some_and(|dir| path.starts_with(&format!("/{dir}/")))
}

/// Headers every response carries. Pages set their own Content-Security-Policy with a
/// per-response nonce; anything else gets one that allows nothing to run.
pub async fn security_headers(
    State(policy): State<HeaderPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let cacheable = is_site_file(request.uri().path());
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
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    // Passkeys (publickey-credentials-*) and the clipboard are all the pages use.
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), \
             midi=(), display-capture=()",
        ),
    );
    if policy.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
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
    let path = request.uri().path();
    let is_server_fn = path.starts_with("/api/")
        && !path.starts_with(&format!("{}/", app::tailscale_api::router::API_V2_PREFIX));
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

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn invite_setup_and_recovery_tokens_never_reach_the_log() {
        let token = "q0W8mXk2oVdJ3nLr5tYb7uPa9sHc1eFg4iKz6wQ8xYz";
        assert_eq!(loggable_path(&format!("/invite/{token}")), "/invite/…");
        assert_eq!(loggable_path(&format!("/setup/{token}")), "/setup/…");
        assert_eq!(loggable_path(&format!("/recover/{token}")), "/recover/…");
        assert_eq!(loggable_path(&format!("/invite/{token}/")), "/invite/…/");
        assert_eq!(loggable_path("/admin/t1/users"), "/admin/t1/users");
        assert_eq!(loggable_path("/api/inspect_invite"), "/api/inspect_invite");
        assert_eq!(loggable_path("/invite/"), "/invite/");
    }
}
