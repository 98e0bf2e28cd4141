//! `AppError`: the one error type that crosses the wire, and the HTTP status of each variant.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// One input field that failed validation, with the sentence to show beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Every failure a server function reports. The text of each variant is what a person reads,
/// so it never contains internals: those are logged under `reference`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// A sign-in attempt that did not prove who the person is; the text says what to do next.
    #[error("{0}")]
    SignInFailed(String),
    #[error("You don't have permission to do that.")]
    Forbidden,
    /// The change needs a passkey sign-in within the last few minutes; the page asks the
    /// person to confirm with a passkey and tries again.
    #[error("For your security, confirm it's you with one of your passkeys first.")]
    VerificationRequired,
    /// Refused by a rule the person can read about; the text names the rule.
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{}", validation_summary(.0))]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    /// A daily allowance (such as invitation emails) is used up; the text names it.
    #[error("{message}")]
    QuotaExceeded {
        message: String,
        retry_after_secs: u64,
    },
    #[error(
        "Something went wrong on our side. If it keeps happening, quote reference {reference}."
    )]
    Internal { reference: String },
    /// The request never reached our code or its answer could not be read (network, encoding).
    #[error("Gatehouse could not be reached ({0}). Check your connection and try again.")]
    Transport(String),
}

fn validation_summary(errors: &[FieldError]) -> String {
    match errors {
        [one] => one.message.clone(),
        _ => "Some fields need attention.".to_owned(),
    }
}

impl AppError {
    /// How long a refused client should wait, for the `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs }
            | Self::QuotaExceeded {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The message for one field, when this is a validation error that names it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::SignInFailed(_) => 401,
            Self::Forbidden | Self::NotAllowed(_) | Self::VerificationRequired => 403,
            Self::NotFound(_) => 404,
            Self::Validation(_) => 422,
            Self::Conflict(_) => 409,
            Self::Gone(_) => 410,
            Self::RateLimited { .. } | Self::QuotaExceeded { .. } => 429,
            Self::Internal { .. } => 500,
            Self::Transport(_) => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                Self::validation("request", format!("The request was malformed: {message}"))
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
mod server_side {
    use super::AppError;

    impl AppError {
        /// Logs `cause` with a fresh reference and returns an error that shows only the reference.
        pub fn internal(cause: impl std::fmt::Display) -> Self {
            let reference = crate::secrets::random_token(6);
            tracing::error!(%reference, %cause, "internal error");
            Self::Internal { reference }
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(cause: sqlx::Error) -> Self {
            Self::internal(format_args!("database: {cause}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_the_status_a_client_expects() {
        assert_eq!(AppError::Unauthenticated.status_code(), 401);
        assert_eq!(AppError::Forbidden.status_code(), 403);
        assert_eq!(AppError::VerificationRequired.status_code(), 403);
        assert_eq!(AppError::NotFound(String::new()).status_code(), 404);
        assert_eq!(AppError::Gone(String::new()).status_code(), 410);
        assert_eq!(AppError::validation("email", "x").status_code(), 422);
        assert_eq!(
            AppError::RateLimited {
                retry_after_secs: 3
            }
            .status_code(),
            429
        );
    }

    #[test]
    fn one_field_error_reads_as_its_own_sentence() {
        let error = AppError::validation("email", "Enter an email address.");
        assert_eq!(error.to_string(), "Enter an email address.");
        assert_eq!(
            error.field_message("email").as_deref(),
            Some("Enter an email address.")
        );
        assert_eq!(error.field_message("name"), None);
    }
}
