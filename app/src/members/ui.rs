//! The Users page and its row menus.

pub mod approval_email_setting;
pub mod member_actions;
pub mod row_actions;
pub mod row_menu;
pub mod users_page;
