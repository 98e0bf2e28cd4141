//! The header's tailnet switcher (for people in more than one tailnet) and the account menu:
//! who is signed in, "Your tailnets", "Account" and "Sign out".

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use leptos_router::hooks::use_location;

use crate::auth::api::sign_out;
use crate::auth::model::TailnetMembership;
use crate::components::browser_only::browser_action;
use crate::components::hydrated::MarkHydrated;
use crate::components::{load_page, use_current_user};

#[component]
pub fn AccountMenu() -> impl IntoView {
    let user = use_current_user();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let person = user.0.await.ok().flatten();
                let menu = person
                    .map(|person| {
                        let switcher = (person.tailnets.len() > 1)
                            .then(|| view! { <TailnetSwitcher tailnets=person.tailnets.clone() /> });
                        view! {
                            {switcher}
                            <OpenableMenu display_name=person.display_name />
                        }
                    });
                view! {
                    {menu}
                    <MarkHydrated />
                }
            })}
        </Suspense>
    }
}

/// The tailnet the page is about, from its address (`/admin/<id>/…`, `/welcome/<id>`).
fn tailnet_in_path(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("admin" | "welcome"), Some(id)) if !id.is_empty() => Some(id),
        _ => None,
    }
}

/// "Tailnet": switches to another of the person's tailnets (its Users page for admin roles,
/// its welcome page otherwise). Every request names its tailnet, so switching is navigation.
#[component]
fn TailnetSwitcher(tailnets: Vec<TailnetMembership>) -> impl IntoView {
    let location = use_location();
    let current = move || tailnet_in_path(&location.pathname.get()).map(str::to_owned);
    let destinations: Vec<(String, String)> = tailnets
        .iter()
        .map(|m| (m.tailnet_id.to_string(), m.landing_path()))
        .collect();
    let on_change = move |event: leptos::ev::Event| {
        let chosen = event_target_value(&event);
        if let Some((_, path)) = destinations.iter().find(|(id, _)| *id == chosen) {
            load_page(path);
        }
    };
    view! {
        <div class="tailnet-switcher">
            <label for="tailnet-switcher">"Tailnet"</label>
            <select id="tailnet-switcher" on:change=on_change>
                <option value="" selected=move || current().is_none()>
                    "Choose a tailnet"
                </option>
                {tailnets
                    .into_iter()
                    .map(|m| {
                        let id = m.tailnet_id.to_string();
                        let value = id.clone();
                        view! {
                            <option value=value selected=move || current().as_deref() == Some(id.as_str())>
                                {m.tailnet_name}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
fn OpenableMenu(display_name: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let trigger = NodeRef::<html::Button>::new();
    let first_item = NodeRef::<html::A>::new();
    let sign_out_action = browser_action(|(): &()| async move {
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
            <div
                id="account-menu-items"
                role="menu"
                aria-label="Account"
                hidden=move || !open.get()
                on:click=move |_| open.set(false)
            >
                <a role="menuitem" href="/login" node_ref=first_item>
                    "Your tailnets"
                </a>
                <a role="menuitem" href=crate::passkeys::model::ACCOUNT_PATH>
                    "Account"
                </a>
                <button
                    type="button"
                    role="menuitem"
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
