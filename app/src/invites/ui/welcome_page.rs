//! `/welcome/:tailnet`: where accepting an invite leads. Next steps ("Download the client", a
//! link into the tailnet), or, while an admin has not approved the person yet, a page that
//! says so and notices the approval by itself.

use std::time::Duration;

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::join_network::JoinSteps;
use crate::components::server_resource::server_resource;
use crate::components::set_status;
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::invites::api::get_welcome;
use crate::invites::model::Welcome;
use crate::roles::MemberStatus;

/// How often the waiting page asks whether an admin has approved the person.
const APPROVAL_CHECK_INTERVAL: Duration = Duration::from_secs(10);

#[component]
pub fn WelcomePage() -> impl IntoView {
    let params = use_params_map();
    let tailnet =
        Memo::new(move |_| TailnetId::from_raw(params.read().get("tailnet").unwrap_or_default()));
    let welcome = server_resource(move || tailnet.get(), get_welcome);
    let check_again = Callback::new(move |()| welcome.refetch());
    view! {
        <Title text="Welcome" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match welcome.await {
                    Ok(welcome) if welcome.status == MemberStatus::NeedsApproval => {
                        EitherOf3::A(view! { <WaitingForApproval welcome check_again /> })
                    }
                    Ok(welcome) => EitherOf3::B(view! { <NextSteps welcome /> }),
                    Err(error) => EitherOf3::C(view! { <NoWelcome error /> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn NextSteps(welcome: Welcome) -> impl IntoView {
    let steps = match welcome.coordination_server_url.clone() {
        Some(coordination_server_url) => Either::Left(view! {
            <JoinSteps
                coordination_server_url
                client_download_url=welcome.client_download_url.clone()
            />
        }),
        None => Either::Right(view! {
            <li>
                <a href=welcome.client_download_url.clone() rel="noopener noreferrer">
                    "Download the client"
                </a>
                " and install it on each device you want in the tailnet."
            </li>
            <li>"Sign in to the client with the passkey you just used."</li>
        }),
    };
    view! {
        <section class="card narrow" aria-labelledby="welcome-heading">
            <h1 id="welcome-heading">{format!("Welcome to {}", welcome.tailnet_name)}</h1>
            <p>{format!("You joined as {}.", welcome.role.label())}</p>
            <h2>"Next steps"</h2>
            <ol class="steps">
                {steps}
                <li>
                    <a href=welcome.tailnet_path>{format!("Open {}", welcome.tailnet_name)}</a>
                    " to see your tailnet."
                </li>
            </ol>
        </section>
    }
}

#[component]
fn WaitingForApproval(welcome: Welcome, check_again: Callback<()>) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    if let Ok(handle) =
        set_interval_with_handle(move || check_again.run(()), APPROVAL_CHECK_INTERVAL)
    {
        on_cleanup(move || handle.clear());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = APPROVAL_CHECK_INTERVAL;
    view! {
        <section class="card narrow" aria-labelledby="waiting-heading">
            <h1 id="waiting-heading">"Waiting for approval"</h1>
            <p role="status">
                {format!(
                    "An admin of {} must approve you before you can use the tailnet. This page \
                     changes by itself once they do; you can also close it and come back.",
                    welcome.tailnet_name,
                )}
            </p>
            <p>
                "Meanwhile you can "
                <a href=welcome.client_download_url rel="noopener noreferrer">
                    "Download the client"
                </a>
                "."
            </p>
            <button type="button" on:click=move |_| check_again.run(())>
                "Check again"
            </button>
        </section>
    }
}

#[component]
fn NoWelcome(error: AppError) -> impl IntoView {
    set_status(error.status_code());
    let sign_in = matches!(error, AppError::Unauthenticated);
    let text = match &error {
        AppError::Forbidden => "You are not a member of this tailnet.".to_owned(),
        other => other.to_string(),
    };
    view! {
        <section class="card narrow">
            <h1>"Welcome"</h1>
            <p role="alert">{text}</p>
            {sign_in.then(|| view! { <a class="button primary" href="/login">"Sign in"</a> })}
        </section>
    }
}
