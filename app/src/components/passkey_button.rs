//! The button that starts a passkey ceremony: busy and disabled while the browser waits for
//! the person's passkey, and saying so.

use leptos::prelude::*;

#[component]
pub fn PasskeyButton(
    label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    /// `submit` inside a form; otherwise `on_click` runs.
    #[prop(default = "button")]
    kind: &'static str,
    #[prop(optional)] primary: bool,
    #[prop(optional)] on_click: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <button
            type=kind
            class:primary=primary
            aria-busy=move || pending.get().to_string()
            disabled=move || pending.get()
            on:click=move |_| {
                if let Some(on_click) = on_click {
                    on_click.run(());
                }
            }
        >
            {move || if pending.get() { "Waiting for your passkey…" } else { label }}
        </button>
    }
}
