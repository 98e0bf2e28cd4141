//! (ssr) Reading an authorization request (OpenID Connect Core 3.1.2.1), in two steps. First
//! the client and its redirect URI: until both are known good, nothing may be sent anywhere,
//! so their problems are shown on Gatehouse's own page. Then everything else: its problems go
//! back to the redirect URI as OAuth errors.

use super::model::OidcClient;

/// The longest `state` accepted (clients use a few dozen characters).
pub const MAX_STATE_CHARS: usize = 1_024;
/// The longest `nonce` accepted.
pub const MAX_NONCE_CHARS: usize = 512;
/// The scopes Gatehouse knows; others are ignored, as the spec allows.
pub const SUPPORTED_SCOPES: [&str; 4] = ["openid", "profile", "email", "groups"];
/// Our own parameter on the request the sign-in page returns to: a session proved at or after
/// this time satisfies `prompt=login` and `max_age`.
pub const SIGNED_IN_SINCE: &str = "signed_in_since";

/// The request's parameters, each at most once (RFC 6749 3.1).
#[derive(Debug, Clone, Default)]
pub struct Parameters(Vec<(String, String)>);

impl Parameters {
    pub fn parse(query: &str) -> Self {
        Self(
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The parameter's value when it is given once and not empty.
    pub fn value(&self, name: &str) -> Option<String> {
        self.one(name).ok().flatten().map(str::to_owned)
    }

    /// The parameter's value; empty counts as absent. Given twice, a problem naming it.
    pub fn one(&self, name: &str) -> Result<Option<&str>, String> {
        let mut values = self
            .0
            .iter()
            .filter(|(key, value)| key == name && !value.is_empty());
        let first = values.next().map(|(_, value)| value.as_str());
        if values.next().is_some() {
            return Err(format!("The parameter {name} is given more than once."));
        }
        Ok(first)
    }
}

/// Why the request cannot even name a client and a place to send the answer: shown on
/// Gatehouse's page, never redirected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnroutableRequest {
    #[error("{0}")]
    Malformed(String),
    #[error("The app that sent you here is not known to Gatehouse (unknown client_id).")]
    UnknownClient,
    #[error(
        "The app that sent you here asked Gatehouse to answer at an address that is not one of \
         its callback URLs, so Gatehouse does not send you there."
    )]
    RedirectNotRegistered,
}

/// The client and redirect URI the request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
}

/// Step one: `client_id` and `redirect_uri` (required: Gatehouse never guesses where to send
/// someone), and the `state` that goes back with any answer.
pub fn route(parameters: &Parameters) -> Result<Route, UnroutableRequest> {
    let required = |name: &str| match parameters.one(name) {
        Ok(Some(value)) => Ok(value.to_owned()),
        Ok(None) => Err(UnroutableRequest::Malformed(format!(
            "The sign-in request has no {name}."
        ))),
        Err(problem) => Err(UnroutableRequest::Malformed(problem)),
    };
    let client_id = required("client_id")?;
    let redirect_uri = required("redirect_uri")?;
    // A repeated or overlong state is still this request's state as far as routing goes; the
    // problem is reported to the client in step two.
    let state = parameters
        .0
        .iter()
        .find(|(key, value)| key == "state" && !value.is_empty())
        .map(|(_, value)| value.chars().take(MAX_STATE_CHARS).collect());
    Ok(Route {
        client_id,
        redirect_uri,
        state,
    })
}

/// Step one's second half: the redirect URI must be one of the client's callback URLs, exactly.
pub fn check_redirect(route: &Route, client: &OidcClient) -> Result<(), UnroutableRequest> {
    if client.callback_urls.contains(&route.redirect_uri) {
        Ok(())
    } else {
        Err(UnroutableRequest::RedirectNotRegistered)
    }
}

/// An OAuth error sent back to the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    /// The OAuth error code (`invalid_request`, `login_required`, …).
    pub code: &'static str,
    pub description: String,
}

impl RedirectError {
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
        }
    }

    fn invalid(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }
}

/// What `prompt` asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// Show nothing: answer at once or with `login_required`.
    pub none: bool,
    /// Prove a passkey now, even with a session.
    pub login: bool,
}

/// A valid authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub route: Route,
    /// The supported scopes asked for, in [`SUPPORTED_SCOPES`] order, space-separated.
    pub scope: String,
    pub nonce: Option<String>,
    /// The S256 PKCE challenge.
    pub code_challenge: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
    /// Set by Gatehouse on the way back from its sign-in page.
    pub signed_in_since: Option<i64>,
}

