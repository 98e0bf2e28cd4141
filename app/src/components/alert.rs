//! Error and status messages that screen readers announce.

use leptos::prelude::*;

/// Shows `message` in an alert region while it is `Some`.
#[component]
pub fn ErrorAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="alert error" role="alert">
                {move || message.get().unwrap_or_default()}
            </p>
        </Show>
    }
}
