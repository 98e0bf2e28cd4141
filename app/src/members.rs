//! The members of a tailnet, as listed on the Users page.

pub mod api;
pub mod model;
pub mod ui;
