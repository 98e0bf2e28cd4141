//! Configuration from `GATEHOUSE_*` environment variables. A bad value stops the server with
//! one line that names the variable and what is wrong with it.

use std::net::SocketAddr;

/// The variables, their defaults and meaning: shown by `gatehouse --help`.
pub const ENVIRONMENT_HELP: &str = "\
Environment (all optional):
  GATEHOUSE_LISTEN        address to listen on                 [default: 127.0.0.1:3000]
  GATEHOUSE_PUBLIC_URL    origin people use; builds every link and is the
                          WebAuthn origin (relying-party id = its host)
                                                               [default: http://localhost:3000]
  GATEHOUSE_DATABASE_URL  sqlite://FILE or postgres://...       [default: sqlite://data/gatehouse.db]
  GATEHOUSE_SMTP_URL      SMTP server for invitation emails, e.g. smtp://localhost:1025
  GATEHOUSE_MAIL_FROM     sender of invitation emails, e.g. Gatehouse <gatehouse@example.com>
  GATEHOUSE_INVITE_TTL    how long invites stay valid: 90s, 15m, 12h, 30d
                                                               [default: 30d]
  GATEHOUSE_SETUP_LINK_TTL
                          how long a setup link (first start, create-tailnet)
                          stays valid: 10m to 7d; a newer link for the same
                          tailnet replaces it                  [default: 24h]
  GATEHOUSE_SECRET_KEY_FILE
                          key that seals invite links so they can be copied and
                          emailed again; created on first start. Every server of
                          one deployment needs the same file; keep it out of backups
                          of the database                      [default: data/secret.key]
  GATEHOUSE_CLIENT_DOWNLOAD_URL
                          where people download the client that connects
                          their devices         [default: https://tailscale.com/download]
  GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE
                          requests that present an invite token, per client
                          address and minute; more get 429     [default: 30]
  GATEHOUSE_INVITE_EMAILS_PER_DAY_PER_TAILNET
                          invitation emails (new and resent) one tailnet may
                          send in any 24 hours                 [default: 1000]
  GATEHOUSE_INVITE_EMAILS_PER_DAY_PER_PERSON
                          invitation emails one admin may send in any 24 hours
                                                               [default: 300]
  GATEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE
                          requests before anyone is signed in (starting or
                          finishing a sign-in, setup or recovery), per client
                          address (IPv6: per /64) and minute; more get 429
                                                               [default: 60]
  GATEHOUSE_TRUSTED_PROXIES
                          comma-separated IP addresses of the reverse proxies or
                          load balancers in front of Gatehouse; for requests from
                          them the client address comes from X-Forwarded-For
                                                               [default: none]
  GATEHOUSE_AUDIT_RETENTION
                          how long configuration audit events are kept: 1d to
                          3650d; older ones are removed in the background
                                                               [default: 90d]
  GATEHOUSE_RECENT_SIGN_IN
                          how recent a passkey sign-in must be to add or delete a
                          passkey: 10s to 1h; older sessions confirm with a
                          passkey first                        [default: 5m]
  GATEHOUSE_LOG_FORMAT    text (lines for people) or json (one object per
                          line, for Loki or ELK)               [default: text]
  GATEHOUSE_METRICS_LISTEN
                          address for Prometheus metrics at /metrics, apart
                          from the public listener, e.g. 127.0.0.1:9090
                                                               [default: off]
  GATEHOUSE_WEBHOOK_ALLOW_PRIVATE
                          true lets webhook endpoints be private, loopback or
                          link-local addresses (a receiver on this network);
                          otherwise only public addresses      [default: false]
  GATEHOUSE_WORKER_THREADS
                          threads serving requests: 1 to 1024  [default: one per core]";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: url::Url,
    pub database_url: String,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub invite_ttl_secs: i64,
    pub setup_link_ttl_secs: i64,
    pub secret_key_file: std::path::PathBuf,
    pub client_download_url: url::Url,
    pub invite_lookups_per_minute: i64,
    pub sign_in_attempts_per_minute: i64,
    pub invite_emails_per_day_per_tailnet: i64,
    pub invite_emails_per_day_per_person: i64,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub audit_retention_secs: i64,
    pub recent_sign_in_secs: i64,
    pub log_format: crate::logging::LogFormat,
    pub metrics_listen: Option<SocketAddr>,
    /// Whether webhooks may go to private, loopback and link-local addresses.
    pub webhook_allow_private: bool,
    /// Threads serving requests; `None` is one per core.
    pub worker_threads: Option<usize>,
}

/// A variable with a value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl Config {
    /// Reads the configuration through `lookup` (the process environment in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |variable: &'static str, default: &str| {
            lookup(variable)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let optional = |variable: &'static str| {
            lookup(variable)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let fail = |variable: &'static str, problem: String| ConfigError { variable, problem };

        let listen_text = read("GATEHOUSE_LISTEN", "127.0.0.1:3000");
        let listen = listen_text.parse().map_err(|_| {
            fail(
                "GATEHOUSE_LISTEN",
                format!("'{listen_text}' is not an address and port such as 127.0.0.1:3000"),
            )
        })?;
        let public_url = parse_public_url(&read("GATEHOUSE_PUBLIC_URL", "http://localhost:3000"))
            .map_err(|problem| fail("GATEHOUSE_PUBLIC_URL", problem))?;
        let database_url = parse_database_url(&read(
            "GATEHOUSE_DATABASE_URL",
            "sqlite://data/gatehouse.db",
        ))
        .map_err(|problem| fail("GATEHOUSE_DATABASE_URL", problem))?;
        let smtp_url = optional("GATEHOUSE_SMTP_URL");
        if let Some(smtp) = &smtp_url {
            let scheme_ok = ["smtp://", "smtps://"].iter().any(|s| smtp.starts_with(s));
            if !scheme_ok || url::Url::parse(smtp).is_err() {
                return Err(fail(
                    "GATEHOUSE_SMTP_URL",
                    format!("'{smtp}' is not an smtp:// or smtps:// URL"),
                ));
            }
            if smtp_transport_security(smtp) == SmtpSecurity::CredentialsInClear {
                return Err(fail(
                    "GATEHOUSE_SMTP_URL",
                    "a user name or password must not travel unencrypted: use smtps://… or \
                     smtp://…?tls=required"
                        .to_owned(),
                ));
            }
        }
        let mail_from = optional("GATEHOUSE_MAIL_FROM");
        if let Some(from) = &mail_from
            && !from.contains('@')
        {
            return Err(fail(
                "GATEHOUSE_MAIL_FROM",
                format!("'{from}' has no email address"),
            ));
        }
        let invite_ttl_secs = parse_duration(&read("GATEHOUSE_INVITE_TTL", "30d"))
            .map_err(|problem| fail("GATEHOUSE_INVITE_TTL", problem))?;
        let setup_link_ttl_secs =
            parse_duration_between(&read("GATEHOUSE_SETUP_LINK_TTL", "24h"), 600, 7 * 86_400)
                .map_err(|problem| fail("GATEHOUSE_SETUP_LINK_TTL", problem))?;
        let secret_key_file = read("GATEHOUSE_SECRET_KEY_FILE", "data/secret.key").into();
        let client_download_url = parse_web_url(&read(
            "GATEHOUSE_CLIENT_DOWNLOAD_URL",
            "https://tailscale.com/download",
        ))
        .map_err(|problem| fail("GATEHOUSE_CLIENT_DOWNLOAD_URL", problem))?;
        let count_between_1_and_a_million = |variable: &'static str, default: &str| {
            parse_count_up_to(&read(variable, default), 1_000_000)
                .map_err(|problem| fail(variable, problem))
        };
        let invite_lookups_per_minute =
            count_between_1_and_a_million("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "30")?;
        let sign_in_attempts_per_minute =
            count_between_1_and_a_million("GATEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE", "60")?;
        let invite_emails_per_day_per_tailnet =
            count_between_1_and_a_million("GATEHOUSE_INVITE_EMAILS_PER_DAY_PER_TAILNET", "1000")?;
        let invite_emails_per_day_per_person =
            count_between_1_and_a_million("GATEHOUSE_INVITE_EMAILS_PER_DAY_PER_PERSON", "300")?;
        let trusted_proxies = optional("GATEHOUSE_TRUSTED_PROXIES")
            .map(|text| parse_address_list(&text))
            .transpose()
            .map_err(|problem| fail("GATEHOUSE_TRUSTED_PROXIES", problem))?
            .unwrap_or_default();
        let audit_retention_secs = parse_duration_between(
            &read("GATEHOUSE_AUDIT_RETENTION", "90d"),
            86_400,
            3_650 * 86_400,
        )
        .map_err(|problem| fail("GATEHOUSE_AUDIT_RETENTION", problem))?;
        let recent_sign_in_secs =
            parse_duration_between(&read("GATEHOUSE_RECENT_SIGN_IN", "5m"), 10, 3_600)
                .map_err(|problem| fail("GATEHOUSE_RECENT_SIGN_IN", problem))?;
        let log_format = crate::logging::LogFormat::parse(&read("GATEHOUSE_LOG_FORMAT", "text"))
            .map_err(|problem| fail("GATEHOUSE_LOG_FORMAT", problem))?;
        let metrics_listen = optional("GATEHOUSE_METRICS_LISTEN")
            .map(|text| {
                text.parse().map_err(|_| {
                    fail(
                        "GATEHOUSE_METRICS_LISTEN",
                        format!("'{text}' is not an address and port such as 127.0.0.1:9090"),
                    )
                })
            })
            .transpose()?;
        let webhook_allow_private = match read("GATEHOUSE_WEBHOOK_ALLOW_PRIVATE", "false").trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" | "" => false,
            other => {
                return Err(fail(
                    "GATEHOUSE_WEBHOOK_ALLOW_PRIVATE",
                    format!("'{other}' is neither true nor false"),
                ));
            }
        };
        let worker_threads = optional("GATEHOUSE_WORKER_THREADS")
            .map(|text| parse_count_up_to(&text, 1024))
            .transpose()
            .map_err(|problem| fail("GATEHOUSE_WORKER_THREADS", problem))?
            .map(|count| usize::try_from(count).unwrap_or(1));
        Ok(Self {
            listen,
            public_url,
            database_url,
            smtp_url,
            mail_from,
            invite_ttl_secs,
            setup_link_ttl_secs,
            secret_key_file,
            client_download_url,
            invite_lookups_per_minute,
            sign_in_attempts_per_minute,
            invite_emails_per_day_per_tailnet,
            invite_emails_per_day_per_person,
            trusted_proxies,
            audit_retention_secs,
            recent_sign_in_secs,
            log_format,
            metrics_listen,
            webhook_allow_private,
            worker_threads,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

/// How an SMTP URL protects what it sends (passwords, and the links in invitations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`, or `smtp://` with `?tls=required` (STARTTLS or nothing).
    Encrypted,
    /// Plain `smtp://` (or STARTTLS only when offered) without credentials: allowed, with a
    /// warning at start, for a relay on the same host or network.
    Unencrypted,
    /// Credentials over a connection that may be unencrypted: refused.
    CredentialsInClear,
}

pub fn smtp_transport_security(smtp_url: &str) -> SmtpSecurity {
    let Ok(url) = url::Url::parse(smtp_url) else {
        return SmtpSecurity::Unencrypted;
    };
    let tls_required = url.scheme() == "smtps"
        || url
            .query_pairs()
            .any(|(key, value)| key == "tls" && value == "required");
    let has_credentials = !url.username().is_empty() || url.password().is_some();
    match (tls_required, has_credentials) {
        (true, _) => SmtpSecurity::Encrypted,
        (false, true) => SmtpSecurity::CredentialsInClear,
        (false, false) => SmtpSecurity::Unencrypted,
    }
}

impl Config {
    /// Settings that work but deserve a line in the log at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(smtp) = &self.smtp_url
            && smtp_transport_security(smtp) == SmtpSecurity::Unencrypted
        {
            warnings.push(
                "GATEHOUSE_SMTP_URL: email (with invite and recovery links) is sent unencrypted; \
                 use smtps:// or ?tls=required unless the relay is on this host"
                    .to_owned(),
            );
        }
        warnings
    }
}

