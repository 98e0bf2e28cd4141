//! (ssr) What every server function needs: the shared state, the clock, the signed-in actor,
//! the permission check, and mapping an `AppError` to its HTTP status.

use std::future::Future;
use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::request::Parts;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use sqlx::AnyPool;
use webauthn_rs::Webauthn;

use crate::auth::model::SignedInUser;
use crate::auth::sessions::{self, Session};
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::roles::{MemberStatus, Permission, Role, stored_role, stored_status};
use crate::settings::Settings;

/// State shared by every request. Holds no data that must survive a restart: that lives in
/// the database, so several servers can serve one deployment.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: AnyPool,
    pub webauthn: Arc<Webauthn>,
    pub settings: Arc<Settings>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

/// Seconds since the Unix epoch. The only place request handling reads the clock; the rules
/// below it take `now` as a parameter so they can be tested at any moment.
pub fn now() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
}

pub fn request_parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| AppError::internal("request parts missing from context"))
}

/// The client's address, for the audit log: the socket's peer, or, when the peer is a trusted
/// proxy, the address that proxy saw (see [`client_ip_from`]).
pub fn client_address() -> Option<String> {
    client_ip().map(|ip| ip.to_string())
}

/// [`client_address`] as an address, for per-client rate limits.
pub fn client_ip() -> Option<std::net::IpAddr> {
    let parts = use_context::<Parts>()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0;
    let trusted = use_context::<AppState>()
        .map(|state| state.settings.trusted_proxies.clone())
        .unwrap_or_default();
    Some(client_ip_of(peer, &parts.headers, &trusted))
}

/// The client's address for a plain HTTP handler, from its peer and `X-Forwarded-For`.
pub fn client_ip_of(
    peer: std::net::SocketAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    let forwarded_for = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    client_ip_from(peer.ip(), &forwarded_for, trusted)
}

/// Whether this request is one a browser made for another site's page without a person
/// navigating: an image, script, style or fetch (`Sec-Fetch-Site: cross-site` and a
/// `Sec-Fetch-Mode` other than `navigate`). Following a link from a webmail is a navigation.
pub fn is_cross_site_subresource() -> bool {
    let Some(parts) = use_context::<Parts>() else {
        return false;
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    header("sec-fetch-site") == Some("cross-site")
        && header("sec-fetch-mode").is_some_and(|mode| mode != "navigate")
}

/// Walks `X-Forwarded-For` from the right (the entry the nearest proxy added) past trusted
/// proxies, and returns the first address that is not one. Entries a client wrote itself sit
/// further left and are never reached while a proxy of ours is in between; without trusted
/// proxies the header is ignored, so a client cannot choose its own address. IPv4-mapped IPv6
/// addresses (a server listening on `[::]` sees IPv4 peers so) compare as IPv4.
pub fn client_ip_from(
    peer: std::net::IpAddr,
    forwarded_for: &str,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    let is_trusted = |ip: std::net::IpAddr| trusted.iter().any(|t| t.to_canonical() == ip);
    let mut client = peer.to_canonical();
    let mut hops = forwarded_for.rsplit(',').map(str::trim);
    while is_trusted(client) {
        match hops
            .next()
            .and_then(|hop| hop.parse::<std::net::IpAddr>().ok())
        {
            Some(hop) => client = hop.to_canonical(),
            None => break,
        }
    }
    client
}

/// Runs a server function's body and, on failure, sets the response status from the error.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(error) = &result
        && let Some(response) = use_context::<ResponseOptions>()
    {
        let status = axum::http::StatusCode::from_u16(error.status_code())
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        response.set_status(status);
        if let Some(retry_after_secs) = error.retry_after_secs()
            && let Ok(value) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.insert_header(axum::http::header::RETRY_AFTER, value);
        }
    }
    result
}

/// The signed-in person's session, or `Unauthenticated`. A request looks it up once, with its
/// person (see [`signed_in_user`] and `page_cache`).
pub async fn current_session(state: &AppState) -> Result<Session, AppError> {
    if let Some(visitor) = crate::page_cache::visitor(|| look_up_visitor(state)).await {
        return visitor?
            .map(|(session, _)| session)
            .ok_or(AppError::Unauthenticated);
    }
    let parts = request_parts()?;
    sessions::session_from_headers(&state.db, &state.settings, &parts.headers, now())
        .await?
        .ok_or(AppError::Unauthenticated)
}

async fn look_up_visitor(state: &AppState) -> Result<crate::page_cache::Visitor, AppError> {
    let parts = request_parts()?;
    sessions::signed_in_from_headers(&state.db, &state.settings, &parts.headers, now()).await
}

/// The caller's role in `tailnet`, after checking they are an active member allowed `permission`.
/// People who are not members get `Forbidden` too: the answer must not reveal whether the
/// tailnet exists.
pub async fn require(
    state: &AppState,
    tailnet: &TailnetId,
    permission: Permission,
) -> Result<(Session, Role), AppError> {
    let session = current_session(state).await?;
    // The viewer's memberships come with the person, read in the session's own statement.
    let membership = signed_in_user(state, &session)
        .await?
        .tailnets
        .into_iter()
        .find(|membership| &membership.tailnet_id == tailnet)
        .map(|membership| (membership.role, membership.status));
    let role = permitted_role(membership, permission)?;
    Ok((session, role))
}

