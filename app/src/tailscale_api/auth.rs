//! (ssr) Who is calling `/api/v2`: an API access token, as `Authorization: Bearer <token>` or
//! HTTP Basic with the token as user name and an empty password. Session cookies never count
//! here, so a page on another site cannot act through a signed-in browser. A person's token
//! acts as its creator with the creator's role *now*: a suspended or removed creator's tokens
//! stop at once, a demoted creator's can do only what the new role may. An OAuth client's
//! token acts as the client: its role, narrowed to the token's scopes.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::ApiError;
use super::oauth_clients;
use super::tokens::{USER_OWNED_ONLY, authenticate};
use crate::audit::Actor;
use crate::context::{AppState, client_ip_of, now};
use crate::delegation::Scope;
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::rate_limit::{self, Limit};
use crate::roles::{MemberStatus, Permission, Role, stored_role, stored_status};

/// Requests one API access token, or all the tokens of one OAuth client, may make a minute.
pub const REQUESTS_PER_MINUTE_PER_TOKEN: i64 = 600;

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token_id: String,
    pub tailnet: TailnetId,
    pub tailnet_name: String,
    /// The tailnet's integer id (`tailnetId`).
    pub tailnet_api_id: i64,
    /// The token's creator, as the audit log records them (origin `CONFIG_API`).
    pub actor: Actor,
    /// The creator's role in the tailnet at this call (an OAuth client's own role).
    pub role: Role,
}

impl ApiCaller {
    /// Whether an OAuth client's token calls (its scopes are in `actor.delegation`).
    pub fn is_client(&self) -> bool {
        self.actor.delegation.is_some()
    }

    /// 403 unless the caller's role (a person's now, or an OAuth client's) allows `permission`;
    /// the scope is checked once the object, and so the scope it needs, is known.
    pub fn require_role(&self, permission: Permission) -> Result<(), ApiError> {
        if self.role.can(permission) {
            Ok(())
        } else {
            Err(ApiError::from(AppError::Forbidden))
        }
    }

    /// Whether the caller may do what needs `permission` and, for an OAuth client, `scope`.
    pub fn may(&self, permission: Permission, scope: Scope) -> bool {
        self.role.can(permission)
            && self
                .actor
                .delegation
                .as_ref()
                .is_none_or(|delegation| delegation.scopes.grants(scope))
    }

    /// 403 unless [`Self::may`]; an OAuth client is told which scope it lacks.
    pub fn require(&self, permission: Permission, scope: Scope) -> Result<(), ApiError> {
        if self.may(permission, scope) {
            Ok(())
        } else if self.is_client() && self.role.can(permission) {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("This needs the OAuth scope {}", scope.as_str()),
            ))
        } else {
            Err(ApiError::from(AppError::Forbidden))
        }
    }

    /// [`Self::require`] for what only a person's token may do (user invites, new API access
    /// tokens): an OAuth client's token is refused as in Tailscale.
    pub fn require_person(&self, permission: Permission) -> Result<(), ApiError> {
        if self.is_client() {
            return Err(ApiError::new(StatusCode::FORBIDDEN, USER_OWNED_ONLY));
        }
        self.require(permission, Scope::All)
    }

    /// The `{tailnet}` of a path must be `-`, the token's tailnet's id or its name; any other
    /// tailnet is as unknown as a missing one.
    pub fn check_tailnet(&self, segment: &str) -> Result<(), ApiError> {
        if segment == "-"
            || segment == self.tailnet.as_str()
            || segment.eq_ignore_ascii_case(&self.tailnet_name)
        {
            Ok(())
        } else {
            Err(ApiError::not_found("tailnet"))
        }
    }
}

