//! The configuration audit log: what changed in a tailnet, who changed it, when and from where.
//! Every change writes its events in its own transaction (`record`); admins read them on the
//! "Configuration audit logs" page (`api`, `ui`) and download them (`export`); retention
//! removes old ones (`server::purge_older_than`).

pub mod api;
#[cfg(feature = "ssr")]
pub mod export;
pub mod model;
#[cfg(feature = "ssr")]
pub mod record;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

#[cfg(feature = "ssr")]
pub use record::{Actor, ActorKind, Change, EventGroup, Origin, Target, record_for_person};
