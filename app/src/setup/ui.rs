//! The setup page.

pub mod setup_page;
