//! The Tailscale-compatible API v2 (`/api/v2`): API access tokens (the "Keys" page) and the
//! endpoints, each a thin translation onto the feature modules' own rules and transactions,
//! so the console and the API cannot disagree.

pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod error;
#[cfg(feature = "ssr")]
pub mod invites;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod logs;
pub mod model;
#[cfg(feature = "ssr")]
pub mod oauth_clients;
#[cfg(feature = "ssr")]
pub mod oauth_token;
#[cfg(feature = "ssr")]
pub mod router;
#[cfg(feature = "ssr")]
pub mod settings;
#[cfg(feature = "ssr")]
pub mod tokens;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod users;
#[cfg(feature = "ssr")]
pub mod webhooks;
