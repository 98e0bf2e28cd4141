//! The Users page.

pub mod users_page;
