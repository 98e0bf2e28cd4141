//! Recovery links: an Owner, Admin or IT admin issues a one-time link for a member who lost
//! their passkeys (or an operator runs `gatehouse recover`); opening it registers a new passkey.

pub mod api;
#[cfg(feature = "ssr")]
pub mod email;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
