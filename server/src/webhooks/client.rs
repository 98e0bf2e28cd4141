//! The HTTP client deliveries use: no redirects, short timeouts, and (unless private
//! addresses are allowed) a resolver that refuses a host whose addresses are not all public.
//! Connecting only to addresses checked at that moment closes the gap a check at save time
//! leaves open (a name that later resolves to an internal address).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::webhooks::address::{is_public, private_refusal};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long a receiver may take to answer, all told.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves names with the system resolver and refuses any that has a non-public address.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if found.iter().any(|address| !is_public(address.ip())) {
                return Err(std::io::Error::other(private_refusal(&host)).into());
            }
            let addresses: Addrs = Box::new(found.into_iter());
            Ok(addresses)
        })
    }
}

/// The client for every delivery of this server.
pub fn http_client(allow_private: bool) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(DELIVERY_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("Gatehouse-Webhooks/", env!("CARGO_PKG_VERSION")))
        .no_proxy();
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder
        .build()
        .map_err(|error| format!("the webhook HTTP client: {error}"))
}
