//! (ssr) Where a webhook may be sent. An admin types the URL, and the server makes the request,
//! so without a check an admin could make the server probe its own network. An endpoint must
//! be https (http only to loopback), and every address its host resolves to must be a public
//! one, unless the operator allows private addresses (`GATEHOUSE_WEBHOOK_ALLOW_PRIVATE`). The
//! check runs when the endpoint is saved and again, on the addresses actually connected to,
//! at every delivery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::model::MAX_URL_CHARS;
use crate::web_address::{AddressProblem, check_secure};

/// Whether `address` is on the public internet: not loopback, private (including the
/// 100.64.0.0/10 range tailnet devices use), link-local, multicast, unspecified, documentation
/// or otherwise reserved.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, c, _] = address.octets();
    let reserved = address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_multicast()
        || address.is_broadcast()
        || address.is_unspecified()
        || address.is_documentation()
        || a == 0
        // Shared address space, which tailnets use (100.64.0.0/10).
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments (192.0.0.0/24) and benchmarking (198.18.0.0/15).
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        // Reserved for future use (240.0.0.0/4).
        || a >= 240;
    !reserved
}

fn is_public_v6(address: Ipv6Addr) -> bool {
    let first = address.segments()[0];
    let reserved = address.is_loopback()
        || address.is_unspecified()
        || address.is_multicast()
        // Unique local (fc00::/7), which includes Tailscale's fd7a:115c:a1e0::/48.
        || (first & 0xfe00) == 0xfc00
        // Link-local (fe80::/10).
        || (first & 0xffc0) == 0xfe80
        // Documentation (2001:db8::/32).
        || (first == 0x2001 && address.segments()[1] == 0x0db8)
        // IPv4-compatible and other addresses under ::/96, NAT64 is left to the resolver.
        || address.segments()[..6].iter().all(|&segment| segment == 0);
    !reserved
}

/// Checks the form of an endpoint URL: absolute, https (http only to this computer), no user
/// name or password, no fragment. Returns it in the URL standard's normal form.
pub fn check_url(text: &str) -> Result<url::Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter the endpoint's URL.".to_owned());
    }
    if text.chars().count() > MAX_URL_CHARS {
        return Err(format!("A URL has at most {MAX_URL_CHARS} characters."));
    }
    let url = url::Url::parse(text).map_err(|_| format!("'{text}' is not a URL."))?;
    match check_secure(&url) {
        Ok(()) => {}
        Err(AddressProblem::PlainHttp) => {
            return Err("Use https (http only for localhost).".to_owned());
        }
        Err(AddressProblem::NotHttps) => return Err("Use an https URL.".to_owned()),
        Err(AddressProblem::Credentials) => {
            return Err("Leave the user name and password out of the URL.".to_owned());
        }
    }
    if url.fragment().is_some() {
        return Err("An endpoint URL has no #fragment.".to_owned());
    }
    Ok(url)
}

/// Why a destination is refused.
pub fn private_refusal(host: &str) -> String {
    format!(
        "{host} is a private, loopback or link-local address. Webhooks go only to public \
         addresses unless the server's operator sets GATEHOUSE_WEBHOOK_ALLOW_PRIVATE."
    )
}

/// The address written in the URL as its host, if it is one (no name to resolve).
pub fn literal_address(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(address) => Some(IpAddr::V4(address)),
        url::Host::Ipv6(address) => Some(IpAddr::V6(address)),
        url::Host::Domain(_) => None,
    }
}

/// Resolves the URL's host and refuses it when any of its addresses is not public (unless
/// `allow_private`), or when it does not resolve at all.
pub async fn check_destination(url: &url::Url, allow_private: bool) -> Result<(), String> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match literal_address(url) {
        Some(address) => vec![address],
        None => tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| format!("{host} could not be resolved. Check the address."))?
            .map(|socket| socket.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(format!("{host} could not be resolved. Check the address."));
    }
    if !allow_private && addresses.iter().any(|&address| !is_public(address)) {
        return Err(private_refusal(host));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().expect("address"))
    }

    #[test]
    fn private_loopback_link_local_and_tailnet_addresses_are_not_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd7a:115c:a1e0::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!public(address), "{address} must be refused");
        }
        for address in ["93.184.215.14", "1.1.1.1", "100.128.0.1", "2606:4700::1111"] {
            assert!(public(address), "{address} is public");
        }
    }

    #[test]
    fn urls_are_https_without_credentials_or_fragment() {
        assert!(check_url("https://hooks.example.com/x?y=1").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://hooks.example.com/").is_err());
        assert!(check_url("https://u:p@hooks.example.com/").is_err());
        assert!(check_url("https://hooks.example.com/#x").is_err());
        assert!(check_url("ftp://hooks.example.com/").is_err());
        assert!(check_url("  ").is_err());
    }

    #[tokio::test]
    async fn a_destination_on_loopback_is_refused_unless_allowed() {
        let url = check_url("http://127.0.0.1:9/hook").expect("url");
        assert!(check_destination(&url, false).await.is_err());
        assert!(check_destination(&url, true).await.is_ok());
        let named = check_url("http://localhost:9/hook").expect("url");
        assert!(check_destination(&named, false).await.is_err());
    }
}
