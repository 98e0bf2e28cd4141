//! (ssr) Addresses of other servers that admins type (OIDC callback URLs, the coordination
//! server): https, or plain http only to this computer (apps and test servers listening on
//! loopback), never with a user name or password in them.

/// Whether `url` names this computer: `localhost` or a loopback address (all of 127/8, ::1).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

/// What is wrong with an address's scheme or credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressProblem {
    /// http to another computer.
    PlainHttp,
    /// Neither https nor http (or no host).
    NotHttps,
    /// `user:password@` in it.
    Credentials,
}

/// Checks the scheme and credentials of `url`.
pub fn check_secure(url: &url::Url) -> Result<(), AddressProblem> {
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if is_loopback(url) => {}
        "http" => return Err(AddressProblem::PlainHttp),
        _ => return Err(AddressProblem::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AddressProblem::Credentials);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), AddressProblem> {
        check_secure(&url::Url::parse(text).expect("url"))
    }

    #[test]
    fn https_anywhere_http_only_on_loopback_and_no_credentials() {
        assert_eq!(check("https://h.example.com/cb"), Ok(()));
        assert_eq!(check("http://localhost:8080/cb"), Ok(()));
        assert_eq!(check("http://127.0.0.2/cb"), Ok(()));
        assert_eq!(check("http://[::1]/cb"), Ok(()));
        assert_eq!(
            check("http://localhost.example.com/cb"),
            Err(AddressProblem::PlainHttp)
        );
        assert_eq!(check("ftp://h.example.com/"), Err(AddressProblem::NotHttps));
        assert_eq!(check("javascript:alert(1)"), Err(AddressProblem::NotHttps));
        assert_eq!(
            check("https://u:p@h.example.com/"),
            Err(AddressProblem::Credentials)
        );
    }
}
