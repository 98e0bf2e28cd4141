//! A relying party built with the `openidconnect` crate, as a coordination server would use
//! it: it knows only Gatehouse's issuer URL, its client id and secret. The browser half of the
//! flow is a [`TestApp`] client (its cookies are the person's session).

use app::ids::TailnetId;
use app::oidc::model::AddedOidcClient;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenClaims, CoreProviderMetadata,
    CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, TestDatabase};
use crate::passkey::TestPasskey;

const ALL_ROLES: &[&str] = &[
    "owner",
    "admin",
    "network_admin",
    "it_admin",
    "billing_admin",
    "auditor",
    "member",
];

pub const CALLBACK: &str = "https://headscale.example.com/oidc/callback";

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Sends the relying party's server-to-server requests (discovery, JWKS, token, userinfo):
/// no cookies, no redirects followed.
pub async fn http(
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut answer = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let body = response.bytes().await?.to_vec();
    Ok(answer.body(body).expect("response"))
}

/// Adds a client through the console as the person signed in to `admin`; no `allowed_roles`
/// means every role.
pub async fn add_client(
    admin: &TestApp,
    tailnet: &TailnetId,
    public: bool,
    allowed_roles: &[&str],
) -> AddedOidcClient {
    let (status, added) = admin
        .call::<AddedOidcClient>(
            "add_oidc_client",
            json!({ "client": {
                "tailnet": tailnet,
                "name": "Headscale",
                "callback_urls": CALLBACK,
                "public": public,
                "require_pkce": false,
                "allowed_roles": if allowed_roles.is_empty() { ALL_ROLES } else { allowed_roles },
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added:?}");
    added.expect("client added")
}

/// A new Gatehouse whose Owner (signed in in `app`, holding `passkey`) added a client open to
/// every role, and that client's relying party.
pub struct WithClient {
    pub app: TestApp,
    /// Kept for the test's length: dropping it deletes the database.
    pub database: TestDatabase,
    pub passkey: TestPasskey,
    pub tailnet: TailnetId,
    pub added: AddedOidcClient,
    pub rp: RelyingParty,
}

impl WithClient {
    /// `None` when `backend` is unavailable; `public` makes a public (PKCE-only) client.
    pub async fn spawn(backend: Backend, public: bool) -> Option<Self> {
        let (app, database) = TestApp::spawn(backend).await?;
        let (passkey, _) = app.with_owner("ada@example.com").await;
        let tailnet = app.home_tailnet().await;
        let added = add_client(&app, &tailnet, public, &[]).await;
        let rp = RelyingParty::discover(&app, &added).await;
        Some(Self {
            app,
            database,
            passkey,
            tailnet,
            added,
            rp,
        })
    }
}

/// One relying party, configured from discovery.
pub struct RelyingParty {
    pub client: Client,
    pub client_id: String,
}

/// What the relying party keeps between sending the person away and their coming back.
pub struct Pending {
    pub url: url::Url,
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub verifier: Option<PkceCodeVerifier>,
}

impl RelyingParty {
    pub async fn discover(app: &TestApp, added: &AddedOidcClient) -> Self {
        let issuer = IssuerUrl::new(app.public_origin.clone()).expect("issuer");
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .expect("discovery");
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(added.client.id.clone()),
            added.secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(CALLBACK.to_owned()).expect("redirect"));
        Self {
            client,
            client_id: added.client.id.clone(),
        }
    }

    /// The authorization URL with every scope, a nonce and (when `pkce`) an S256 challenge.
    pub fn start(&self, pkce: bool, extra: &[(&str, &str)]) -> Pending {
        let mut request = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .add_scope(Scope::new("groups".to_owned()));
        for (name, value) in extra {
            request = request.add_extra_param(*name, *value);
        }
        let verifier = if pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            Some(verifier)
        } else {
            None
        };
        let (url, state, nonce) = request.url();
        Pending {
            url,
            state,
            nonce,
            verifier,
        }
    }

    /// Exchanges `code`; `basic` chooses client_secret_basic over client_secret_post.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: Option<PkceCodeVerifier>,
        basic: bool,
    ) -> Result<CoreTokenResponse, String> {
        let auth = if basic {
            AuthType::BasicAuth
        } else {
            AuthType::RequestBody
        };
        let client = self.client.clone().set_auth_type(auth);
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .expect("token endpoint known");
        if let Some(verifier) = verifier {
            request = request.set_pkce_verifier(verifier);
        }
        request.request_async(&http).await.map_err(|e| match e {
            openidconnect::RequestTokenError::ServerResponse(answer) => answer.error().to_string(),
            other => format!("{other:?}"),
        })
    }

    /// Verifies the ID token (signature from the JWKS, issuer, audience, expiry, nonce).
    pub fn verify<'a>(&self, token: &'a CoreIdToken, nonce: &Nonce) -> &'a CoreIdTokenClaims {
        token
            .claims(&self.client.id_token_verifier(), nonce)
            .expect("the ID token verifies")
    }

    pub async fn userinfo(&self, token: &AccessToken) -> Result<CoreUserInfoClaims, String> {
        self.client
            .user_info(token.clone(), None)
            .expect("userinfo endpoint known")
            .request_async(&http)
            .await
            .map_err(|e| format!("{e:?}"))
    }
}

/// The person's browser follows the authorization URL (on this server's address, where its
/// cookies are) and returns where Gatehouse sent it and the status.
pub async fn follow(browser: &TestApp, url: &url::Url) -> (StatusCode, Option<String>, String) {
    let path = &url[url::Position::BeforePath..];
    let response = browser
        .client
        .get(format!("{}{path}", browser.address))
        .send()
        .await
        .expect("authorize");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().expect("location").to_owned());
    (status, location, response.text().await.expect("body"))
}

/// The query parameters of a URL Gatehouse redirected to.
pub fn query_of(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location)
        .expect("absolute redirect")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param(location: &str, name: &str) -> Option<String> {
    query_of(location)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Signs the browser in to the client: authorize, expect the code at the callback.
pub async fn code_for(browser: &TestApp, pending: &Pending) -> String {
    let (status, location, body) = follow(browser, &pending.url).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = location.expect("redirect");
    assert!(location.starts_with(CALLBACK), "{location}");
    assert_eq!(
        param(&location, "state").as_deref(),
        Some(pending.state.secret().as_str())
    );
    param(&location, "code").unwrap_or_else(|| panic!("a code in {location}"))
}

/// The `groups` claim in a token response's ID token payload or a userinfo answer.
pub fn groups_in_id_token(response: &CoreTokenResponse) -> Value {
    let token = response.id_token().expect("id token").to_string();
    let payload = token.split('.').nth(1).expect("payload");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: Value = serde_json::from_slice(&bytes).expect("json");
    claims["groups"].clone()
}

/// The access token of a token response.
pub fn access_token(response: &CoreTokenResponse) -> AccessToken {
    response.access_token().clone()
}
