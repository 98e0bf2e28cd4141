//! The "Keys" admin page: generate, list and revoke API access tokens and OAuth clients.

pub mod keys_page;
pub mod oauth_clients;
pub mod revoke_cell;
