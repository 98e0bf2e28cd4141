//! Setup-link rules and the setup form, shared by the page and the server.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::fields::{DisplayName, EmailAddress, TailnetName};
use crate::tailnets::model::TailnetKind;

/// What the setup page shows about a valid link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupLinkInfo {
    /// Given when the operator named the tailnet (`gatehouse create-tailnet --name`).
    pub tailnet_name: Option<String>,
    /// The kind the operator chose (`--kind`), or the default.
    pub kind: TailnetKind,
}

/// The setup form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupForm {
    pub tailnet_name: String,
    /// "Organization" unless chosen otherwise.
    #[serde(default)]
    pub kind: TailnetKind,
    pub display_name: String,
    pub email: String,
}

/// The setup form after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidSetup {
    pub tailnet_name: TailnetName,
    pub kind: TailnetKind,
    pub display_name: DisplayName,
    pub email: EmailAddress,
}

impl SetupForm {
    /// Checks every field and reports all problems at once.
    pub fn validate(&self) -> Result<ValidSetup, AppError> {
        let mut errors = Vec::new();
        let mut check = |field: &str, result: Result<(), String>| {
            if let Err(message) = result {
                errors.push(FieldError::new(field, message));
            }
        };
        let tailnet_name = TailnetName::parse(&self.tailnet_name);
        let display_name = DisplayName::parse(&self.display_name);
        let email = EmailAddress::parse(&self.email);
        check("tailnet_name", tailnet_name.clone().map(drop));
        check("display_name", display_name.clone().map(drop));
        check("email", email.clone().map(drop));
        match (tailnet_name, display_name, email) {
            (Ok(tailnet_name), Ok(display_name), Ok(email)) => Ok(ValidSetup {
                tailnet_name,
                kind: self.kind,
                display_name,
                email,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Why a setup link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupLinkProblem {
    /// Malformed, or not issued by this server.
    Unknown,
    Used,
    Expired,
    /// Its tailnet already has an Owner (for a first-run link: some tailnet exists), or a newer
    /// link replaced it.
    Superseded,
}

impl From<SetupLinkProblem> for AppError {
    fn from(problem: SetupLinkProblem) -> Self {
        match problem {
            SetupLinkProblem::Unknown => AppError::NotFound(
                "This setup link is not valid. Check that you copied the whole link, or ask \
                 the operator for a new one."
                    .into(),
            ),
            SetupLinkProblem::Used => AppError::Gone(
                "This setup link has already been used. Sign in with your passkey instead.".into(),
            ),
            SetupLinkProblem::Expired => AppError::Gone(
                "This setup link has expired. Ask the operator for a new one.".into(),
            ),
            SetupLinkProblem::Superseded => AppError::Gone(
                "This setup link no longer works: its tailnet has already been set up. Sign in \
                 with your passkey, or ask the operator for a new link."
                    .into(),
            ),
        }
    }
}

/// Whether a link with this history can still be used at `now`.
pub fn setup_link_usable(
    used_at: Option<i64>,
    expires_at: i64,
    now: i64,
) -> Result<(), SetupLinkProblem> {
    if used_at.is_some() {
        Err(SetupLinkProblem::Used)
    } else if now >= expires_at {
        Err(SetupLinkProblem::Expired)
    } else {
        Ok(())
    }
}

/// Tokens are 32 random bytes in base64url: anything else cannot be one of ours.
pub fn token_is_well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_until_one_second_before_expiry() {
        assert_eq!(setup_link_usable(None, 100, 99), Ok(()));
        assert_eq!(
            setup_link_usable(None, 100, 100),
            Err(SetupLinkProblem::Expired)
        );
        assert_eq!(
            setup_link_usable(Some(50), 100, 60),
            Err(SetupLinkProblem::Used)
        );
    }

    #[test]
    fn problems_map_to_404_and_410() {
        assert_eq!(AppError::from(SetupLinkProblem::Unknown).status_code(), 404);
        assert_eq!(AppError::from(SetupLinkProblem::Used).status_code(), 410);
        assert_eq!(AppError::from(SetupLinkProblem::Expired).status_code(), 410);
        assert_eq!(
            AppError::from(SetupLinkProblem::Superseded).status_code(),
            410
        );
    }

    #[test]
    fn every_field_problem_is_reported_at_once() {
        let form = SetupForm {
            tailnet_name: " ".into(),
            display_name: "Ada".into(),
            email: "nope".into(),
            ..SetupForm::default()
        };
        let error = form.validate().expect_err("invalid form");
        assert!(error.field_message("tailnet_name").is_some());
        assert!(error.field_message("display_name").is_none());
        assert!(error.field_message("email").is_some());
    }

    #[test]
    fn only_43_base64url_characters_make_a_token() {
        assert!(token_is_well_formed(&"a".repeat(43)));
        assert!(!token_is_well_formed(&"a".repeat(42)));
        assert!(!token_is_well_formed(&format!("{}=", "a".repeat(42))));
        assert!(!token_is_well_formed("../../etc/passwd"));
    }
}
