pub mod audit_log_page;