/// Whether `text` is a PKCE code verifier or S256 challenge: 43 to 128 unreserved characters
/// (RFC 7636 4.1; a challenge is 43).
pub fn is_pkce_text(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Step two: everything but the route, checked against what the client requires.
pub fn check_request(
    parameters: &Parameters,
    route: Route,
    client: &OidcClient,
) -> Result<AuthorizationRequest, RedirectError> {
    let get = |name: &str| parameters.one(name).map_err(RedirectError::invalid);
    if let Some(state) = get("state")?
        && state.chars().count() > MAX_STATE_CHARS
    {
        return Err(RedirectError::invalid(format!(
            "state has at most {MAX_STATE_CHARS} characters."
        )));
    }
    if get("request")?.is_some() {
        return Err(RedirectError::new(
            "request_not_supported",
            "Request objects are not supported.",
        ));
    }
    if get("request_uri")?.is_some() {
        return Err(RedirectError::new(
            "request_uri_not_supported",
            "request_uri is not supported.",
        ));
    }
    match get("response_type")? {
        Some("code") => {}
        Some(_) => {
            return Err(RedirectError::new(
                "unsupported_response_type",
                "Only the authorization code flow (response_type=code) is supported.",
            ));
        }
        None => return Err(RedirectError::invalid("response_type is missing.")),
    }
    if let Some(mode) = get("response_mode")?
        && mode != "query"
    {
        return Err(RedirectError::invalid(
            "Only response_mode=query is supported.",
        ));
    }
    let asked: Vec<&str> = get("scope")?.unwrap_or_default().split(' ').collect();
    if !asked.contains(&"openid") {
        return Err(RedirectError::new(
            "invalid_scope",
            "The openid scope is required.",
        ));
    }
    let scope = SUPPORTED_SCOPES
        .into_iter()
        .filter(|known| asked.contains(known))
        .collect::<Vec<_>>()
        .join(" ");
    let nonce = get("nonce")?.map(str::to_owned);
    if nonce
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NONCE_CHARS)
    {
        return Err(RedirectError::invalid(format!(
            "nonce has at most {MAX_NONCE_CHARS} characters."
        )));
    }
    let code_challenge = match (get("code_challenge")?, get("code_challenge_method")?) {
        (None, None) if client.require_pkce => {
            return Err(RedirectError::invalid(
                "This client must use PKCE (code_challenge with code_challenge_method=S256).",
            ));
        }
        (None, None) => None,
        (Some(challenge), Some("S256")) if is_pkce_text(challenge) => Some(challenge.to_owned()),
        (Some(_), Some("S256")) => {
            return Err(RedirectError::invalid(
                "code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'.",
            ));
        }
        (_, Some("S256")) => return Err(RedirectError::invalid("code_challenge is missing.")),
        _ => {
            return Err(RedirectError::invalid(
                "Only the S256 code_challenge_method is supported (plain is refused).",
            ));
        }
    };
    let mut prompt = Prompt::default();
    for value in get("prompt")?.unwrap_or_default().split(' ') {
        match value {
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            // Gatehouse asks no consent and has one account per browser to pick.
            "" | "consent" | "select_account" => {}
            other => {
                return Err(RedirectError::invalid(format!(
                    "prompt={other} is not supported."
                )));
            }
        }
    }
    if prompt.none && get("prompt")?.is_some_and(|p| p.split(' ').count() > 1) {
        return Err(RedirectError::invalid(
            "prompt=none cannot be combined with other values.",
        ));
    }
    let number = |name: &str| -> Result<Option<i64>, RedirectError> {
        get(name)?
            .map(|text| {
                text.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| RedirectError::invalid(format!("{name} must be whole seconds.")))
            })
            .transpose()
    };
    Ok(AuthorizationRequest {
        max_age: number("max_age")?,
        signed_in_since: number(SIGNED_IN_SINCE)?,
        route,
        scope,
        nonce,
        code_challenge,
        prompt,
    })
}

