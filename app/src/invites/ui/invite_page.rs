//! `/invite/:token`: the public page an invite link opens. It names the tailnet, who invited
//! and the role, with "Accept invite". Someone not signed in then chooses "Create account with
//! passkey" or "Sign in with passkey". Every unusable link (unknown, expired, deleted, used)
//! gets the same page and status.

use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::auth::api::{current_user, sign_out};
use crate::auth::model::SignedInUser;
use crate::auth::ui::login_page::sign_in_with_passkey;
use crate::components::alert::ErrorAlert;
use crate::components::browser_only::browser_action;
use crate::components::passkey_button::PasskeyButton;
use crate::components::server_resource::server_resource;
use crate::components::{load_page, set_status, use_current_user};
use crate::error::AppError;
use crate::format::utc_date;
use crate::invites::api::{accept_invite, inspect_invite};
use crate::invites::model::{INVALID_INVITE_MESSAGE, InvitePreview};

use super::new_account_form::NewAccountForm;

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let invite = server_resource(move || token.get(), inspect_invite);
    let user = use_current_user();
    view! {
        <Title text="Invitation" />
        <Suspense fallback=|| view! { <p class="muted">"Checking your invite…"</p> }>
            {move || Suspend::new(async move {
                let preview = invite.await;
                let person = user.0.await.ok().flatten();
                match preview {
                    Ok(preview) => {
                        Either::Left(view! { <InviteCard preview person token=token.get_untracked() /> })
                    }
                    Err(error) => Either::Right(view! { <UnusableInvite error /> }),
                }
            })}
        </Suspense>
    }
}

/// The one page for every link that cannot be used; only a rate limit reads differently.
#[component]
fn UnusableInvite(error: AppError) -> impl IntoView {
    set_status(error.status_code());
    let (title, text) = match &error {
        AppError::RateLimited { .. } => ("Too many attempts", error.to_string()),
        _ => ("Invite not valid", INVALID_INVITE_MESSAGE.to_owned()),
    };
    view! {
        <section class="card narrow">
            <h1>{title}</h1>
            <p role="alert">{text}</p>
        </section>
    }
}

#[component]
fn InviteCard(
    preview: InvitePreview,
    person: Option<SignedInUser>,
    token: String,
) -> impl IntoView {
    let person = RwSignal::new(person);
    let choosing = RwSignal::new(false);
    let name_input = NodeRef::<html::Div>::new();

    let accept_token = token.clone();
    let accept = browser_action(move |(): &()| {
        let token = accept_token.clone();
        async move {
            let welcome = accept_invite(token).await?;
            load_page(&welcome);
            Ok::<(), AppError>(())
        }
    });
    // Signing in is one more step of accepting: once signed in, the invite is accepted.
    let sign_in = browser_action(move |(): &()| async move {
        sign_in_with_passkey()
            .await
            .map_err(AppError::SignInFailed)?;
        person.set(current_user().await.ok().flatten());
        accept.dispatch(());
        Ok::<(), AppError>(())
    });
    let sign_out_action = browser_action(|(): &()| async move {
        sign_out().await?;
        load_page(&current_path());
        Ok::<(), AppError>(())
    });

    let inviter = preview
        .inviter_name
        .clone()
        .unwrap_or_else(|| "An admin".to_owned());
    let accepting = accept.pending();
    let accept_error = Signal::derive(move || {
        accept
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| sign_out_action.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    });

    let choose = move || {
        choosing.set(true);
        request_animation_frame(move || {
            use leptos::wasm_bindgen::JsCast;
            let input = name_input
                .get_untracked()
                .and_then(|field| field.query_selector("input").ok().flatten())
                .and_then(|input| input.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            if let Some(input) = input {
                let _ = input.focus();
            }
        });
    };

    let invited_email = preview.email.clone();
    let email_code_required = preview.email_code_required;
    view! {
        <section class="card narrow" aria-labelledby="invite-heading">
            <h1 id="invite-heading">{format!("Join {}", preview.tailnet_name)}</h1>
            <p>
                {format!(
                    "{inviter} invited you to join the tailnet {} as {}.",
                    preview.tailnet_name,
                    preview.role.label(),
                )}
            </p>
            {preview
                .email
                .clone()
                .map(|email| view! { <p class="muted">{format!("This invite is for {email}.")}</p> })}
            <p class="muted">
                {format!(
                    "The invite works once and expires on {} (UTC).",
                    utc_date(preview.expires_at),
                )}
            </p>
            {move || match person.get() {
                Some(signed_in) => {
                    Either::Left(view! {
                        <p>
                            {format!(
                                "Signed in as {} ({}). ",
                                signed_in.display_name,
                                signed_in.email,
                            )}
                            <button
                                type="button"
                                class="link"
                                on:click=move |_| {
                                    sign_out_action.dispatch(());
                                }
                            >
                                "Not you? Sign out"
                            </button>
                        </p>
                        <ErrorAlert message=accept_error />
                        <button
                            type="button"
                            class="primary"
                            aria-busy=move || accepting.get().to_string()
                            disabled=move || accepting.get()
                            on:click=move |_| {
                                accept.dispatch(());
                            }
                        >
                            {move || if accepting.get() { "Joining…" } else { "Accept invite" }}
                        </button>
                    })
                }
                None => {
                    Either::Right(view! {
                        <button
                            type="button"
                            class="primary"
                            aria-expanded=move || choosing.get().to_string()
                            aria-controls="join-choices"
                            on:click=move |_| choose()
                        >
                            "Accept invite"
                        </button>
                    })
                }
            }}
            <div
                id="join-choices"
                class="join-choices"
                hidden=move || !choosing.get() || person.with(Option::is_some)
            >
                <NewAccountForm
                    token=token.clone()
                    invited_email=invited_email.clone()
                    email_code_required
                    name_field=name_input
                />
                <ExistingAccount sign_in />
            </div>
        </section>
    }
}

/// "Sign in with passkey" for people who already have an account on this server.
#[component]
fn ExistingAccount(sign_in: Action<(), Result<(), AppError>>) -> impl IntoView {
    let error = Signal::derive(move || {
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    view! {
        <section aria-labelledby="existing-account-heading">
            <h2 id="existing-account-heading">"Already have an account?"</h2>
            <p>"Sign in with the passkey of your account on this server, in any tailnet."</p>
            <ErrorAlert message=error />
            <PasskeyButton
                label="Sign in with passkey"
                pending=sign_in.pending()
                on_click=Callback::new(move |()| {
                    sign_in.dispatch(());
                })
            />
        </section>
    }
}

/// The page's own path, to come back to after signing out.
fn current_path() -> String {
    #[cfg(feature = "hydrate")]
    if let Some(path) = web_sys::window().and_then(|window| window.location().pathname().ok()) {
        return path;
    }
    "/".to_owned()
}
