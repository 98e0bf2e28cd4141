//! The Account page: the person's passkeys ("Add passkey", "Rename", "Delete") and sessions
//! ("Sign out everywhere").

pub mod account_page;
pub mod account_state;
pub mod confirm_gate;
pub mod passkey_list;
