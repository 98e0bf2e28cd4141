//! (ssr) `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0): where the
//! endpoints are and what Gatehouse supports, so a relying party needs only the issuer URL.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, IssuerUrl, JsonWebKeySetUrl, ProviderMetadata,
    ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use super::request::SUPPORTED_SCOPES;
use crate::context::{AppState, refusal};
use crate::error::AppError;

/// What the standard metadata type lacks: PKCE (RFC 8414), the issuer in answers (RFC 9207)
/// and RP-initiated logout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GatehouseMetadata {
    pub code_challenge_methods_supported: Vec<String>,
    pub authorization_response_iss_parameter_supported: bool,
    /// RP-initiated logout.
    pub end_session_endpoint: String,
}

impl AdditionalProviderMetadata for GatehouseMetadata {}

pub type GatehouseProviderMetadata = ProviderMetadata<
    GatehouseMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The provider's metadata for the issuer `issuer` (Gatehouse's public URL).
pub fn metadata(issuer: &str) -> Result<GatehouseProviderMetadata, AppError> {
    let url = |path: &str| format!("{issuer}{path}");
    let bad = |e: url::ParseError| AppError::internal(format!("issuer URL: {e}"));
    let claims = [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "email",
        "email_verified",
        "name",
        "preferred_username",
        "groups",
    ];
    Ok(GatehouseProviderMetadata::new(
        IssuerUrl::new(issuer.to_owned()).map_err(bad)?,
        AuthUrl::new(url(super::AUTHORIZE_PATH)).map_err(bad)?,
        JsonWebKeySetUrl::new(url(super::JWKS_PATH)).map_err(bad)?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        GatehouseMetadata {
            code_challenge_methods_supported: vec!["S256".to_owned()],
            authorization_response_iss_parameter_supported: true,
            end_session_endpoint: url(super::LOGOUT_PATH),
        },
    )
    .set_token_endpoint(Some(TokenUrl::new(url(super::TOKEN_PATH)).map_err(bad)?))
    .set_userinfo_endpoint(Some(
        UserInfoUrl::new(url(super::USERINFO_PATH)).map_err(bad)?,
    ))
    .set_scopes_supported(Some(
        SUPPORTED_SCOPES
            .into_iter()
            .map(|s| Scope::new(s.to_owned()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![CoreResponseMode::Query]))
    .set_grant_types_supported(Some(vec![CoreGrantType::AuthorizationCode]))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::None,
    ]))
    .set_claims_supported(Some(
        claims
            .into_iter()
            .map(|c| CoreClaimName::new(c.to_owned()))
            .collect(),
    ))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    .set_request_uri_parameter_supported(Some(false)))
}

/// `GET /.well-known/openid-configuration`.
pub async fn openid_configuration(State(state): State<AppState>) -> Response {
    match metadata(&state.settings.public_origin()) {
        Ok(metadata) => Json(metadata).into_response(),
        Err(error) => refusal(&error),
    }
}
