//! "Create account with passkey" on the invite page. An emailed invite's address is fixed (the
//! link proves it). For a link invite on a server that sends email, the typed address is
//! proven first: "Email me a code", then the code, then the passkey.

use leptos::html;
use leptos::prelude::*;

use crate::components::alert::ErrorAlert;
use crate::components::browser_only::browser_action;
use crate::components::field::{FormFailure, TextField};
use crate::components::load_page;
use crate::components::passkey_button::PasskeyButton;
use crate::error::AppError;
use crate::invites::api::{finish_invite_sign_up, send_email_code, start_invite_sign_up};
use crate::invites::model::{EmailCodeAnswer, EmailCodeSent, InviteSignUpForm};
use crate::passkeys::browser::create_passkey;

/// The server checks the form, the invite (and the code), the browser creates the passkey, and
/// the server creates the account and accepts the invite at once.
async fn create_account_and_join(
    token: String,
    form: InviteSignUpForm,
    code: Option<EmailCodeAnswer>,
) -> Result<String, AppError> {
    let challenge = start_invite_sign_up(token, form, code).await?;
    let credential = create_passkey(challenge.options)
        .await
        .map_err(|e| AppError::validation("passkey", e.to_string()))?;
    finish_invite_sign_up(challenge.ceremony, credential).await
}

#[component]
pub fn NewAccountForm(
    token: String,
    /// An email invite's address: shown, fixed, and the account's.
    invited_email: Option<String>,
    /// The typed address needs a code before the passkey.
    email_code_required: bool,
    /// Wraps the "Your name" field, which takes focus when the choices open.
    name_field: NodeRef<html::Div>,
) -> impl IntoView {
    let display_name = RwSignal::new(String::new());
    let fixed_email = invited_email.is_some();
    let email = RwSignal::new(invited_email.unwrap_or_default());
    let code = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<EmailCodeSent>);
    // A code belongs to the address it went to: another address needs its own.
    Effect::new(move || {
        // Addresses are ASCII, lower-cased as `EmailAddress` does.
        let typed = email.get().trim().to_ascii_lowercase();
        if sent.with_untracked(|sent| sent.as_ref().is_some_and(|s| s.email != typed)) {
            sent.set(None);
        }
    });
    let submit = browser_action(move |form: &InviteSignUpForm| {
        let (token, form) = (token.clone(), form.clone());
        let waiting = sent.get_untracked();
        let typed_code = code.get_untracked();
        async move {
            match (email_code_required, waiting) {
                (true, None) => {
                    sent.set(Some(send_email_code(token, form).await?));
                    code.set(String::new());
                }
                (_, waiting) => {
                    let answer = waiting.map(|sent| EmailCodeAnswer {
                        code_id: sent.code_id,
                        code: typed_code,
                    });
                    let welcome = create_account_and_join(token, form, answer).await?;
                    load_page(&welcome);
                }
            }
            Ok::<(), AppError>(())
        }
    });
    let failure = FormFailure::of(submit);
    let form = move || InviteSignUpForm {
        display_name: display_name.get_untracked(),
        email: email.get_untracked(),
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        submit.dispatch(form());
    };
    let needs_code = move || email_code_required && sent.with(Option::is_none);
    view! {
        <section aria-labelledby="new-account-heading">
            <h2 id="new-account-heading">"New to Gatehouse?"</h2>
            <p>"Your device keeps the passkey; there is no password to remember."</p>
            <form on:submit=on_submit novalidate>
                <div node_ref=name_field>
                    <TextField
                        label="Your name"
                        id="display_name"
                        value=display_name
                        error=failure.field("display_name")
                        autocomplete="name"
                    />
                </div>
                <TextField
                    label="Email"
                    id="email"
                    value=email
                    error=failure.field("email")
                    autocomplete="email"
                    input_type="email"
                    readonly=fixed_email
                />
                {move || {
                    sent.get()
                        .map(|waiting| {
                            view! {
                                <p class="muted" role="status">
                                    {format!(
                                        "We emailed a code to {}. Enter it here; it works once, for 15 minutes.",
                                        waiting.email,
                                    )}
                                </p>
                                <TextField
                                    label="Code"
                                    id="email_code"
                                    value=code
                                    error=failure.field("code")
                                    autocomplete="one-time-code"
                                />
                                <button
                                    type="button"
                                    class="link"
                                    on:click=move |_| {
                                        sent.set(None);
                                        submit.dispatch(form());
                                    }
                                >
                                    "Send a new code"
                                </button>
                            }
                        })
                }}
                <ErrorAlert message=failure.summary() />
                <Show
                    when=needs_code
                    fallback=move || {
                        view! {
                            <PasskeyButton
                                label="Create account with passkey"
                                pending=submit.pending()
                                kind="submit"
                                primary=true
                            />
                        }
                    }
                >
                    <button
                        type="submit"
                        class="primary"
                        aria-busy=move || submit.pending().get().to_string()
                        disabled=move || submit.pending().get()
                    >
                        {move || if submit.pending().get() { "Sending…" } else { "Email me a code" }}
                    </button>
                </Show>
            </form>
        </section>
    }
}
