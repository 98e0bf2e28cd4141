//! One integration-test binary: each test starts the real app (`server::build`) on 127.0.0.1
//! against a fresh SQLite file and, when PostgreSQL is available, a fresh PostgreSQL database,
//! and drives it over HTTP. Passkeys come from a software authenticator.

// The harness's helpers run outside `#[test]` functions; a test that cannot set itself up
// should stop loudly there too.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod harness;
mod passkey;
mod seed;
mod smtp;
mod stress;

pub mod accept;
pub mod account_passkeys;
mod api_v2;
mod api_v2_client;
mod api_v2_matrix;
mod api_v2_oauth;
mod api_v2_openapi;
mod api_v2_users;
mod approval_email;
mod audit_coverage;
mod audit_log;
mod backup_and_restart;
mod cli;
mod coordination_server;
mod email_codes;
mod general_settings;
pub mod granting;
mod invites;
pub mod leave;
mod manage_members;
mod oidc_clients;
mod oidc_keys;
mod oidc_refusals;
mod oidc_rp;
mod oidc_sign_in;
mod operations;
mod races;
pub mod recovery;
mod security;
mod sessions;
mod setup;
mod sign_in;
mod users_list;
mod webhook_delivery;
mod webhook_receiver;
mod webhooks;
mod webhooks_api;
