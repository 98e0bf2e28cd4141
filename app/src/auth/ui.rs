//! Sign-in page and account menu.

pub mod account_menu;
pub mod login_page;
pub mod tailnet_list;
