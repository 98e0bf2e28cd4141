//! The signed-in person's tailnets on the sign-in page: each opens, and each one joined after
//! the home tailnet (an organization's) offers "Leave tailnet".

use leptos::html;
use leptos::prelude::*;

use crate::auth::model::{SignedInUser, TailnetMembership};
use crate::tailnets::ui::leave_dialog::LeaveTailnetDialog;

#[component]
pub fn YourTailnets(person: SignedInUser) -> impl IntoView {
    let rows = person
        .tailnets
        .into_iter()
        .map(|membership| view! { <TailnetItem membership /> })
        .collect_view();
    view! {
        <section aria-labelledby="your-tailnets">
            <h2 id="your-tailnets">"Your tailnets"</h2>
            <ul class="tailnet-list">{rows}</ul>
        </section>
    }
}

#[component]
fn TailnetItem(membership: TailnetMembership) -> impl IntoView {
    let leaving = RwSignal::new(false);
    let trigger = NodeRef::<html::Button>::new();
    let name = membership.tailnet_name.clone();
    let leave = membership.can_leave().then(|| {
        view! {
            <button
                type="button"
                class="danger"
                node_ref=trigger
                aria-label=format!("Leave tailnet {name}")
                on:click=move |_| leaving.set(true)
            >
                "Leave tailnet"
            </button>
        }
    });
    let (tailnet, tailnet_name) = (
        membership.tailnet_id.clone(),
        membership.tailnet_name.clone(),
    );
    view! {
        <li>
            <span>
                <a href=membership.landing_path()>{membership.tailnet_name.clone()}</a>
                <span class="sub">
                    {membership.role.label()} " · " {membership.status.label()}
                    {membership.is_home.then_some(" · Home tailnet")}
                </span>
            </span>
            {leave}
            <Show when=move || leaving.get()>
                <LeaveTailnetDialog
                    tailnet=tailnet.clone()
                    tailnet_name=tailnet_name.clone()
                    on_cancel=Callback::new(move |()| {
                        leaving.set(false);
                        if let Some(button) = trigger.get_untracked() {
                            let _ = button.focus();
                        }
                    })
                />
            </Show>
        </li>
    }
}
