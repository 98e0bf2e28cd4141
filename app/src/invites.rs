//! Invitations: by email or by link, with a role; resent, copied and deleted from the Users page.

#[cfg(feature = "ssr")]
pub mod accept;
pub mod api;
#[cfg(feature = "ssr")]
pub mod email;
#[cfg(feature = "ssr")]
pub mod email_code;
#[cfg(feature = "ssr")]
pub mod lookup;
#[cfg(feature = "ssr")]
pub mod manage;
pub mod model;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
