//! (ssr) The `/api/v2` routes and their OpenAPI 3.1 document, made from the same handler
//! annotations (utoipa), so a route cannot exist without its description. Anything else under
//! `/api/v2` is a JSON 404: no HTML page or Leptos error ever answers here.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use utoipa::Modify;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::{invites, keys, logs, oauth_token, settings, users, webhooks};
use crate::context::AppState;

/// Where the API lives.
pub const API_V2_PREFIX: &str = "/api/v2";
/// Where its OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v2/openapi.json";

/// The credential every operation takes: an API access token, as a bearer token (or as the
/// HTTP Basic user name).
struct TokenSecurity;

impl Modify for TokenSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API v2",
        description = "The parts of Tailscale's API v2 that Gatehouse has, in Tailscale's paths and shapes."
    ),
    modifiers(&TokenSecurity),
    components(schemas(super::error::ErrorBody))
)]
struct ApiDoc;

/// The documented operations, at their paths under [`API_V2_PREFIX`].
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invites::list, invites::create))
        .routes(routes!(invites::get, invites::delete))
        .routes(routes!(invites::resend))
        .routes(routes!(users::list))
        .routes(routes!(users::get))
        .routes(routes!(users::set_role))
        .routes(routes!(users::approve_user))
        .routes(routes!(users::suspend))
        .routes(routes!(users::restore))
        .routes(routes!(users::delete_user))
        .routes(routes!(settings::get, settings::patch))
        .routes(routes!(logs::configuration))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::get, keys::delete))
        .routes(routes!(oauth_token::token))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::rotate))
}

/// The API's routes (already under [`API_V2_PREFIX`]), with its document at [`OPENAPI_PATH`].
pub fn routes() -> Router<AppState> {
    use utoipa::OpenApi;
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(API_V2_PREFIX, documented())
        .split_for_parts();
    let document: Arc<str> = document
        .to_json()
        .unwrap_or_else(|error| format!("{{\"message\":\"{error}\"}}"))
        .into();
    router
        .route(
            OPENAPI_PATH,
            get(move || {
                let document = document.clone();
                async move { json_text(&document) }
            }),
        )
        // Claims the rest of /api/v2, which the console's `/api/{fn}` would otherwise take.
        .route(&format!("{API_V2_PREFIX}/{{*rest}}"), any(not_found))
}

fn json_text(text: &str) -> Response {
    let mut response = text.to_owned().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not found")
}
