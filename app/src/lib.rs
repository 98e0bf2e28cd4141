//! Gatehouse's shared application: models, server functions and components, compiled into
//! both the server (`ssr`) and the browser's wasm (`hydrate`).

#[cfg(feature = "ssr")]
pub mod accounts;
#[cfg(feature = "ssr")]
pub mod api_ids;
pub mod audit;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod authority;
pub mod components;
#[cfg(feature = "ssr")]
pub mod context;
#[cfg(feature = "ssr")]
pub mod csv;
pub mod delegation;
#[cfg(feature = "ssr")]
pub mod email;
pub mod error;
pub mod fields;
pub mod format;
pub mod ids;
pub mod invites;
pub mod lazy_routes;
pub mod members;
pub mod oidc;
#[cfg(feature = "ssr")]
pub mod page_cache;
pub mod paging;
pub mod passkeys;
#[cfg(feature = "ssr")]
pub mod rate_limit;
pub mod recovery;
pub mod roles;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod settings;
pub mod setup;
#[cfg(feature = "ssr")]
pub mod sql;
pub mod tailnets;
pub mod tailscale_api;
#[cfg(feature = "ssr")]
pub mod web_address;
pub mod webhooks;

pub use routes::{App, shell};
