//! Webhooks in Tailscale's format: endpoints that receive signed JSON (or a chat service's
//! message) about the tailnet's events. A change queues its events with [`events::emit`] in its
//! own transaction; the server's delivery worker sends them. Admins manage endpoints on the
//! "Webhooks" page (`api`, `ui`) and through the API v2 (`tailscale_api::webhooks`); the rules
//! for both are in `endpoints`, and where a webhook may go is decided by `address`.

#[cfg(feature = "ssr")]
pub mod address;
pub mod api;
#[cfg(feature = "ssr")]
pub mod deliveries;
#[cfg(feature = "ssr")]
pub mod endpoints;
#[cfg(feature = "ssr")]
pub mod events;
pub mod model;
pub mod ui;
