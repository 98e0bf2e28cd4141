//! Gatehouse as an OpenID Connect provider, so the tailnet's coordination server (Headscale)
//! signs people in with their Gatehouse passkey: the tailnet's clients (relying parties), the
//! keys ID tokens are signed with, and the protocol's endpoints (discovery, JWKS,
//! authorization, token, userinfo). Who gets in is decided by [`access::check_client_sign_in`].

pub mod access;
pub mod api;
#[cfg(feature = "ssr")]
pub mod authorize;
#[cfg(feature = "ssr")]
pub mod claims;
#[cfg(feature = "ssr")]
pub mod clients;
#[cfg(feature = "ssr")]
pub mod discovery;
#[cfg(feature = "ssr")]
pub mod grants;
#[cfg(feature = "ssr")]
pub mod jwks;
#[cfg(feature = "ssr")]
pub mod logout;
pub mod model;
#[cfg(feature = "ssr")]
pub mod page;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod signing_keys;
#[cfg(feature = "ssr")]
pub mod token;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod userinfo;

/// Where relying parties find everything else.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const AUTHORIZE_PATH: &str = "/oidc/authorize";
pub const TOKEN_PATH: &str = "/oidc/token";
pub const USERINFO_PATH: &str = "/oidc/userinfo";
pub const JWKS_PATH: &str = "/oidc/jwks";
/// RP-initiated logout.
pub const LOGOUT_PATH: &str = "/oidc/logout";
/// "Sign in as someone else" on the refusal page.
pub const SWITCH_ACCOUNT_PATH: &str = "/oidc/switch-account";
/// Paths a relying party's server calls without a browser: they authenticate by client secret
/// or access token, never by cookie, so the cross-site check does not apply to them. (The
/// authorization endpoint may be a form posted from the client's site.)
pub const CROSS_SITE_PATHS: [&str; 3] = [TOKEN_PATH, USERINFO_PATH, AUTHORIZE_PATH];
