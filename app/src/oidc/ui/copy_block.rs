//! A block of configuration text with a "Copy" button (the Headscale `oidc:` settings).

use leptos::prelude::*;

use crate::components::browser_only::browser_action;
use crate::components::clipboard::copy_to_clipboard;

#[component]
pub fn CopyBlock(
    /// Unique on the page: the ids of the heading and the status line derive from it.
    id: String,
    heading: &'static str,
    text: String,
) -> impl IntoView {
    let status = RwSignal::new(String::new());
    let for_copy = text.clone();
    let copy = browser_action(move |(): &()| {
        let text = for_copy.clone();
        async move {
            let said = if copy_to_clipboard(text).await {
                "Copied to the clipboard."
            } else {
                "The clipboard is not available here: select the text and copy it."
            };
            status.set(said.to_owned());
        }
    });
    let heading_id = format!("{id}-heading");
    let described_by = heading_id.clone();
    view! {
        <div class="copy-block">
            <h3 id=heading_id>{heading}</h3>
            <pre id=id tabindex="0" aria-labelledby=described_by.clone()>
                <code>{text}</code>
            </pre>
            <button
                type="button"
                aria-describedby=described_by
                on:click=move |_| {
                    copy.dispatch(());
                }
            >
                "Copy"
            </button>
            <p class="muted" role="status">{move || status.get()}</p>
        </div>
    }
}
