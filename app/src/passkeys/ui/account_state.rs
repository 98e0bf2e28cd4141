//! What the Account page's parts share: reloading the account and announcing what a change
//! did. A change refused for want of a recent sign-in goes through the page's
//! [`ConfirmGate`](super::confirm_gate::ConfirmGate) and is tried again.

use leptos::prelude::*;

use super::confirm_gate::ask_to_confirm;
use crate::error::AppError;

/// What the page last did, announced to screen readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub text: String,
    pub is_error: bool,
}

impl Outcome {
    pub fn done(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: false,
        }
    }

    pub fn failed(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: true,
        }
    }
}

#[derive(Clone, Copy)]
pub struct AccountPageState {
    pub reload: RwSignal<u32>,
    pub outcome: RwSignal<Option<Outcome>>,
}

impl AccountPageState {
    pub fn new() -> Self {
        Self {
            reload: RwSignal::new(0),
            outcome: RwSignal::new(None),
        }
    }

    pub fn refresh(self) {
        self.reload.update(|n| *n += 1);
    }

    /// Announces a change's result. With `retry`, a refusal for want of a recent sign-in asks
    /// the person to confirm it's them and then runs `retry`.
    pub fn finish(self, result: Result<String, AppError>, retry: Option<Callback<()>>) {
        let error = match result {
            Ok(text) => {
                self.outcome.set(Some(Outcome::done(text)));
                self.refresh();
                return;
            }
            Err(error) => error,
        };
        let unanswered = match retry {
            Some(retry) => ask_to_confirm(error, retry),
            None => Some(error),
        };
        self.outcome
            .set(unanswered.map(|error| Outcome::failed(error.to_string())));
    }
}

impl Default for AccountPageState {
    fn default() -> Self {
        Self::new()
    }
}