/// The person behind `session`, with their tailnets and roles: the one read with the session
/// (see `page_cache`), or one statement where there is no cache.
pub async fn signed_in_user(state: &AppState, session: &Session) -> Result<SignedInUser, AppError> {
    if let Some(visitor) = crate::page_cache::visitor(|| look_up_visitor(state)).await
        && let Some((page_session, person)) = visitor?
        && page_session.user_id == session.user_id
    {
        return Ok(person);
    }
    crate::auth::server::load_signed_in_user(&state.db, &session.user_id).await
}

/// `user`'s role and status in `tailnet`, if they are a member.
pub async fn membership(
    conn: &mut sqlx::AnyConnection,
    tailnet: &TailnetId,
    user: &str,
) -> Result<Option<(Role, MemberStatus)>, AppError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT role, status FROM memberships WHERE tailnet_id = $1 AND user_id = $2",
    )
    .bind(tailnet.as_str())
    .bind(user)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(role, status)| Ok((stored_role(&role)?, stored_status(&status)?)))
        .transpose()
}

/// The role of `membership`, if it is active and allowed `permission`; `Forbidden` otherwise,
/// whether or not the tailnet exists.
fn permitted_role(
    membership: Option<(Role, MemberStatus)>,
    permission: Permission,
) -> Result<Role, AppError> {
    match membership {
        Some((role, MemberStatus::Active)) if role.can(permission) => Ok(role),
        _ => Err(AppError::Forbidden),
    }
}

/// For plain HTTP handlers (downloads): the session the request presents and its member's role
/// in `tailnet`, after the same checks as [`require`].
pub async fn require_from_headers(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    tailnet: &TailnetId,
    permission: Permission,
) -> Result<(Session, Role), AppError> {
    let session = sessions::session_from_headers(&state.db, &state.settings, headers, now())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let mut conn = state.db.acquire().await?;
    let membership = membership(&mut conn, tailnet, session.user_id.as_str()).await?;
    let role = permitted_role(membership, permission)?;
    Ok((session, role))
}

/// A refusal of a plain HTTP handler: the error's status and its message as text.
pub fn refusal(error: &AppError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = axum::http::StatusCode::from_u16(error.status_code())
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, error.to_string()).into_response();
    if let Some(retry_after_secs) = error.retry_after_secs()
        && let Ok(value) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
    {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

/// The headers of a file download.
pub fn download_headers(
    response: &mut axum::response::Response,
    content_type: &'static str,
    filename: &str,
) {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
}

/// The signed-in member allowed `permission` in `tailnet`, as the audit log records them.
pub async fn acting_member(
    state: &AppState,
    tailnet: &TailnetId,
    permission: Permission,
) -> Result<crate::audit::Actor, AppError> {
    let (session, _) = require(state, tailnet, permission).await?;
    acting_person(state, &session).await
}

/// Whether a session proved a passkey within `GATEHOUSE_RECENT_SIGN_IN` ("Confirm it's you").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Recent,
    Stale,
}

impl Verification {
    pub fn of(session: &Session, settings: &Settings, now: i64) -> Self {
        if crate::passkeys::model::verified_recently(
            session.verified_at,
            settings.recent_sign_in_secs,
            now,
        ) {
            Self::Recent
        } else {
            Self::Stale
        }
    }

    /// Refuses a high-impact change from a session without a recent passkey sign-in; the page
    /// then asks the person to confirm it's them and tries again.
    pub fn require(self) -> Result<(), AppError> {
        match self {
            Self::Recent => Ok(()),
            Self::Stale => Err(AppError::VerificationRequired),
        }
    }
}

/// [`acting_member`], and how recently their session proved a passkey.
pub async fn acting_member_verified(
    state: &AppState,
    tailnet: &TailnetId,
    permission: Permission,
) -> Result<(crate::audit::Actor, Verification), AppError> {
    let (session, _) = require(state, tailnet, permission).await?;
    let verification = Verification::of(&session, &state.settings, now());
    Ok((acting_person(state, &session).await?, verification))
}

/// The signed-in person of `session`, as the audit log records them.
pub async fn acting_person(
    state: &AppState,
    session: &Session,
) -> Result<crate::audit::Actor, AppError> {
    let mut conn = state.db.acquire().await?;
    crate::audit::Actor::load(&mut conn, &session.user_id, client_address()).await
}

#[cfg(test)]
mod tests {
    use super::client_ip_from as client_ip;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        // Without trusted proxies the header is ignored.
        assert_eq!(
            client_ip(ip("198.51.100.9"), "203.0.113.7", &[]),
            ip("198.51.100.9")
        );
        // From a trusted proxy: what it saw.
        assert_eq!(client_ip(proxy, "203.0.113.7", &trusted), ip("203.0.113.7"));
        // A client's own forged entry sits to the left of the real one and is never reached.
        assert_eq!(
            client_ip(proxy, "1.2.3.4, 203.0.113.7", &trusted),
            ip("203.0.113.7")
        );
        // Two proxies in a row.
        assert_eq!(
            client_ip(proxy, "203.0.113.7, 10.0.0.3", &trusted),
            ip("203.0.113.7")
        );
        // Listening on [::], an IPv4 proxy appears IPv4-mapped and is still trusted.
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), "203.0.113.7", &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(ip("::ffff:198.51.100.9"), "", &[]),
            ip("198.51.100.9")
        );
        // A request from a trusted proxy without the header stays the proxy's.
        assert_eq!(client_ip(proxy, "", &trusted), proxy);
        assert_eq!(client_ip(proxy, "garbage", &trusted), proxy);
    }
}
