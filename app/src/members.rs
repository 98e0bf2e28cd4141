//! The Users page: the tailnet's members and open invites.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
