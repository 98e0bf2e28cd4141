pub mod audit_log_page;
pub mod event_details;
pub mod event_table;
