//! `/account` ("Account" in the account menu): the person's passkeys and their sessions.

use leptos::prelude::*;
use leptos_meta::Title;

use super::confirm_identity::{ConfirmIdentityDialog, Retry};
use super::passkey_list::PasskeyList;
use crate::auth::api::sign_out_everywhere;
use crate::components::access_problem::AccessProblem;
use crate::components::dialog::ConfirmDialog;
use crate::components::load_page;
use crate::error::AppError;
use crate::passkeys::api::get_account;
use crate::passkeys::model::AccountOverview;

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

/// What the page's parts share: reloading the account, announcing outcomes, and asking the
/// person to confirm it's them before a change is tried again.
#[derive(Clone, Copy)]
pub struct AccountPageState {
    pub reload: RwSignal<u32>,
    pub outcome: RwSignal<Option<Outcome>>,
    pub confirming: RwSignal<Option<Retry>>,
}

impl AccountPageState {
    pub fn refresh(self) {
        self.reload.update(|n| *n += 1);
    }

    /// Announces a change's result; a refusal for want of a recent sign-in asks the person to
    /// confirm it's them and then tries `retry` again.
    pub fn finish(self, result: Result<String, AppError>, retry: Option<Retry>) {
        match (result, retry) {
            (Ok(text), _) => {
                self.outcome.set(Some(Outcome::done(text)));
                self.refresh();
            }
            (Err(AppError::VerificationRequired), Some(retry)) => {
                self.outcome.set(None);
                self.confirming.set(Some(retry));
            }
            (Err(error), _) => self.outcome.set(Some(Outcome::failed(error.to_string()))),
        }
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let page = AccountPageState {
        reload: RwSignal::new(0),
        outcome: RwSignal::new(None),
        confirming: RwSignal::new(None),
    };
    let account = Resource::new(move || page.reload.get(), |_| get_account());
    view! {
        <Title text="Account" />
        <Transition fallback=|| view! { <p class="muted">"Loading your account…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(overview) => view! { <AccountDetails overview page /> }.into_any(),
                    Err(error) => {
                        view! { <AccessProblem error what="this page" subject="Your account" /> }
                            .into_any()
                    }
                }
            })}
        </Transition>
        <Show when=move || page.confirming.get().is_some()>
            <ConfirmIdentityDialog page />
        </Show>
    }
}

#[component]
fn AccountDetails(overview: AccountOverview, page: AccountPageState) -> AnyView {
    let outcome = move || {
        page.outcome.get().map(|outcome| {
            let role = if outcome.is_error { "alert" } else { "status" };
            let class = if outcome.is_error {
                "alert error"
            } else {
                "notice"
            };
            view! { <p class=class role=role>{outcome.text}</p> }
        })
    };
    view! {
        <section class="card account" aria-labelledby="account-heading">
            <h1 id="account-heading">"Account"</h1>
            <p>
                <strong>{overview.display_name.clone()}</strong>
                " · "
                {overview.email.clone()}
            </p>
            {outcome}
            <PasskeyList
                passkeys=overview.passkeys.clone()
                current=overview.current_passkey.clone()
                page
            />
            <SessionsSection sessions=overview.sessions />
        </section>
    }
    .into_any()
}

/// "Sign out everywhere": ends every session of the person, this one included.
#[component]
fn SessionsSection(sessions: i64) -> impl IntoView {
    let asking = RwSignal::new(false);
    let sign_out = Action::new_local(|(): &()| async move {
        sign_out_everywhere().await?;
        load_page("/login");
        Ok::<(), AppError>(())
    });
    let error = move || sign_out.value().get().and_then(Result::err);
    let places = if sessions == 1 {
        "You are signed in in one place: here.".to_owned()
    } else {
        format!("You are signed in in {sessions} places, this browser included.")
    };
    view! {
        <section aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <p>{places}</p>
            <button
                type="button"
                class="danger"
                aria-busy=move || sign_out.pending().get().to_string()
                disabled=move || sign_out.pending().get()
                on:click=move |_| asking.set(true)
            >
                "Sign out everywhere"
            </button>
            {move || error().map(|e| view! { <p class="alert error" role="alert">{e.to_string()}</p> })}
            <Show when=move || asking.get()>
                <ConfirmDialog
                    id="sign-out-everywhere".to_owned()
                    title="Sign out everywhere?".to_owned()
                    confirm_label="Sign out everywhere"
                    danger=true
                    on_confirm=Callback::new(move |()| {
                        asking.set(false);
                        sign_out.dispatch(());
                    })
                    on_cancel=Callback::new(move |()| asking.set(false))
                >
                    <p>
                        "Every browser and device signed in to your account is signed out, this one too. You sign in again with a passkey."
                    </p>
                </ConfirmDialog>
            </Show>
        </section>
    }
}
