//! The "Keys" page's data, shared by server and browser.

use serde::{Deserialize, Serialize};

use crate::delegation::{Scope, Scopes};
use crate::ids::TailnetId;

/// Every API access token starts with this, as Tailscale's do.
pub const API_TOKEN_PREFIX: &str = "tskey-api-";
/// Every OAuth client secret starts with this.
pub const CLIENT_SECRET_PREFIX: &str = "tskey-client-";
/// How long an OAuth client's access token lives.
pub const OAUTH_TOKEN_LIFETIME_SECS: i64 = 3_600;
/// "Expiry": 1 to 90 days.
pub const MAX_EXPIRY_DAYS: i64 = 90;
/// Why a client without scopes is refused, on the Keys page and through the API alike.
pub const NO_SCOPE: &str = "Choose at least one scope.";
/// A day, in seconds.
pub const DAY_SECS: i64 = 86_400;

/// Whether an API access token may live `secs`: a day to 90 days. The one rule for the Keys
/// page, the API's `expirySeconds` and the write itself.
pub fn lifetime_allowed(secs: i64) -> bool {
    (DAY_SECS..=MAX_EXPIRY_DAYS * DAY_SECS).contains(&secs)
}
/// A description is at most this long.
pub const MAX_DESCRIPTION_CHARS: usize = 100;

/// One token as the page lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenSummary {
    pub id: String,
    pub description: String,
    pub creator_email: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl ApiTokenSummary {
    /// Whether the token still works at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// "Generate access token" as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub tailnet: TailnetId,
    pub description: String,
    pub expiry_days: i64,
}

/// A token just generated: its secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedApiToken {
    pub token: ApiTokenSummary,
    pub secret: String,
}

/// One OAuth client as the page lists it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OauthClientSummary {
    pub id: String,
    pub description: String,
    pub scopes: Scopes,
    pub creator_email: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// "Generate OAuth client" as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOauthClient {
    pub tailnet: TailnetId,
    pub description: String,
    pub scopes: Vec<Scope>,
}

/// A client just generated: its secret is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedOauthClient {
    pub client: OauthClientSummary,
    pub secret: String,
}

/// The "Keys" page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysPage {
    /// The API's base URL (`GATEHOUSE_PUBLIC_URL`), as clients are configured with it.
    pub api_base_url: String,
    /// Live tokens first, then those revoked or expired in the last 30 days.
    pub tokens: Vec<ApiTokenSummary>,
    /// Live OAuth clients first, then those revoked in the last 30 days.
    pub oauth_clients: Vec<OauthClientSummary>,
    /// The scopes the viewer's role may give a client.
    pub scopes_to_give: Vec<Scope>,
    /// The server's time when it read the list (what "expired" is measured against).
    pub now: i64,
}

/// The path of the "Keys" page.
pub fn keys_path(tailnet: &TailnetId) -> String {
    format!("/admin/{tailnet}/keys")
}

/// A token's description as kept: trimmed, one line, at most [`MAX_DESCRIPTION_CHARS`].
pub fn check_description(text: &str) -> Result<String, String> {
    let description = text.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        Err(format!("Use at most {MAX_DESCRIPTION_CHARS} characters."))
    } else if description.chars().any(char::is_control) {
        Err("Use one line of text.".to_owned())
    } else {
        Ok(description.to_owned())
    }
}

/// Checks "Generate access token": a description (trimmed, no control characters) and 1 to 90
/// days. Returns the description to keep.
pub fn check_new_token(new: &NewApiToken) -> Result<String, crate::error::AppError> {
    let mut errors = Vec::new();
    let description = check_description(&new.description)
        .map_err(|problem| errors.push(crate::error::FieldError::new("description", problem)))
        .unwrap_or_default();
    if !lifetime_allowed(new.expiry_days.saturating_mul(DAY_SECS)) {
        errors.push(crate::error::FieldError::new(
            "expiry_days",
            format!("Choose 1 to {MAX_EXPIRY_DAYS} days."),
        ));
    }
    if errors.is_empty() {
        Ok(description)
    } else {
        Err(crate::error::AppError::Validation(errors))
    }
}

/// Checks "Generate OAuth client": a description as for tokens and at least one scope, each
/// one `role` may give. Returns the description and the scopes to keep.
pub fn check_new_client(
    new: &NewOauthClient,
    role: crate::roles::Role,
) -> Result<(String, Scopes), crate::error::AppError> {
    use crate::error::{AppError, FieldError};
    let mut errors = Vec::new();
    let description = check_description(&new.description)
        .map_err(|problem| errors.push(FieldError::new("description", problem)))
        .unwrap_or_default();
    let scopes = Scopes::new(new.scopes.clone());
    if scopes.is_empty() {
        errors.push(FieldError::new("scopes", NO_SCOPE));
    } else if let Some(scope) = crate::delegation::beyond_role(role, &scopes) {
        errors.push(FieldError::new(
            "scopes",
            format!(
                "A {} cannot give the scope {}.",
                role.label(),
                scope.as_str()
            ),
        ));
    }
    if errors.is_empty() {
        Ok((description, scopes))
    } else {
        Err(AppError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(description: &str, expiry_days: i64) -> NewApiToken {
        NewApiToken {
            tailnet: TailnetId::from_raw("t"),
            description: description.to_owned(),
            expiry_days,
        }
    }

    #[test]
    fn expiry_is_one_to_ninety_days_and_the_description_one_line() {
        assert_eq!(
            check_new_token(&new(" terraform ", 90)).ok(),
            Some("terraform".to_owned())
        );
        assert!(
            check_new_token(&new("", 1)).is_ok(),
            "a description is optional"
        );
        for days in [0, 91, -1] {
            let refused = check_new_token(&new("x", days)).err();
            assert!(
                refused
                    .and_then(|e| e.field_message("expiry_days"))
                    .is_some()
            );
        }
        let refused = check_new_token(&new("a\nb", 30)).err();
        assert!(
            refused
                .and_then(|e| e.field_message("description"))
                .is_some()
        );
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert!(check_new_token(&new(&long, 30)).is_err());
    }
}
