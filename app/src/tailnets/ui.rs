pub mod settings_page;
