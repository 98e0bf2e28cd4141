//! Passkeys: the relying-party configuration and credential storage (server), and the calls
//! into the browser's WebAuthn API (client).

pub mod browser;
#[cfg(feature = "ssr")]
pub mod server;
