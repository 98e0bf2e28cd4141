//! `/setup/:token`: the first Owner names the tailnet, gives their name and email, and
//! creates their passkey.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::alert::ErrorAlert;
use crate::components::browser_only::browser_action;
use crate::components::field::{FormFailure, TextField};
use crate::components::load_page;
use crate::components::passkey_button::PasskeyButton;
use crate::components::server_resource::server_resource;
use crate::error::AppError;
use crate::passkeys::browser::create_passkey;
use crate::setup::api::{finish_setup, get_setup_link, start_setup};
use crate::setup::model::{SetupForm, SetupLinkInfo};
use crate::tailnets::model::TailnetKind;

async fn register_owner(token: String, form: SetupForm) -> Result<String, AppError> {
    let challenge = start_setup(token, form).await?;
    let credential = create_passkey(challenge.options)
        .await
        .map_err(|e| AppError::validation("passkey", e.to_string()))?;
    finish_setup(challenge.ceremony, credential).await
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let link = server_resource(token, get_setup_link);

    view! {
        <Title text="Set up your tailnet" />
        <Suspense fallback=|| view! { <p class="muted">"Checking your setup link…"</p> }>
            {move || Suspend::new(async move {
                match link.await {
                    Ok(info) => Either::Left(view! { <SetupForm info token=token() /> }),
                    Err(error) => Either::Right(view! {
                        <section class="card narrow">
                            <h1>"This setup link can't be used"</h1>
                            <p role="alert">{error.to_string()}</p>
                        </section>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SetupForm(info: SetupLinkInfo, token: String) -> impl IntoView {
    let tailnet_name = RwSignal::new(info.tailnet_name.unwrap_or_default());
    let kind = RwSignal::new(info.kind);
    let display_name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());

    let submit = browser_action(move |form: &SetupForm| {
        let (token, form) = (token.clone(), form.clone());
        async move {
            let destination = register_owner(token, form).await?;
            load_page(&destination);
            Ok::<(), AppError>(())
        }
    });
    let failure = FormFailure::of(submit);

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        submit.dispatch(SetupForm {
            tailnet_name: tailnet_name.get_untracked(),
            kind: kind.get_untracked(),
            display_name: display_name.get_untracked(),
            email: email.get_untracked(),
        });
    };

    view! {
        <section class="card narrow">
            <h1>"Set up your tailnet"</h1>
            <p>
                "You will be the tailnet's Owner. Gatehouse signs you in with a passkey: "
                "your device keeps it, and there is no password to remember."
            </p>
            <form on:submit=on_submit novalidate>
                <TextField label="Tailnet name" id="tailnet_name" value=tailnet_name error=failure.field("tailnet_name") autocomplete="organization" />
                <fieldset class="choices">
                    <legend>"Tailnet kind"</legend>
                    {TailnetKind::ALL
                        .into_iter()
                        .map(|choice| {
                            let hint = match choice {
                                TailnetKind::Organization => "For a team. People who join it from their own tailnet can leave it again.",
                                TailnetKind::Personal => "For you and people you share with.",
                            };
                            view! {
                                <label class="choice">
                                    <input
                                        type="radio"
                                        name="kind"
                                        value=choice.as_str()
                                        prop:checked=move || kind.get() == choice
                                        on:change=move |_| kind.set(choice)
                                    />
                                    <span>
                                        <strong>{choice.label()}</strong>
                                        <span class="sub">{hint}</span>
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <TextField label="Your name" id="display_name" value=display_name error=failure.field("display_name") autocomplete="name" />
                <TextField label="Email" id="email" value=email error=failure.field("email") autocomplete="email" input_type="email" />
                <ErrorAlert message=failure.summary() />
                <PasskeyButton
                    label="Create passkey and finish setup"
                    pending=submit.pending()
                    kind="submit"
                    primary=true
                />
            </form>
        </section>
    }
}
