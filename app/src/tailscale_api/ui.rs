//! The "Keys" admin page: generate, list and revoke API access tokens.

pub mod keys_page;
