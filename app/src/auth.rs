//! Signing in with a passkey, sessions, and the signed-in person's view of themselves.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
