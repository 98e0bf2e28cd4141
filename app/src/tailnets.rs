//! A tailnet's kind and its rules for who joins: "User approval" and "Join external
//! tailnets", changed on the "General settings" page.

pub mod api;
#[cfg(feature = "ssr")]
pub mod leave;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
