//! A tailnet's rules for who joins: "User approval" and "Join external tailnets".

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
