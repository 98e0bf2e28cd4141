//! `/account` ("Account" in the account menu): the person's passkeys, their notifications and
//! their sessions.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use super::account_state::AccountPageState;
use super::confirm_gate::{ConfirmGate, ConfirmGateDialog};
use super::passkey_list::PasskeyList;
use crate::auth::api::sign_out_everywhere;
use crate::components::access_problem::AccessProblem;
use crate::components::browser_only::browser_action;
use crate::components::dialog::ConfirmDialog;
use crate::components::load_page;
use crate::components::server_resource::server_resource;
use crate::error::AppError;
use crate::members::ui::approval_email_setting::ApprovalEmailSetting;
use crate::passkeys::api::get_account;
use crate::passkeys::model::AccountOverview;

#[component]
pub fn AccountPage() -> impl IntoView {
    let page = AccountPageState::new();
    let gate = ConfirmGate::provide();
    let account = server_resource(move || page.reload.get(), |_| get_account());
    view! {
        <Title text="Account" />
        <Transition fallback=|| view! { <p class="muted">"Loading your account…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(overview) => Either::Left(view! { <AccountDetails overview page /> }),
                    Err(error) => {
                        Either::Right(view! { <AccessProblem error what="this page" subject="Your account" /> })
                    }
                }
            })}
        </Transition>
        <ConfirmGateDialog gate />
    }
}

#[component]
fn AccountDetails(overview: AccountOverview, page: AccountPageState) -> impl IntoView {
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
            {overview.approval_emails.map(|on| view! { <ApprovalEmailSetting on /> })}
            <SessionsSection sessions=overview.sessions />
        </section>
    }
}

/// "Sign out everywhere": ends every session of the person, this one included.
#[component]
fn SessionsSection(sessions: i64) -> impl IntoView {
    let asking = RwSignal::new(false);
    let sign_out = browser_action(|(): &()| async move {
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
