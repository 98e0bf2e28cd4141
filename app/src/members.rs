//! The Users page: the tailnet's members and open invites.

pub mod api;
#[cfg(feature = "ssr")]
pub mod approval;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
