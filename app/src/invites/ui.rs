//! The invite dialog and the public invite page.

pub mod invite_dialog;
pub mod invite_page;
