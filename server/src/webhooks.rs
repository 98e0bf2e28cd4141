//! The webhook delivery worker: it leases an endpoint at a time, sends that endpoint's due
//! events in one signed POST, and records the outcome on each event. Leasing the endpoint
//! (a conditional update of one row) means servers sharing a database never send an event
//! twice and never post to one endpoint concurrently; each endpoint is delivered to by its own
//! task, so a slow or hanging receiver holds up only itself, for at most the request timeout.
//! A failure or a non-2xx answer is retried with a growing delay until the event is a day
//! old, then the event is marked failed (and "Retry" on the page queues it again).

pub mod client;
pub mod deliver;
pub mod format;
pub mod sign;

pub use client::http_client;
pub use deliver::{DeliveryRound, deliver_due, retry_delay_secs, spawn_worker};
