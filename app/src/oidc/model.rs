//! The "OIDC clients" page's data, shared by server and browser.

use serde::{Deserialize, Serialize};

use crate::ids::TailnetId;
use crate::roles::Role;

/// At most this many callback URLs per client.
pub const MAX_CALLBACK_URLS: usize = 10;
/// A callback URL is at most this long.
pub const MAX_CALLBACK_URL_CHARS: usize = 2_000;
/// A client's name is at most this long.
pub const MAX_CLIENT_NAME_CHARS: usize = crate::fields::ClientName::MAX_LEN;

/// A relying party people of the tailnet sign in to: its `client_id` is `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcClient {
    pub id: String,
    pub name: String,
    /// Where Gatehouse may send people back with a code, in the URL standard's normal form; a
    /// client's redirect URI must match one exactly.
    pub callback_urls: Vec<String>,
    /// No secret (a native or browser app): PKCE is required.
    pub public: bool,
    /// A confidential client that must use PKCE too.
    pub require_pkce: bool,
    /// The roles that may sign in; empty means every role.
    pub allowed_roles: Vec<Role>,
    pub created_at: i64,
}

/// "Add OIDC client" as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOidcClient {
    pub tailnet: TailnetId,
    pub name: String,
    /// One URL per line.
    pub callback_urls: String,
    pub public: bool,
    pub require_pkce: bool,
    /// At least one; all of them is stored as "every role" (roles added later included).
    pub allowed_roles: Vec<Role>,
}

/// A client just added: its secret is shown this once (a public client has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedOidcClient {
    pub client: OidcClient,
    pub secret: Option<String>,
}

/// The "OIDC clients" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcClientsPage {
    /// The issuer URL relying parties are configured with.
    pub issuer: String,
    pub clients: Vec<OidcClient>,
    /// Whether the viewer may add, regenerate and delete (Owner, Admin, Network admin).
    pub manages: bool,
}

/// The path of the "OIDC clients" page.
pub fn oidc_clients_path(tailnet: &TailnetId) -> String {
    format!("/admin/{tailnet}/oidc-clients")
}

/// The scopes a coordination server asks for: `groups` carries the person's role.
pub const HEADSCALE_SCOPES: [&str; 4] = ["openid", "profile", "email", "groups"];

/// The `oidc:` block of Headscale's `config.yaml` for `client`, ready to paste. Without the
/// secret (shown only when it is made) a placeholder stands in its place.
pub fn headscale_config(issuer: &str, client: &OidcClient, secret: Option<&str>) -> String {
    let quoted = |text: &str| serde_json::Value::String(text.to_owned()).to_string();
    let secret_line = match (client.public, secret) {
        (true, _) => "  # A public client has no secret.\n".to_owned(),
        (false, Some(secret)) => format!("  client_secret: {}\n", quoted(secret)),
        (false, None) => {
            "  client_secret: \"<the client secret, shown when it was made>\"\n".to_owned()
        }
    };
    let scopes = HEADSCALE_SCOPES
        .iter()
        .map(|scope| quoted(scope))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "oidc:\n  issuer: {issuer}\n  client_id: {client_id}\n{secret_line}  scope: [{scopes}]\n  \
         pkce:\n    enabled: true\n    method: S256\n",
        issuer = quoted(issuer),
        client_id = quoted(&client.id),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headscale_block_names_issuer_client_scopes_and_pkce() {
        let client = OidcClient {
            id: "c1".to_owned(),
            name: "Headscale".to_owned(),
            callback_urls: Vec::new(),
            public: false,
            require_pkce: false,
            allowed_roles: Vec::new(),
            created_at: 0,
        };
        assert_eq!(
            headscale_config("https://gh.example.com", &client, Some("s\"1")),
            "oidc:\n  issuer: \"https://gh.example.com\"\n  client_id: \"c1\"\n  \
             client_secret: \"s\\\"1\"\n  scope: [\"openid\", \"profile\", \"email\", \"groups\"]\n  \
             pkce:\n    enabled: true\n    method: S256\n"
        );
        let public = OidcClient {
            public: true,
            ..client
        };
        assert!(
            !headscale_config("https://gh.example.com", &public, None).contains("client_secret")
        );
    }
}
