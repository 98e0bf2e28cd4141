//! The account menu in the header: who is signed in, and "Sign out".

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use crate::auth::api::sign_out;
use crate::components::{load_page, use_current_user};

#[component]
pub fn AccountMenu() -> impl IntoView {
    let user = use_current_user();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let person = user.0.await.ok().flatten();
                person.map(|person| view! { <OpenableMenu display_name=person.display_name /> })
            })}
        </Suspense>
    }
}

#[component]
fn OpenableMenu(display_name: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let trigger = NodeRef::<html::Button>::new();
    let first_item = NodeRef::<html::Button>::new();
    let sign_out_action = Action::new_local(|(): &()| async move {
        let result = sign_out().await;
        if result.is_ok() {
            load_page("/login");
        }
        result.map_err(|e| e.to_string())
    });
    let error = move || sign_out_action.value().get().and_then(Result::err);

    Effect::new(move || {
        if open.get()
            && let Some(button) = first_item.get()
        {
            let _ = button.focus();
        }
    });
    let close_on_escape = move |event: KeyboardEvent| {
        if event.key() == "Escape" && open.get_untracked() {
            open.set(false);
            // Keyboard users continue where they opened the menu.
            if let Some(button) = trigger.get_untracked() {
                let _ = button.focus();
            }
        }
    };

    view! {
        <div class="account-menu" on:keydown=close_on_escape>
            <span class="who">{display_name}</span>
            <button
                type="button"
                node_ref=trigger
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls="account-menu-items"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Account"
            </button>
            <div id="account-menu-items" role="menu" aria-label="Account" hidden=move || !open.get()>
                <button
                    type="button"
                    role="menuitem"
                    node_ref=first_item
                    disabled=move || sign_out_action.pending().get()
                    on:click=move |_| {
                        sign_out_action.dispatch(());
                    }
                >
                    "Sign out"
                </button>
            </div>
            {move || error().map(|message| view! { <p class="alert error" role="alert">{message}</p> })}
        </div>
    }
}
