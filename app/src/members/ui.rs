//! The Users page and its row actions.

pub mod row_actions;
pub mod users_page;
