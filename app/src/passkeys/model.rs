//! A person's passkeys as the Account page shows them, and the rules for managing them.

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ids::PasskeyId;

/// The Account page ("Account" in the account menu).
pub const ACCOUNT_PATH: &str = "/account";

/// The longest passkey name accepted.
pub const MAX_PASSKEY_NAME_CHARS: usize = 64;

/// Whether a session that last proved a passkey at `verified_at` may delete or add one now,
/// when that needs a sign-in within `window_secs` (`GATEHOUSE_RECENT_SIGN_IN`, 5 minutes by
/// default).
pub fn verified_recently(verified_at: i64, window_secs: i64, now: i64) -> bool {
    now - verified_at < window_secs
}

/// What the authenticator said about copies of the passkey (WebAuthn's backup flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncState {
    /// Backed up, e.g. to a password manager or a platform account: it survives a lost device.
    Synced,
    /// May be backed up, but is not yet.
    NotYetSynced,
    /// Bound to one device or security key.
    ThisDeviceOnly,
}

impl SyncState {
    pub fn from_flags(backup_eligible: bool, backup_state: bool) -> Self {
        match (backup_eligible, backup_state) {
            (_, true) => SyncState::Synced,
            (true, false) => SyncState::NotYetSynced,
            (false, false) => SyncState::ThisDeviceOnly,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SyncState::Synced => "Synced",
            SyncState::NotYetSynced => "Can sync, not synced yet",
            SyncState::ThisDeviceOnly => "This device only",
        }
    }
}

/// One passkey of the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    pub id: PasskeyId,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub sync: SyncState,
}

/// The Account page: who is signed in, their passkeys (oldest first) and sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub display_name: String,
    pub email: String,
    pub passkeys: Vec<PasskeySummary>,
    /// Live sessions of this person, this one included.
    pub sessions: i64,
    /// The passkey this session signed in with (or last confirmed with).
    pub current_passkey: Option<PasskeyId>,
    /// Until when this session may delete or add passkeys without confirming again.
    pub verified_until: i64,
    /// "Email me when someone needs approval", for someone who may approve in some tailnet.
    pub approval_emails: Option<bool>,
}

/// A passkey's name: trimmed, 1 to 64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(AppError::validation(
                "name",
                "Enter a name for the passkey.",
            ));
        }
        if name.chars().count() > MAX_PASSKEY_NAME_CHARS {
            return Err(AppError::validation(
                "name",
                format!("Use at most {MAX_PASSKEY_NAME_CHARS} characters."),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::validation(
                "name",
                "The name cannot contain line breaks or control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name a new passkey gets when none is typed: "Passkey 2" for a person's second.
    pub fn numbered(position: i64) -> Self {
        Self(format!("Passkey {position}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The refusal to delete a person's only passkey.
pub const LAST_PASSKEY_MESSAGE: &str =
    "This is your only passkey. Add another passkey before you delete this one.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PasskeyName::parse("  Work laptop ").map(|n| n.as_str().to_owned()),
            Ok("Work laptop".to_owned())
        );
        assert!(PasskeyName::parse("   ").is_err());
        assert!(PasskeyName::parse(&"x".repeat(64)).is_ok());
        assert!(PasskeyName::parse(&"x".repeat(65)).is_err());
        assert!(PasskeyName::parse("two\nlines").is_err());
        assert_eq!(PasskeyName::numbered(2).as_str(), "Passkey 2");
    }

    #[test]
    fn verification_is_recent_within_its_window() {
        assert!(verified_recently(1_000, 300, 1_000));
        assert!(verified_recently(1_000, 300, 1_299));
        assert!(!verified_recently(1_000, 300, 1_300));
    }

    #[test]
    fn backup_flags_read_as_sync_states() {
        assert_eq!(SyncState::from_flags(true, true), SyncState::Synced);
        assert_eq!(SyncState::from_flags(true, false), SyncState::NotYetSynced);
        assert_eq!(
            SyncState::from_flags(false, false),
            SyncState::ThisDeviceOnly
        );
    }
}