/// The token a request presents, if any.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(STANDARD.decode(rest).ok()?).ok()?;
        // The token is the user name; the password is empty (or ignored).
        let (user, _password) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
        return Some(user.to_owned());
    }
    None
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized =
            || ApiError::new(StatusCode::UNAUTHORIZED, "API token invalid or missing");
        let presented = presented_token(&parts.headers).ok_or_else(unauthorized)?;
        let now = now();
        let client_address = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                client_ip_of(*peer, &parts.headers, &state.settings.trusted_proxies).to_string()
            });
        if let Some(holder) = authenticate(&state.db, &presented, now).await? {
            count_call(state, &format!("api-token:{}", holder.token_id), now).await?;
            let mut conn = state.db.acquire().await.map_err(AppError::from)?;
            let (role, tailnet_name, tailnet_api_id) =
                active_creator(&mut conn, &holder.tailnet, &holder.user).await?;
            let actor = Actor::load(&mut conn, &holder.user, client_address)
                .await?
                .through_api();
            return Ok(Self {
                token_id: holder.token_id,
                tailnet: holder.tailnet,
                tailnet_name,
                tailnet_api_id,
                actor,
                role,
            });
        }
        let holder = oauth_clients::authenticate(&state.db, &presented, now)
            .await?
            .ok_or_else(unauthorized)?;
        // One allowance per client, however many tokens it takes.
        let client = &holder.delegation.client_id;
        count_call(state, &format!("oauth-client:{client}"), now).await?;
        let (tailnet_name, tailnet_api_id): (String, Option<i64>) =
            sqlx::query_as("SELECT name, api_id FROM tailnets WHERE id = $1")
                .bind(holder.tailnet.as_str())
                .fetch_one(&state.db)
                .await
                .map_err(AppError::from)?;
        let role = holder.delegation.role;
        Ok(Self {
            token_id: holder.token_id,
            tailnet: holder.tailnet,
            tailnet_name,
            tailnet_api_id: tailnet_api_id.unwrap_or_default(),
            actor: Actor::oauth_client(holder.delegation, &holder.description, client_address),
            role,
        })
    }
}

/// Counts a call against `bucket`'s limit (429 past it): a person's token, or an OAuth client.
async fn count_call(state: &AppState, bucket: &str, now: i64) -> Result<(), AppError> {
    let limit = Limit {
        max_hits: REQUESTS_PER_MINUTE_PER_TOKEN,
        window_secs: rate_limit::WINDOW_SECS,
    };
    rate_limit::hit(&state.db, bucket, limit, now).await
}

/// The role of a token's creator, who must still be an active member, and the tailnet's name
/// and API id.
async fn active_creator(
    conn: &mut sqlx::AnyConnection,
    tailnet: &TailnetId,
    user: &crate::ids::UserId,
) -> Result<(Role, String, i64), ApiError> {
    let row: Option<(String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT m.role, m.status, t.name, t.api_id FROM memberships m \
         JOIN tailnets t ON t.id = m.tailnet_id WHERE m.tailnet_id = $1 AND m.user_id = $2",
    )
    .bind(tailnet.as_str())
    .bind(user.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(AppError::from)?;
    let Some((role, status, tailnet_name, tailnet_api_id)) = row else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The token's creator is no longer a member of this tailnet",
        ));
    };
    if stored_status(&status)? != MemberStatus::Active {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The token's creator is not active in this tailnet",
        ));
    }
    Ok((
        stored_role(&role)?,
        tailnet_name,
        tailnet_api_id.unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn the_token_comes_as_bearer_or_as_the_basic_user_name() {
        assert_eq!(
            presented_token(&with_authorization("Bearer tskey-api-k1-abc")),
            Some("tskey-api-k1-abc".to_owned())
        );
        let basic = STANDARD.encode("tskey-api-k1-abc:");
        assert_eq!(
            presented_token(&with_authorization(&format!("Basic {basic}"))),
            Some("tskey-api-k1-abc".to_owned())
        );
        assert_eq!(presented_token(&HeaderMap::new()), None);
        assert_eq!(presented_token(&with_authorization("Digest x")), None);
    }
}
