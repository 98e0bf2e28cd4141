//! The start page: a signed-in person's tailnets, or the way to sign in.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use super::join_network::JoinSteps;
use super::use_current_user;
use crate::auth::model::users_path;
use crate::components::server_resource::server_resource;
use crate::invites::api::client_download_url;
use crate::invites::model::welcome_path;
use crate::roles::{MemberStatus, Permission};

#[component]
pub fn HomePage() -> impl IntoView {
    let user = use_current_user();
    let download = server_resource(|| (), |()| client_download_url());
    view! {
        <Title text="Your tailnets" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let person = user.0.await.ok().flatten();
                let download_url = download.await.unwrap_or_default();
                match person {
                    None => Either::Left(view! { <Redirect path="/login" /> }),
                    Some(person) => {
                        let joinable: Vec<(String, String)> = person
                            .tailnets
                            .iter()
                            .filter(|m| m.status == MemberStatus::Active)
                            .filter_map(|m| {
                                m.coordination_server_url
                                    .clone()
                                    .map(|url| (m.tailnet_name.clone(), url))
                            })
                            .collect();
                        let connect = if joinable.is_empty() {
                            Either::Left(view! {
                                <p>
                                    "Install the client on each device, then sign in to join your tailnet. "
                                    <a href=download_url rel="noopener noreferrer">
                                        "Download the client"
                                    </a>
                                </p>
                            })
                        } else {
                            Either::Right(joinable
                                .into_iter()
                                .map(|(name, url)| {
                                    view! {
                                        <h3>{name}</h3>
                                        <ol class="steps">
                                            <JoinSteps
                                                coordination_server_url=url
                                                client_download_url=download_url.clone()
                                            />
                                        </ol>
                                    }
                                })
                                .collect_view())
                        };
                        let rows = person
                            .tailnets
                            .into_iter()
                            .map(|m| {
                                let admin = m.status == MemberStatus::Active
                                    && m.role.can(Permission::ViewMembers);
                                let href = users_path(&m.tailnet_id);
                                let waiting = m.status == MemberStatus::NeedsApproval;
                                let waiting_href = welcome_path(&m.tailnet_id);
                                view! {
                                    <li>
                                        <strong>{m.tailnet_name}</strong>
                                        " · "
                                        {m.role.label()}
                                        " · "
                                        {m.status.label()}
                                        {admin.then(|| view! { " · " <a href=href>"Users"</a> })}
                                        {waiting
                                            .then(|| {
                                                view! {
                                                    " · "
                                                    <a href=waiting_href>"Waiting for approval"</a>
                                                }
                                            })}
                                    </li>
                                }
                            })
                            .collect_view();
                        Either::Right(view! {
                            <section class="card">
                                <h1>"Your tailnets"</h1>
                                <p>"Signed in as " {person.display_name} " (" {person.email} ")."</p>
                                <ul class="tailnets">{rows}</ul>
                                <h2>"Connect your devices"</h2>
                                {connect}
                            </section>
                        })
                    }
                }
            })}
        </Suspense>
    }
}
