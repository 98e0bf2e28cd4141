//! (ssr) The settings the app reads at run time; the server crate parses them from the
//! environment.

/// Settings the app reads at run time (the server crate parses them from the environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The origin people use; every link is built from it, never from a request's Host.
    pub public_url: url::Url,
    /// How long invitations stay valid.
    pub invite_ttl_secs: i64,
    /// How long a setup link stays valid (hours, not the invites' weeks: it makes an Owner).
    pub setup_link_ttl_secs: i64,
    /// Seals invite tokens that must be shown or emailed again.
    pub link_key: crate::secrets::LinkKey,
    /// Whether an SMTP server is configured; without one, invites work through their links.
    pub email_delivery_configured: bool,
    /// Where people download the client ("Download the client").
    pub client_download_url: String,
    /// Requests presenting an invite token allowed per client address and minute.
    pub invite_lookups_per_minute: i64,
    /// Invitation emails (new invites and resends) one tailnet may send in any 24 hours.
    pub invite_emails_per_day_per_tailnet: i64,
    /// Invitation emails one person may send in any 24 hours, across their tailnets.
    pub invite_emails_per_day_per_person: i64,
    /// Requests before anyone is signed in (sign-in, setup, recovery, invite sign-up) allowed
    /// per client and minute.
    pub sign_in_attempts_per_minute: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long audit events are kept before housekeeping removes them.
    pub audit_retention_secs: i64,
    /// High-impact changes (see `Verification`) need a passkey sign-in this recent.
    pub recent_sign_in_secs: i64,
    /// Whether webhooks may go to private, loopback and link-local addresses.
    pub webhook_allow_private: bool,
}

impl Settings {
    /// The public origin without a trailing slash, for building links.
    pub fn public_origin(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    pub fn uses_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}
