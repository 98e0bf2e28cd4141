//! `/login`: "Sign in with passkey".

use leptos::prelude::*;
use leptos_meta::Title;

use super::tailnet_list::YourTailnets;
use crate::auth::api::{finish_sign_in, start_sign_in};
use crate::components::alert::ErrorAlert;
use crate::components::passkey_button::PasskeyButton;
use crate::components::{load_page, use_current_user};
use crate::error::AppError;
use crate::passkeys::browser::use_passkey;

/// Signs in with a passkey the browser offers; returns where to go next.
pub async fn sign_in_with_passkey() -> Result<String, String> {
    let challenge = start_sign_in().await.map_err(|e| e.to_string())?;
    let credential = use_passkey(challenge.options)
        .await
        .map_err(|e| e.to_string())?;
    finish_sign_in(challenge.ceremony, credential)
        .await
        .map_err(|e: AppError| e.to_string())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let sign_in = Action::new_local(|(): &()| async move {
        let destination = sign_in_with_passkey().await?;
        load_page(&destination);
        Ok::<(), String>(())
    });
    let error = Signal::derive(move || sign_in.value().get().and_then(Result::err));
    let user = use_current_user();

    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in to Gatehouse"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let person = user.0.await.ok().flatten();
                    person.map(|person| {
                        view! {
                            <p class="notice">
                                "You are signed in as " {person.display_name.clone()} ". "
                                <a href=person.landing_path()>"Continue"</a>
                            </p>
                            <YourTailnets person />
                        }
                    })
                })}
            </Suspense>
            <p>"Use the passkey you created when you joined your tailnet."</p>
            <ErrorAlert message=error />
            <PasskeyButton
                label="Sign in with passkey"
                pending=sign_in.pending()
                primary=true
                on_click=Callback::new(move |()| {
                    sign_in.dispatch(());
                })
            />
            <noscript>
                <p class="alert error">"Passkeys need JavaScript. Please enable it for this site."</p>
            </noscript>
        </section>
    }
}
