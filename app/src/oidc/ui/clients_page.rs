//! `/admin/:tailnet/oidc-clients`: "OIDC clients". Every admin role reads it; Owner, Admin
//! and Network admin add clients, regenerate secrets and delete clients (the server refuses
//! everyone else as well).

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use super::add_client_form::AddClientForm;
use super::client_row::{ClientRow, RowOutcome};
use super::revealed_secret::RevealedSecret;
use crate::components::access_problem::AccessProblem;
use crate::components::admin_nav::{AdminNav, AdminSection, tailnet_from_path};
use crate::components::alert::ErrorAlert;
use crate::components::server_resource::server_resource;
use crate::ids::TailnetId;
use crate::oidc::api::list_oidc_clients;
use crate::oidc::model::OidcClientsPage as PageData;
use crate::passkeys::ui::confirm_gate::{ConfirmGate, ConfirmGateDialog};

#[component]
pub fn OidcClientsPage() -> impl IntoView {
    let tailnet = tailnet_from_path();
    let gate = ConfirmGate::provide();
    let version = RwSignal::new(0_u32);
    let page = server_resource(
        move || (tailnet.get(), version.get()),
        |(tailnet, _)| list_oidc_clients(tailnet),
    );
    // Outside the list, so a refresh after a change keeps what it has to say.
    let outcome = RowOutcome {
        revealed: RwSignal::new(None),
        notice: RwSignal::new(None),
        failure: RwSignal::new(None),
        refresh: Callback::new(move |()| version.update(|v| *v += 1)),
    };
    view! {
        <Title text="OIDC clients" />
        <AdminNav tailnet current=AdminSection::OidcClients />
        <Transition fallback=|| view! { <p class="muted">"Loading OIDC clients…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(data) => {
                        Either::Left(view! { <ClientsConsole tailnet=tailnet.get_untracked() data outcome /> })
                    }
                    Err(error) => {
                        Either::Right(view! {
                            <AccessProblem error what="its OIDC clients" subject="OIDC clients" />
                        })
                    }
                }
            })}
        </Transition>
        <ConfirmGateDialog gate />
    }
}

#[component]
fn ClientsConsole(tailnet: TailnetId, data: PageData, outcome: RowOutcome) -> impl IntoView {
    let PageData {
        issuer,
        clients,
        manages,
    } = data;
    let revealed_issuer = issuer.clone();
    let empty = clients.is_empty();
    view! {
        <section class="card wide" aria-labelledby="oidc-clients-heading">
            <h1 id="oidc-clients-heading">"OIDC clients"</h1>
            <p class="muted">
                "Apps your members sign in to with their Gatehouse passkey, such as the tailnet's coordination server (Headscale). Only Active members whose role a client allows get in."
            </p>
            <dl class="facts">
                <dt>"Issuer URL"</dt>
                <dd>
                    <code id="issuer-url">{issuer.clone()}</code>
                </dd>
            </dl>
            <p class="notice-line" role="status">
                {move || outcome.notice.get().unwrap_or_default()}
            </p>
            <ErrorAlert message=outcome.failure />
            {move || {
                outcome
                    .revealed
                    .get()
                    .map(|revealed| {
                        view! {
                            <RevealedSecret
                                revealed
                                issuer=revealed_issuer.clone()
                                on_done=Callback::new(move |()| outcome.revealed.set(None))
                            />
                        }
                    })
            }}
            {manages
                .then(|| {
                    view! {
                        <AddClientForm
                            tailnet=tailnet.clone()
                            revealed=outcome.revealed
                            refresh=outcome.refresh
                        />
                    }
                })}
            {if empty {
                Either::Left(view! {
                    <p class="empty">
                        "No OIDC clients yet. Add one for your coordination server so members join the network with their passkey."
                    </p>
                })
            } else {
                Either::Right(view! {
                    <table class="clients">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Client ID"</th>
                                <th scope="col">"Callback URLs"</th>
                                <th scope="col">"Allowed roles"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {clients
                                .into_iter()
                                .map(|client| {
                                    view! {
                                        <ClientRow
                                            tailnet=tailnet.clone()
                                            client
                                            issuer=issuer.clone()
                                            manages
                                            outcome
                                        />
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                })
            }}
            {(!manages)
                .then(|| {
                    view! {
                        <p class="muted">
                            "Only an Owner, Admin or Network admin can add, change or delete clients."
                        </p>
                    }
                })}
        </section>
    }
}
