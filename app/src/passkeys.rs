//! Passkeys: the relying-party configuration and credential storage (server), the calls into
//! the browser's WebAuthn API (client), and the Account page where people manage their own.

#[cfg(feature = "ssr")]
pub mod account;
pub mod api;
pub mod browser;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
pub mod wire;
