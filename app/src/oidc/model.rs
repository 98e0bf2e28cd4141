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
    /// Empty: every role.
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
