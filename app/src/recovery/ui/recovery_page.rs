//! `/recover/:token`: the page a recovery link opens. It names the account and, with "Create a
//! new passkey", registers a passkey for it and signs in. Every unusable link (unknown, used,
//! replaced, expired) gets the same page and status.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::alert::ErrorAlert;
use crate::components::browser_only::browser_action;
use crate::components::passkey_button::PasskeyButton;
use crate::components::server_resource::server_resource;
use crate::components::{load_page, set_status};
use crate::error::AppError;
use crate::format::utc_minute;
use crate::passkeys::browser::create_passkey;
use crate::recovery::api::{finish_recovery, inspect_recovery_link, start_recovery};
use crate::recovery::model::{INVALID_RECOVERY_LINK_MESSAGE, RecoveryLinkPreview};

#[component]
pub fn RecoveryPage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let link = server_resource(move || token.get(), inspect_recovery_link);
    view! {
        <Title text="Recover your account" />
        <Suspense fallback=|| view! { <p class="muted">"Checking your recovery link…"</p> }>
            {move || Suspend::new(async move {
                match link.await {
                    Ok(preview) => {
                        Either::Left(view! { <RecoveryCard preview token=token.get_untracked() /> })
                    }
                    Err(error) => Either::Right(view! { <UnusableLink error /> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UnusableLink(error: AppError) -> impl IntoView {
    set_status(error.status_code());
    let (title, text) = match &error {
        AppError::RateLimited { .. } => ("Too many attempts", error.to_string()),
        _ => (
            "Recovery link not valid",
            INVALID_RECOVERY_LINK_MESSAGE.to_owned(),
        ),
    };
    view! {
        <section class="card narrow">
            <h1>{title}</h1>
            <p role="alert">{text}</p>
        </section>
    }
}

/// Registers the new passkey with the link; returns where to go.
async fn recover(token: String) -> Result<String, AppError> {
    let challenge = start_recovery(token).await?;
    let credential = create_passkey(challenge.options)
        .await
        .map_err(|e| AppError::validation("passkey", e.to_string()))?;
    finish_recovery(challenge.ceremony, credential).await
}

#[component]
fn RecoveryCard(preview: RecoveryLinkPreview, token: String) -> impl IntoView {
    let run = browser_action(move |(): &()| {
        let token = token.clone();
        async move {
            let destination = recover(token).await?;
            load_page(&destination);
            Ok::<(), AppError>(())
        }
    });
    let error = Signal::derive(move || {
        run.value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    view! {
        <section class="card narrow" aria-labelledby="recover-heading">
            <h1 id="recover-heading">"Recover your account"</h1>
            <p>
                {format!(
                    "This link lets {} ({}) create a new passkey and sign in.",
                    preview.display_name,
                    preview.email,
                )}
            </p>
            <p class="muted">
                {format!(
                    "It works once, until {}. Using it signs your account out everywhere else; your other passkeys stay until you delete them on your Account page.",
                    utc_minute(preview.expires_at),
                )}
            </p>
            <ErrorAlert message=error />
            <PasskeyButton
                label="Create a new passkey"
                pending=run.pending()
                primary=true
                on_click=Callback::new(move |()| {
                    run.dispatch(());
                })
            />
            <noscript>
                <p class="alert error">"Passkeys need JavaScript. Please enable it for this site."</p>
            </noscript>
        </section>
    }
}
