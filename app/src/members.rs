//! The Users page: the tailnet's members and open invites.

pub mod api;
#[cfg(feature = "ssr")]
pub mod approval;
#[cfg(feature = "ssr")]
pub mod approval_email;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod manage;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
