//! A row's menu button ("Actions for …") and its items. Focus goes to the first item when it
//! opens, Escape closes it and returns focus to the button, and it closes when focus leaves.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

/// One entry of a row menu.
#[derive(Clone)]
pub struct MenuItem {
    pub label: &'static str,
    pub danger: bool,
    pub on_select: Callback<()>,
}

impl MenuItem {
    pub fn new(label: &'static str, on_select: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            label,
            danger: false,
            on_select: Callback::new(move |()| on_select()),
        }
    }

    pub fn danger(mut self) -> Self {
        self.danger = true;
        self
    }
}

/// Returns focus to a menu's button, as after a dialog it opened closes.
pub fn focus_button(trigger: NodeRef<html::Button>) {
    if let Some(button) = trigger.get_untracked() {
        let _ = button.focus();
    }
}

#[component]
pub fn RowMenu(
    /// Names the button and the menu: "Actions for grace@example.com".
    label: String,
    /// Unique on the page.
    id: String,
    items: Vec<MenuItem>,
    /// The menu's button, so a dialog opened from the menu can return focus to it.
    trigger: NodeRef<html::Button>,
    #[prop(into)] busy: Signal<bool>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let menu = NodeRef::<html::Div>::new();
    let container = NodeRef::<html::Div>::new();

    let focus_first_item = move || {
        request_animation_frame(move || {
            use leptos::wasm_bindgen::JsCast;
            let first = menu
                .get_untracked()
                .and_then(|menu| menu.query_selector("[role=menuitem]").ok().flatten())
                .and_then(|item| item.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            if let Some(item) = first {
                let _ = item.focus();
            }
        });
    };
    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Escape" && open.get_untracked() {
            open.set(false);
            focus_button(trigger);
        }
    };
    let on_focusout = move |event: leptos::ev::FocusEvent| {
        use leptos::wasm_bindgen::JsCast;
        let inside = event
            .related_target()
            .and_then(|target| target.dyn_into::<leptos::web_sys::Node>().ok())
            .zip(container.get_untracked())
            .is_some_and(|(target, container)| container.contains(Some(&target)));
        if !inside {
            open.set(false);
        }
    };
    let items = items
        .into_iter()
        .map(|item| {
            let on_select = item.on_select;
            view! {
                <button
                    type="button"
                    role="menuitem"
                    class:danger=item.danger
                    on:click=move |_| {
                        open.set(false);
                        on_select.run(());
                    }
                >
                    {item.label}
                </button>
            }
        })
        .collect_view();

    view! {
        <div class="row-actions" node_ref=container on:keydown=on_keydown on:focusout=on_focusout>
            <button
                type="button"
                class="icon"
                node_ref=trigger
                aria-label=label.clone()
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=id.clone()
                aria-busy=move || busy.get().to_string()
                on:click=move |_| {
                    let opening = !open.get_untracked();
                    open.set(opening);
                    if opening {
                        focus_first_item();
                    }
                }
            >
                <span aria-hidden="true">"⋯"</span>
            </button>
            <div id=id node_ref=menu role="menu" aria-label=label hidden=move || !open.get()>
                {items}
            </div>
        </div>
    }
}
