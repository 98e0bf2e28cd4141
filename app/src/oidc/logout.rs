//! (ssr) RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), `/oidc/logout`: an app
//! sends the person here to sign out of Gatehouse too. Gatehouse asks first (a link alone must
//! not sign anyone out), ends the session with its `USER.LOGOUT` event, and sends the person
//! back only to one of the client's registered callback URLs, with the `state` it was given.

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::clients::registered;
use super::page::{Page, Way};
use super::request::Parameters;
use crate::auth::sessions::{end_session, session_cookie_cleared, session_from_headers};
use crate::context::{AppState, client_ip_of, now};
use crate::error::AppError;

/// Where to go after signing out: the client's registered URI with `state`, or Gatehouse's
/// sign-in page. `Err` with the reason when the request names a place it may not go.
async fn destination(state: &AppState, parameters: &Parameters) -> Result<String, String> {
    let Some(uri) = parameters.value("post_logout_redirect_uri") else {
        return Ok("/login".to_owned());
    };
    let Some(client_id) = parameters.value("client_id") else {
        return Err(
            "The app did not say who it is (client_id), so Gatehouse does not send you back to it."
                .to_owned(),
        );
    };
    let mut conn = state.db.acquire().await.map_err(|e| e.to_string())?;
    let client = registered(&mut conn, &client_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("The app that sent you here is not known to Gatehouse.")?;
    if !client.client.callback_urls.contains(&uri) {
        return Err("The app asked to be sent back to an address it did not register, so Gatehouse does not send you there.".to_owned());
    }
    let mut url = url::Url::parse(&uri).map_err(|e| e.to_string())?;
    if let Some(state) = parameters.value("state") {
        url.query_pairs_mut().append_pair("state", &state);
    }
    Ok(url.to_string())
}

fn page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: String,
    ways: Vec<Way>,
) -> Response {
    Page::new(state, status, title, message, ways).into_response()
}

/// `GET /oidc/logout`: asks "Sign out of Gatehouse?" (or, signed out already, goes on).
pub async fn logout_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let parameters = Parameters::parse(&query);
    let onward = match destination(&state, &parameters).await {
        Ok(onward) => onward,
        Err(problem) => {
            return page(
                &state,
                StatusCode::BAD_REQUEST,
                "This sign-out link does not work",
                problem,
                Vec::new(),
            );
        }
    };
    match session_from_headers(&state.db, &state.settings, &headers, now()).await {
        Ok(Some(_)) => page(
            &state,
            StatusCode::OK,
            "Sign out of Gatehouse?",
            "The app you came from signed you out. Sign out of Gatehouse on this browser too?"
                .to_owned(),
            vec![
                Way::Post {
                    label: "Sign out".to_owned(),
                    action: super::LOGOUT_PATH,
                    next: query,
                },
                Way::Link {
                    label: "Stay signed in".to_owned(),
                    href: "/".to_owned(),
                },
            ],
        ),
        Ok(None) => Redirect::to(&onward).into_response(),
        Err(error) => {
            tracing::error!(%error, "logout failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /oidc/logout` (from the page above, same origin only): ends the session and goes on.
pub async fn logout_post(
    State(state): State<AppState>,
    peer: axum::http::Extensions,
    headers: HeaderMap,
    body: String,
) -> Response {
    let query = Parameters::parse(&body).value("next").unwrap_or_default();
    let parameters = Parameters::parse(&query);
    let onward = match destination(&state, &parameters).await {
        Ok(onward) => onward,
        Err(problem) => {
            return page(
                &state,
                StatusCode::BAD_REQUEST,
                "This sign-out link does not work",
                problem,
                Vec::new(),
            );
        }
    };
    let client_address =
        peer.get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                client_ip_of(*peer, &headers, &state.settings.trusted_proxies).to_string()
            });
    let ended = async {
        let now = now();
        if let Some(session) =
            session_from_headers(&state.db, &state.settings, &headers, now).await?
        {
            end_session(&state.db, &session, client_address, now).await?;
        }
        Ok::<_, AppError>(())
    };
    if let Err(error) = ended.await {
        tracing::error!(%error, "logout failed");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = Redirect::to(&onward).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session_cookie_cleared(&state.settings)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
