//! Gatehouse as an OpenID Connect provider, so the tailnet's coordination server (Headscale)
//! signs people in with their Gatehouse passkey: the tailnet's clients (relying parties), the
//! keys ID tokens are signed with, and their published set.

pub mod access;
pub mod api;
#[cfg(feature = "ssr")]
pub mod clients;
#[cfg(feature = "ssr")]
pub mod jwks;
pub mod model;
#[cfg(feature = "ssr")]
pub mod signing_keys;
