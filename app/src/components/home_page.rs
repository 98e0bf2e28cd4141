//! The start page: a signed-in person's tailnets, or the way to sign in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use super::use_current_user;
use crate::auth::model::users_path;
use crate::roles::{MemberStatus, Permission};

/// Where people get the client that connects their devices.
pub const CLIENT_DOWNLOAD_URL: &str = "https://tailscale.com/download";

#[component]
pub fn HomePage() -> impl IntoView {
    let user = use_current_user();
    view! {
        <Title text="Your tailnets" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let person = user.0.await.ok().flatten();
                match person {
                    None => view! { <Redirect path="/login" /> }.into_any(),
                    Some(person) => {
                        let rows = person
                            .tailnets
                            .into_iter()
                            .map(|m| {
                                let admin = m.status == MemberStatus::Active
                                    && m.role.can(Permission::ViewMembers);
                                let href = users_path(&m.tailnet_id);
                                view! {
                                    <li>
                                        <strong>{m.tailnet_name}</strong>
                                        " · "
                                        {m.role.label()}
                                        " · "
                                        {m.status.label()}
                                        {admin.then(|| view! { " · " <a href=href>"Users"</a> })}
                                    </li>
                                }
                            })
                            .collect_view();
                        view! {
                            <section class="card">
                                <h1>"Your tailnets"</h1>
                                <p>"Signed in as " {person.display_name} " (" {person.email} ")."</p>
                                <ul class="tailnets">{rows}</ul>
                                <h2>"Connect your devices"</h2>
                                <p>
                                    "Install the client on each device, then sign in to join your tailnet. "
                                    <a href=CLIENT_DOWNLOAD_URL rel="noopener noreferrer">"Download the client"</a>
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
