//! Setup links: how the first Owner of a tailnet creates it and their account.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
