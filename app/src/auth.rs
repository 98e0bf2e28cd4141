//! Signing in with a passkey, sessions, and the signed-in person's view of themselves.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ceremonies;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod sessions;
pub mod ui;
