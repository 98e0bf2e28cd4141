//! "Confirm it's you": high-impact changes (transfer ownership, giving or taking Admin, invites
//! and approvals with an admin role, recovery links, the general settings, adding or deleting
//! a passkey) need a passkey sign-in within `GATEHOUSE_RECENT_SIGN_IN`. A page provides one
//! gate; a change the server refused with `VerificationRequired` hands it a retry, the gate
//! asks for a passkey (the button gives the browser the user gesture a passkey prompt needs),
//! and then makes the change again.

use leptos::prelude::*;

use crate::components::browser_only::browser_action;
use crate::components::dialog::ConfirmDialog;
use crate::error::AppError;
use crate::passkeys::api::{finish_verify_passkey, start_verify_passkey};
use crate::passkeys::browser::use_passkey;

/// The page's gate: the change waiting for a confirmation, if any.
#[derive(Debug, Clone, Copy)]
pub struct ConfirmGate {
    waiting: RwSignal<Option<Callback<()>>>,
}

impl ConfirmGate {
    /// Creates the page's gate and offers it to the components below.
    pub fn provide() -> Self {
        let gate = Self {
            waiting: RwSignal::new(None),
        };
        provide_context(gate);
        gate
    }

    /// The gate of the page, when it has one.
    pub fn of_page() -> Option<Self> {
        use_context::<Self>()
    }

    /// Takes a failed change's error: when it asks for a recent sign-in, keeps `retry` and opens
    /// the confirmation, and returns `None` (nothing to announce yet); otherwise returns the
    /// error as it was.
    pub fn intercept(self, error: AppError, retry: Callback<()>) -> Option<AppError> {
        if error == AppError::VerificationRequired {
            self.waiting.set(Some(retry));
            None
        } else {
            Some(error)
        }
    }
}

/// [`ConfirmGate::intercept`] through the page's gate; without one the error stays as it is.
pub fn ask_to_confirm(error: AppError, retry: Callback<()>) -> Option<AppError> {
    match ConfirmGate::of_page() {
        Some(gate) => gate.intercept(error, retry),
        None => Some(error),
    }
}

/// A change's result once the page's gate had its say: `Ok(None)` while the change waits for
/// the person to confirm it's them.
pub fn through_gate<T>(
    result: Result<T, AppError>,
    retry: Callback<()>,
) -> Result<Option<T>, AppError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) => match ask_to_confirm(error, retry) {
            Some(error) => Err(error),
            None => Ok(None),
        },
    }
}

/// A [`browser_action`] for a change the server may refuse until the person confirms it's them:
/// `run` gets the input and a `retry` that dispatches the same input again, to hand to
/// [`ask_to_confirm`].
pub fn confirmable_action<I, O, Fu>(run: impl Fn(&I, Callback<()>) -> Fu + 'static) -> Action<I, O>
where
    I: Clone + Send + Sync + 'static,
    O: Send + Sync + 'static,
    Fu: std::future::Future<Output = O> + 'static,
{
    let this = StoredValue::new(None::<Action<I, O>>);
    // The retry belongs to the component that made the action, not to whatever dispatched it
    // (often a dialog that closes as it dispatches, which would take the retry with it).
    let owner = Owner::current();
    let action = browser_action(move |input: &I| {
        let again = input.clone();
        let make_retry = move || {
            Callback::new(move |()| {
                if let Some(action) = this.try_get_value().flatten() {
                    action.dispatch(again.clone());
                }
            })
        };
        let retry = match &owner {
            Some(owner) => owner.with(make_retry),
            None => make_retry(),
        };
        run(input, retry)
    });
    this.set_value(Some(action));
    action
}

/// Proves it's the signed-in person with one of their passkeys.
async fn confirm_with_passkey() -> Result<(), AppError> {
    let challenge = start_verify_passkey().await?;
    let credential = use_passkey(challenge.options)
        .await
        .map_err(|e| AppError::SignInFailed(e.to_string()))?;
    finish_verify_passkey(challenge.ceremony, credential).await
}

/// The confirmation itself, shown while a change waits.
#[component]
pub fn ConfirmGateDialog(gate: ConfirmGate) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let confirm = browser_action(move |(): &()| async move {
        match confirm_with_passkey().await {
            Ok(()) => {
                if let Some(retry) = gate.waiting.get_untracked() {
                    gate.waiting.set(None);
                    retry.run(());
                }
            }
            Err(problem) => error.set(Some(problem.to_string())),
        }
    });
    view! {
        <Show when=move || gate.waiting.with(Option::is_some)>
            <ConfirmDialog
                id="confirm-gate".to_owned()
                title="Confirm it's you".to_owned()
                confirm_label="Confirm with passkey"
                role="dialog"
                on_confirm=Callback::new(move |()| {
                    error.set(None);
                    confirm.dispatch(());
                })
                on_cancel=Callback::new(move |()| {
                    error.set(None);
                    gate.waiting.set(None);
                })
            >
                <p>
                    "For your security, this change needs a recent sign-in. Use one of your passkeys to continue."
                </p>
                <p class="muted" role="status">
                    {move || confirm.pending().get().then_some("Waiting for your passkey…")}
                </p>
                {move || error.get().map(|text| view! { <p class="alert error" role="alert">{text}</p> })}
            </ConfirmDialog>
        </Show>
    }
}
