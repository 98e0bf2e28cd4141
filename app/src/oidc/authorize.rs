//! (ssr) The authorization endpoint (`GET` or `POST /oidc/authorize`): the browser arrives
//! from a relying party; Gatehouse checks the request, makes sure the person is signed in (the
//! ordinary passkey sign-in, then straight back here), applies the tailnet's rule
//! ([`check_client_sign_in`]) and sends a one-time code to the client's redirect URI. Problems
//! with the client or its redirect URI are shown here and sent nowhere.

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::access::{ClientSignInRefusal, check_person};
use super::clients::{RegisteredClient, registered};
use super::grants::{Grant, issue_code};
use super::page::{Page, Way};
use super::request::{
    AuthorizationRequest, Parameters, RedirectError, Route, UnroutableRequest, check_redirect,
    check_request, route,
};
use crate::audit::model::EventName;
use crate::audit::{Actor, Change, Target};
use crate::auth::model::{login_path, return_path};
use crate::auth::sessions::{
    Session, end_presented_session, session_cookie_cleared, session_from_headers,
};
use crate::context::{AppState, client_ip_of, now};
use crate::error::AppError;
use crate::sql::begin_write;

/// The request's extensions, which hold the peer's address (`ConnectInfo`).
type Peer = axum::http::Extensions;

/// `GET /oidc/authorize`.
pub async fn authorize_get(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    answer(&state, peer, &headers, &query.unwrap_or_default()).await
}

/// `POST /oidc/authorize` (a form-encoded request, which OpenID Connect allows too).
pub async fn authorize_post(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: String,
) -> Response {
    answer(&state, peer, &headers, &body).await
}

async fn answer(state: &AppState, peer: Peer, headers: &HeaderMap, query: &str) -> Response {
    let context = Context {
        state,
        headers,
        client_address: peer
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                client_ip_of(*peer, headers, &state.settings.trusted_proxies).to_string()
            }),
        now: now(),
    };
    match context.decide(query).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "authorization request failed");
            context
                .page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sign-in failed",
                    "Gatehouse could not finish this sign-in. Try again in a moment.".to_owned(),
                    Vec::new(),
                )
                .into_response()
        }
    }
}

struct Context<'a> {
    state: &'a AppState,
    headers: &'a HeaderMap,
    client_address: Option<String>,
    now: i64,
}

impl Context<'_> {
    fn page(&self, status: StatusCode, title: &str, message: String, ways: Vec<Way>) -> Page {
        Page::new(self.state, status, title, message, ways)
    }

    fn unroutable(&self, problem: UnroutableRequest) -> Response {
        self.page(
            StatusCode::BAD_REQUEST,
            "This sign-in link does not work",
            problem.to_string(),
            Vec::new(),
        )
        .into_response()
    }

    async fn decide(&self, query: &str) -> Result<Response, AppError> {
        let parameters = Parameters::parse(query);
        let route = match route(&parameters) {
            Ok(route) => route,
            Err(problem) => return Ok(self.unroutable(problem)),
        };
        let mut conn = self.state.db.acquire().await?;
        let Some(client) = registered(&mut conn, &route.client_id).await? else {
            return Ok(self.unroutable(UnroutableRequest::UnknownClient));
        };
        drop(conn);
        if let Err(problem) = check_redirect(&route, &client.client) {
            return Ok(self.unroutable(problem));
        }
        let request = match check_request(&parameters, route.clone(), &client.client) {
            Ok(request) => request,
            Err(error) => return Ok(self.send_back(&route, Err(&error))),
        };
        let session =
            session_from_headers(&self.state.db, &self.state.settings, self.headers, self.now)
                .await?;
        let session = match session {
            Some(session) if request.accepts_sign_in_at(session.verified_at, self.now) => session,
            _ if request.prompt.none => {
                let error = RedirectError::new("login_required", "Sign in to Gatehouse first.");
                return Ok(self.send_back(&route, Err(&error)));
            }
            _ => {
                let next = request.path_after_sign_in(Some(self.now));
                if return_path(&next).is_none() {
                    let error = RedirectError::new(
                        "invalid_request",
                        "The request is too long to return to after signing in.",
                    );
                    return Ok(self.send_back(&route, Err(&error)));
                }
                return Ok(Redirect::to(&login_path(&next)).into_response());
            }
        };
        self.sign_in(&client, &request, &session).await
    }

    /// The person is signed in: a code for them, or the tailnet's refusal.
    async fn sign_in(
        &self,
        client: &RegisteredClient,
        request: &AuthorizationRequest,
        session: &Session,
    ) -> Result<Response, AppError> {
        let mut tx = begin_write(&self.state.db).await?;
        let decision = check_person(&mut tx, client, &session.user_id).await?;
        let actor = Actor::load(&mut tx, &session.user_id, self.client_address.clone()).await?;
        let change = Change::new(&actor, &client.tailnet, self.now);
        let target = Target::user(&actor.id, &actor.email);
        let named =
            json!({ "oidc_client": { "id": client.client.id, "name": client.client.name } });
        match decision {
            Ok(_) => {
                let grant = Grant {
                    client_id: client.client.id.clone(),
                    tailnet: client.tailnet.clone(),
                    user: session.user_id.clone(),
                    redirect_uri: request.route.redirect_uri.clone(),
                    scope: request.scope.clone(),
                    nonce: request.nonce.clone(),
                    code_challenge: request.code_challenge.clone(),
                    auth_time: session.verified_at,
                };
                let code = issue_code(&mut tx, &grant, self.now).await?;
                change
                    .record(
                        &mut tx,
                        EventName::UserLogin,
                        target,
                        None,
                        Some(named.to_string()),
                    )
                    .await?;
                tx.commit().await?;
                Ok(self.send_back(&request.route, Ok(code.expose())))
            }
            Err(refusal) => {
                let logged =
                    json!({ "oidc_client": named["oidc_client"], "reason": refusal.to_string() });
                change
                    .record(
                        &mut tx,
                        EventName::OidcSignInRefused,
                        target,
                        None,
                        Some(logged.to_string()),
                    )
                    .await?;
                tx.commit().await?;
                Ok(self.refused(client, request, &refusal))
            }
        }
    }

    /// Gatehouse's page for someone the tailnet does not let in: sign in as someone else, or go
    /// back to the client, which then hears `access_denied`.
    fn refused(
        &self,
        client: &RegisteredClient,
        request: &AuthorizationRequest,
        refusal: &ClientSignInRefusal,
    ) -> Response {
        let denied = RedirectError::new("access_denied", refusal.to_string());
        if request.prompt.none {
            return self.send_back(&request.route, Err(&denied));
        }
        let title = match refusal {
            ClientSignInRefusal::WaitingForApproval { .. } => "Waiting for approval",
            _ => "You cannot sign in here",
        };
        let back = redirect_uri_with(
            &request.route,
            &self.state.settings.public_origin(),
            Err(&denied),
        );
        self.page(
            StatusCode::FORBIDDEN,
            title,
            refusal.to_string(),
            vec![
                Way::Post {
                    label: "Sign in as someone else".to_owned(),
                    action: super::SWITCH_ACCOUNT_PATH,
                    next: request.path_after_sign_in(Some(self.now)),
                },
                Way::Link {
                    label: format!("Back to {}", client.client.name),
                    href: back,
                },
            ],
        )
        .into_response()
    }

    fn send_back(&self, route: &Route, answer: Result<&str, &RedirectError>) -> Response {
        let location = redirect_uri_with(route, &self.state.settings.public_origin(), answer);
        Redirect::to(&location).into_response()
    }
}

