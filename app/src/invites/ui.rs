//! The invite dialog, the public invite page and the welcome page after accepting.

pub mod invite_dialog;
pub mod invite_page;
pub mod new_account_form;
pub mod welcome_page;
