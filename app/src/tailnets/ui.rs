pub mod leave_dialog;
pub mod settings_page;
