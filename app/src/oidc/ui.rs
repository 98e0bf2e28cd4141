//! The "OIDC clients" admin page: the issuer URL, the tailnet's clients, adding one, a secret
//! shown once with a ready-to-paste Headscale block, "Regenerate secret" and "Delete".

mod add_client_form;
mod client_row;
pub mod clients_page;
mod copy_block;
mod revealed_secret;