/// The client's redirect URI with the code or the error, the `state` it sent, and `iss`
/// (RFC 9207), added to any query it already has.
fn redirect_uri_with(route: &Route, issuer: &str, answer: Result<&str, &RedirectError>) -> String {
    let Ok(mut url) = url::Url::parse(&route.redirect_uri) else {
        // Registered URIs were parsed when saved; this cannot happen, and must not redirect.
        return "/".to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        match answer {
            Ok(code) => {
                query.append_pair("code", code);
            }
            Err(error) => {
                query
                    .append_pair("error", error.code)
                    .append_pair("error_description", &error.description);
            }
        }
        if let Some(state) = &route.state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
    }
    url.to_string()
}

/// `POST /oidc/switch-account` ("Sign in as someone else"): ends this browser's session and
/// opens the sign-in page, which returns to the same authorization request.
pub async fn switch_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let next = Parameters::parse(&body)
        .value("next")
        .and_then(|next| return_path(&next))
        .filter(|next| next.starts_with(&format!("{}?", super::AUTHORIZE_PATH)));
    let ended = async {
        let mut conn = state.db.acquire().await?;
        end_presented_session(&mut conn, &state.settings, &headers).await
    };
    if let Err(error) = ended.await {
        tracing::error!(%error, "ending the session to switch accounts failed");
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Could not sign you out; try again.",
        )
            .into_response();
    }
    let sign_in = next
        .as_deref()
        .map_or_else(|| "/login".to_owned(), login_path);
    let mut response = Redirect::to(&sign_in).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session_cookie_cleared(&state.settings)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_the_redirect_uris_own_query_and_carry_state_and_issuer() {
        let route = Route {
            client_id: "c".to_owned(),
            redirect_uri: "https://h.example.com/cb?tenant=a".to_owned(),
            state: Some("s 1".to_owned()),
        };
        assert_eq!(
            redirect_uri_with(&route, "https://gh.example.com", Ok("abc")),
            "https://h.example.com/cb?tenant=a&code=abc&state=s+1&iss=https%3A%2F%2Fgh.example.com"
        );
        let denied = RedirectError::new("access_denied", "No.");
        let location = redirect_uri_with(&route, "https://gh.example.com", Err(&denied));
        assert!(location.starts_with(
            "https://h.example.com/cb?tenant=a&error=access_denied&error_description=No."
        ));
    }
}