fn parse_public_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("'{text}' is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("'{text}' must start with http:// or https://"));
    }
    if url.host_str().is_none() {
        return Err(format!("'{text}' has no host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "'{text}' must be an origin only, such as https://gatehouse.example.com (no path)"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("'{text}' must not contain a user name or password"));
    }
    Ok(url)
}

/// `10.0.0.2, 10.0.0.3`: IP addresses separated by commas.
fn parse_address_list(text: &str) -> Result<Vec<std::net::IpAddr>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse()
                .map_err(|_| format!("'{item}' is not an IP address such as 10.0.0.2"))
        })
        .collect()
}

/// An http(s) URL people's browsers open, such as the client download page.
fn parse_web_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("'{text}' is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("'{text}' must be an http:// or https:// URL"));
    }
    Ok(url)
}

/// Accepts `sqlite://FILE` (created when missing) and `postgres://` URLs.
fn parse_database_url(text: &str) -> Result<String, String> {
    if let Some(rest) = text.strip_prefix("sqlite://") {
        if rest.is_empty() {
            return Err("'sqlite://' needs a file name, such as sqlite://data/gatehouse.db".into());
        }
        if rest.contains("mode=") {
            return Ok(text.to_owned());
        }
        let separator = if rest.contains('?') { '&' } else { '?' };
        return Ok(format!("{text}{separator}mode=rwc"));
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        url::Url::parse(text).map_err(|e| format!("'{text}' is not a valid URL ({e})"))?;
        return Ok(text.to_owned());
    }
    Err(format!(
        "'{text}' is not supported: use sqlite://FILE or postgres://USER@HOST/DATABASE"
    ))
}

