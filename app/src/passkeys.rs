//! Passkeys: the relying-party configuration and credential storage (server), and the calls
//! into the browser's WebAuthn API (client).

#[cfg(feature = "ssr")]
pub mod account;
pub mod api;
pub mod browser;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
