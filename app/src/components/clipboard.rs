//! Copying text to the clipboard, and the read-only field that shows a link for copying by hand
//! where the clipboard is unavailable.

use leptos::prelude::*;

use crate::components::browser_only::browser_action;

/// Writes `text` to the clipboard; false when the browser refused (no permission, insecure
/// page) or outside a browser.
pub async fn copy_to_clipboard(text: String) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let promise = window.navigator().clipboard().write_text(&text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// A link ("Invite link", "Recovery link"): a read-only field with the link and a "Copy" button.
#[component]
pub fn LinkField(
    /// The input's id, unique on the page.
    id: &'static str,
    #[prop(default = "Invite link")] label: &'static str,
    #[prop(into)] link: String,
    /// Whether the link already went to the clipboard when it was made.
    copied: bool,
    /// Whether copying was tried when it was made (false: nothing is said until "Copy").
    #[prop(default = true)]
    attempted: bool,
) -> impl IntoView {
    let status = RwSignal::new(match (copied, attempted) {
        (true, _) => "Copied to the clipboard.".to_owned(),
        (false, true) => {
            "The clipboard is not available here: select the link and copy it.".to_owned()
        }
        (false, false) => String::new(),
    });
    let for_copy = link.clone();
    let copy = browser_action(move |(): &()| {
        let link = for_copy.clone();
        async move {
            let text = if copy_to_clipboard(link).await {
                "Copied to the clipboard."
            } else {
                "The clipboard is not available here: select the link and copy it."
            };
            status.set(text.to_owned());
        }
    });
    view! {
        <div class="field link-field">
            <label for=id>{label}</label>
            <div class="inline">
                <input
                    id=id
                    type="text"
                    readonly
                    prop:value=link
                    on:focus=move |event| {
                        use leptos::wasm_bindgen::JsCast;
                        if let Some(input) = event
                            .target()
                            .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
                        {
                            input.select();
                        }
                    }
                />
                <button type="button" on:click=move |_| {
                    copy.dispatch(());
                }>"Copy"</button>
            </div>
            <p class="muted" role="status">{move || status.get()}</p>
        </div>
    }
}
