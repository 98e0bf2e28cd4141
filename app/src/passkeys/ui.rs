//! The Account page: the person's passkeys ("Add passkey", "Rename", "Delete") and sessions
//! ("Sign out everywhere").

pub mod account_page;
pub mod confirm_gate;
pub mod confirm_identity;
pub mod passkey_list;
