//! The recovery page (`/recover/:token`) and the Users page's "Recovery link" dialog.

pub mod recovery_dialog;
pub mod recovery_page;
