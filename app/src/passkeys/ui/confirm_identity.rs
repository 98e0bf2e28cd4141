//! "Confirm it's you": adding or deleting a passkey needs a recent passkey sign-in (five
//! minutes unless `GATEHOUSE_RECENT_SIGN_IN` says otherwise). When the server asks for one,
//! this dialog has the person use one of their passkeys and then tries the change again.

use leptos::prelude::*;

use super::account_page::AccountPageState;
use crate::components::dialog::ConfirmDialog;
use crate::error::AppError;
use crate::ids::PasskeyId;
use crate::passkeys::api::{
    delete_passkey, finish_add_passkey, finish_verify_passkey, start_add_passkey,
    start_verify_passkey,
};
use crate::passkeys::browser::{create_passkey, use_passkey};

/// A change that needs a recent sign-in, kept so it can be tried again after confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// "Add passkey", with the name typed (empty: "Passkey N").
    Add(String),
    /// "Delete" the passkey with this id and name.
    Delete(PasskeyId, String),
}

impl Retry {
    /// Makes the change; the answer is what the page announces.
    pub async fn run(self) -> Result<String, AppError> {
        match self {
            Retry::Add(name) => {
                let challenge = start_add_passkey().await?;
                let credential = create_passkey(challenge.options)
                    .await
                    .map_err(|e| AppError::validation("passkey", e.to_string()))?;
                finish_add_passkey(challenge.ceremony, credential, name).await?;
                Ok("Passkey added. You can sign in with it now.".to_owned())
            }
            Retry::Delete(passkey, name) => {
                delete_passkey(passkey).await?;
                Ok(format!(
                    "Passkey “{name}” deleted. It can no longer sign in."
                ))
            }
        }
    }
}

/// Proves it's the signed-in person with one of their passkeys.
pub(crate) async fn confirm_with_passkey() -> Result<(), AppError> {
    let challenge = start_verify_passkey().await?;
    let credential = use_passkey(challenge.options)
        .await
        .map_err(|e| AppError::SignInFailed(e.to_string()))?;
    finish_verify_passkey(challenge.ceremony, credential).await
}

#[component]
pub fn ConfirmIdentityDialog(page: AccountPageState) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let confirm = Action::new_local(move |(): &()| async move {
        match confirm_with_passkey().await {
            Ok(()) => {
                if let Some(retry) = page.confirming.get_untracked() {
                    page.confirming.set(None);
                    let result = retry.clone().run().await;
                    page.finish(result, Some(retry));
                }
            }
            Err(problem) => error.set(Some(problem.to_string())),
        }
    });
    view! {
        <ConfirmDialog
            id="confirm-identity".to_owned()
            title="Confirm it's you".to_owned()
            confirm_label="Confirm with passkey"
            role="dialog"
            on_confirm=Callback::new(move |()| {
                error.set(None);
                confirm.dispatch(());
            })
            on_cancel=Callback::new(move |()| page.confirming.set(None))
        >
            <p>
                "For your security, adding or deleting a passkey needs a recent sign-in. Use one of your passkeys to continue."
            </p>
            <p class="muted" role="status">
                {move || confirm.pending().get().then_some("Waiting for your passkey…")}
            </p>
            {move || error.get().map(|text| view! { <p class="alert error" role="alert">{text}</p> })}
        </ConfirmDialog>
    }
}