/// `90s`, `15m`, `12h` or `30d`: a whole number and a unit; between one minute and one year.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    parse_duration_between(text, 60, 366 * 86_400)
}

/// A whole number from 1 to `max`.
fn parse_count_up_to(text: &str, max: i64) -> Result<i64, String> {
    text.parse::<i64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("'{text}' is not a whole number from 1 to {max}"))
}

/// A duration (as [`parse_duration`] reads it) from `min_secs` to `max_secs`.
pub fn parse_duration_between(text: &str, min_secs: i64, max_secs: i64) -> Result<i64, String> {
    let invalid = || format!("'{text}' is not a duration such as 90s, 15m, 12h or 30d");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| invalid())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(invalid()),
    };
    let secs = number.checked_mul(unit_secs).ok_or_else(invalid)?;
    if !(min_secs..=max_secs).contains(&secs) {
        return Err(format!(
            "'{text}' must be between {} and {}",
            shown(min_secs),
            shown(max_secs)
        ));
    }
    Ok(secs)
}

/// A whole number of the largest unit that divides `secs`: `60s` is `1m`, `86400s` is `1d`.
fn shown(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_packaged_settings_template_names_every_variable() {
        let template = include_str!("../../packaging/gatehouse.env");
        let variables: Vec<&str> = ENVIRONMENT_HELP
            .split_whitespace()
            .filter(|word| word.starts_with("GATEHOUSE_"))
            .collect();
        assert!(variables.len() > 15, "{variables:?}");
        for variable in variables {
            assert!(
                template.contains(&format!("{variable}=")),
                "packaging/gatehouse.env lacks {variable}"
            );
        }
    }
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            /// Every count and unit within range reads as its seconds; anything else is an
            /// error that names the text, never a panic.
            #[test]
            fn durations_read_as_their_seconds(count in 0i64..100_000, unit in "[smhd]") {
                let secs = count * match unit.as_str() {
                    "s" => 1,
                    "m" => 60,
                    "h" => 3_600,
                    _ => 86_400,
                };
                let text = format!("{count}{unit}");
                match parse_duration_between(&text, 1, 400 * 86_400) {
                    Ok(read) => prop_assert_eq!(read, secs),
                    Err(problem) => {
                        prop_assert!(!(1..=400 * 86_400).contains(&secs));
                        prop_assert!(problem.contains(&text));
                    }
                }
            }

            #[test]
            fn any_text_is_read_or_refused(text in "\\PC{0,12}") {
                let _ = parse_duration(&text);
            }
        }
    }

    #[test]
    fn smtp_credentials_need_an_encrypted_connection() -> Result<(), ConfigError> {
        for refused in [
            "smtp://user:secret@mail.example.com:587",
            "smtp://user@mail.example.com",
            "smtp://user:secret@mail.example.com:587?tls=opportunistic",
        ] {
            let error = config(&[("GATEHOUSE_SMTP_URL", refused)]).expect_err(refused);
            assert_eq!(error.variable, "GATEHOUSE_SMTP_URL");
            assert!(error.problem.contains("unencrypted"), "{error}");
        }
        for allowed in [
            "smtps://user:secret@mail.example.com",
            "smtp://user:secret@mail.example.com:587?tls=required",
        ] {
            assert!(
                config(&[("GATEHOUSE_SMTP_URL", allowed)])?
                    .warnings()
                    .is_empty()
            );
        }
        let relay = config(&[("GATEHOUSE_SMTP_URL", "smtp://localhost:25")])?;
        assert_eq!(
            relay.warnings().len(),
            1,
            "plain relay: allowed with a warning"
        );
        Ok(())
    }

    #[test]
    fn defaults_need_no_variables() -> Result<(), ConfigError> {
        let config = config(&[])?;
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.public_url.as_str(), "http://localhost:3000/");
        assert_eq!(config.database_url, "sqlite://data/gatehouse.db?mode=rwc");
        assert_eq!(config.invite_ttl_secs, 30 * 86_400);
        assert_eq!(config.setup_link_ttl_secs, 86_400);
        assert_eq!(
            config.client_download_url.as_str(),
            "https://tailscale.com/download"
        );
        assert_eq!(config.invite_lookups_per_minute, 30);
        assert_eq!(config.sign_in_attempts_per_minute, 60);
        assert_eq!(config.invite_emails_per_day_per_tailnet, 1_000);
        assert_eq!(config.invite_emails_per_day_per_person, 300);
        assert!(config.trusted_proxies.is_empty());
        assert_eq!(config.audit_retention_secs, 90 * 86_400);
        assert_eq!(config.recent_sign_in_secs, 5 * 60);
        assert_eq!(config.worker_threads, None, "one per core");
        Ok(())
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (variable, value) in [
            ("GATEHOUSE_LISTEN", "localhost"),
            ("GATEHOUSE_PUBLIC_URL", "ftp://example.com"),
            ("GATEHOUSE_PUBLIC_URL", "https://example.com/gatehouse"),
            ("GATEHOUSE_DATABASE_URL", "mysql://db"),
            ("GATEHOUSE_SMTP_URL", "localhost:25"),
            ("GATEHOUSE_MAIL_FROM", "nobody"),
            ("GATEHOUSE_INVITE_TTL", "30"),
            ("GATEHOUSE_INVITE_TTL", "5s"),
            ("GATEHOUSE_INVITE_TTL", "2y"),
            ("GATEHOUSE_CLIENT_DOWNLOAD_URL", "javascript:alert(1)"),
            ("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "0"),
            ("GATEHOUSE_INVITE_LOOKUPS_PER_MINUTE", "many"),
            ("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8"),
            ("GATEHOUSE_AUDIT_RETENTION", "12h"),
            ("GATEHOUSE_AUDIT_RETENTION", "3651d"),
            ("GATEHOUSE_AUDIT_RETENTION", "forever"),
            ("GATEHOUSE_RECENT_SIGN_IN", "0s"),
            ("GATEHOUSE_SETUP_LINK_TTL", "5m"),
            ("GATEHOUSE_SETUP_LINK_TTL", "30d"),
            ("GATEHOUSE_RECENT_SIGN_IN", "2h"),
            ("GATEHOUSE_WORKER_THREADS", "0"),
            ("GATEHOUSE_WORKER_THREADS", "all"),
        ] {
            let error = config(&[(variable, value)]).expect_err(value);
            assert_eq!(error.variable, variable);
            assert!(error.to_string().starts_with(variable), "{error}");
            assert!(!error.to_string().contains('\n'));
        }
    }

    #[test]
    fn trusted_proxies_are_a_list_of_addresses() -> Result<(), ConfigError> {
        let config = config(&[("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.2, ::1")])?;
        let expected: Vec<std::net::IpAddr> = vec![
            std::net::Ipv4Addr::new(10, 0, 0, 2).into(),
            std::net::Ipv6Addr::LOCALHOST.into(),
        ];
        assert_eq!(config.trusted_proxies, expected);
        Ok(())
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert!(parse_duration("99999999999999999999d").is_err());
        assert!(parse_duration("-5d").is_err());
        assert_eq!(
            parse_duration("5s"),
            Err("'5s' must be between 1m and 366d".to_owned())
        );
        assert_eq!(
            parse_duration_between("365d", 86_400, 3_650 * 86_400),
            Ok(365 * 86_400)
        );
    }
}