impl AuthorizationRequest {
    /// This request as a path on Gatehouse, with only what Gatehouse read from it, for the
    /// sign-in page to return to; `signed_in_since` says from when a sign-in counts as fresh.
    pub fn path_after_sign_in(&self, signed_in_since: Option<i64>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("response_type", "code".to_owned()),
            ("client_id", self.route.client_id.clone()),
            ("redirect_uri", self.route.redirect_uri.clone()),
            ("scope", self.scope.clone()),
        ];
        let optional = [
            ("state", self.route.state.clone()),
            ("nonce", self.nonce.clone()),
            ("code_challenge", self.code_challenge.clone()),
            (
                "code_challenge_method",
                self.code_challenge.as_ref().map(|_| "S256".to_owned()),
            ),
            ("max_age", self.max_age.map(|s| s.to_string())),
            (SIGNED_IN_SINCE, signed_in_since.map(|s| s.to_string())),
        ];
        pairs.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| (name, v))),
        );
        format!(
            "{}?{}",
            super::AUTHORIZE_PATH,
            crate::format::query_string(&pairs)
        )
    }

    /// Whether a session last proved at `verified_at` is fresh enough for this request.
    pub fn accepts_sign_in_at(&self, verified_at: i64, now: i64) -> bool {
        if self
            .signed_in_since
            .is_some_and(|since| verified_at >= since)
        {
            return true;
        }
        let too_old = self.max_age.is_some_and(|max| now - verified_at > max);
        !(self.prompt.login || too_old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn client(require_pkce: bool) -> OidcClient {
        OidcClient {
            id: "c1".to_owned(),
            name: "Headscale".to_owned(),
            callback_urls: vec!["https://h.example.com/oidc/callback".to_owned()],
            public: false,
            require_pkce,
            allowed_roles: Vec::new(),
            created_at: 0,
        }
    }

    fn check(query: &str, require_pkce: bool) -> Result<AuthorizationRequest, RedirectError> {
        let parameters = Parameters::parse(query);
        let route = route(&parameters).map_err(|e| RedirectError::invalid(e.to_string()))?;
        check_request(&parameters, route, &client(require_pkce))
    }

    const BASE: &str = "client_id=c1&redirect_uri=https%3A%2F%2Fh.example.com%2Foidc%2Fcallback\
                        &response_type=code&state=s1";

    #[test]
    fn a_full_request_is_read_and_returns_to_the_same_request() {
        let query = format!(
            "{BASE}&scope=openid%20email%20offline_access%20groups&nonce=n1\
             &code_challenge={CHALLENGE}&code_challenge_method=S256&max_age=300&domain_hint=x"
        );
        let request = check(&query, true).expect("valid");
        assert_eq!(request.scope, "openid email groups");
        assert_eq!(request.route.state.as_deref(), Some("s1"));
        assert_eq!(request.max_age, Some(300));
        let back = request.path_after_sign_in(Some(1_000));
        let again = check(back.trim_start_matches("/oidc/authorize?"), true).expect("valid");
        assert_eq!(again.signed_in_since, Some(1_000));
        assert_eq!(
            AuthorizationRequest {
                signed_in_since: None,
                ..again
            },
            request
        );
    }

    #[test]
    fn the_route_needs_a_client_and_a_registered_redirect_uri() {
        let no_redirect = Parameters::parse("client_id=c1&response_type=code");
        assert!(matches!(
            route(&no_redirect),
            Err(UnroutableRequest::Malformed(_))
        ));
        let twice = Parameters::parse(&format!("{BASE}&client_id=c2"));
        assert!(matches!(
            route(&twice),
            Err(UnroutableRequest::Malformed(_))
        ));
        let elsewhere = Parameters::parse(
            "client_id=c1&redirect_uri=https%3A%2F%2Fh.example.com%2Foidc%2Fcallback%2F",
        );
        let elsewhere = route(&elsewhere).expect("route");
        assert_eq!(
            check_redirect(&elsewhere, &client(false)),
            Err(UnroutableRequest::RedirectNotRegistered)
        );
    }

    #[test]
    fn pkce_is_s256_only_and_required_when_the_client_says_so() {
        let code = |query: &str, pkce| check(query, pkce).map(|_| ()).map_err(|e| e.code);
        let scope = "&scope=openid";
        assert_eq!(code(&format!("{BASE}{scope}"), false), Ok(()));
        assert_eq!(
            code(&format!("{BASE}{scope}"), true),
            Err("invalid_request")
        );
        for method in ["plain", ""] {
            let query =
                format!("{BASE}{scope}&code_challenge={CHALLENGE}&code_challenge_method={method}");
            assert_eq!(code(&query, false), Err("invalid_request"), "{method}");
        }
        let short = format!("{BASE}{scope}&code_challenge=abc&code_challenge_method=S256");
        assert_eq!(code(&short, false), Err("invalid_request"));
    }

    #[test]
    fn other_problems_are_oauth_errors() {
        let code = |query: &str| check(query, false).map(|_| ()).map_err(|e| e.code);
        assert_eq!(code(BASE), Err("invalid_scope"));
        assert_eq!(
            code(&BASE.replace("response_type=code", "response_type=token")),
            Err("unsupported_response_type")
        );
        assert_eq!(
            code(&format!("{BASE}&scope=openid&prompt=none%20login")),
            Err("invalid_request")
        );
        assert_eq!(
            code(&format!("{BASE}&scope=openid&request=eyJ")),
            Err("request_not_supported")
        );
        assert_eq!(
            code(&format!("{BASE}&scope=openid&max_age=-1")),
            Err("invalid_request")
        );
    }

    #[test]
    fn freshness_follows_prompt_max_age_and_the_sign_in_page() {
        let request =
            |extra: &str| check(&format!("{BASE}&scope=openid{extra}"), false).expect("valid");
        assert!(request("").accepts_sign_in_at(0, 1_000_000));
        assert!(!request("&prompt=login").accepts_sign_in_at(999, 1_000));
        assert!(!request("&max_age=60").accepts_sign_in_at(900, 1_000));
        assert!(request("&max_age=60").accepts_sign_in_at(950, 1_000));
        let back = request("&prompt=login&signed_in_since=990");
        assert!(back.accepts_sign_in_at(995, 1_000));
        assert!(!back.accepts_sign_in_at(980, 1_000));
    }
}
