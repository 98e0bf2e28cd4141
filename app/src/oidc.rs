//! Gatehouse as an OpenID Connect provider, so the tailnet's coordination server (Headscale)
//! signs people in with their Gatehouse passkey: signing keys and their published set so far.

#[cfg(feature = "ssr")]
pub mod jwks;
#[cfg(feature = "ssr")]
pub mod signing_keys;
