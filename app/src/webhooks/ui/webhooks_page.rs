//! `/admin/:tailnet/webhooks`: "Webhooks". Every admin role reads it; Owner, Admin, IT admin
//! and Network admin add endpoints, test them, rotate secrets, delete them and retry failed
//! deliveries (the server refuses everyone else as well). While a delivery is pending the page
//! looks again every two seconds, so a test's result appears without reloading.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use super::add_endpoint_form::AddEndpointForm;
use super::endpoint_card::{EndpointCard, Outcome, RevealedSecret};
use crate::components::access_problem::AccessProblem;
use crate::components::admin_nav::{AdminNav, AdminSection, tailnet_from_path};
use crate::components::alert::ErrorAlert;
use crate::components::server_resource::server_resource;
use crate::ids::TailnetId;
use crate::webhooks::api::list_webhooks;
use crate::webhooks::model::{DeliveryState, SIGNATURE_TOLERANCE_SECS, WebhooksPage as PageData};

/// How often the page looks again while a delivery is pending.
const PENDING_REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let tailnet = tailnet_from_path();
    let version = RwSignal::new(0_u32);
    let page = server_resource(
        move || (tailnet.get(), version.get()),
        |(tailnet, _)| list_webhooks(tailnet),
    );
    // Outside the list, so a refresh after a change keeps what it has to say.
    let outcome = Outcome {
        revealed: RwSignal::new(None),
        notice: RwSignal::new(None),
        failure: RwSignal::new(None),
        refresh: Callback::new(move |()| version.update(|v| *v += 1)),
    };
    Effect::new(move || {
        let pending = page.get().is_some_and(|data| {
            data.is_ok_and(|data| {
                data.endpoints.iter().any(|endpoint| {
                    endpoint
                        .deliveries
                        .iter()
                        .any(|delivery| delivery.state == DeliveryState::Pending)
                })
            })
        });
        if pending {
            set_timeout(move || outcome.refresh.run(()), PENDING_REFRESH);
        }
    });
    view! {
        <Title text="Webhooks" />
        <AdminNav tailnet current=AdminSection::Webhooks />
        <Transition fallback=|| view! { <p class="muted">"Loading webhooks…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(data) => {
                        Either::Left(view! { <WebhooksConsole tailnet=tailnet.get_untracked() data outcome /> })
                    }
                    Err(error) => {
                        Either::Right(view! { <AccessProblem error what="its webhooks" subject="webhooks" /> })
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn WebhooksConsole(tailnet: TailnetId, data: PageData, outcome: Outcome) -> impl IntoView {
    let PageData { endpoints, manages } = data;
    let empty = endpoints.is_empty();
    view! {
        <section class="card wide" aria-labelledby="webhooks-heading">
            <h1 id="webhooks-heading">"Webhooks"</h1>
            <p class="muted">
                {format!(
                    "Endpoints receive a signed POST within seconds of the events they subscribe to, in Tailscale's webhook format or as a Slack, Mattermost, Google Chat or Discord message. Each request carries a Tailscale-Webhook-Signature header; receivers should refuse signatures more than {} minutes old. Undelivered events are retried for a day.",
                    SIGNATURE_TOLERANCE_SECS / 60,
                )}
            </p>
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
                                on_done=Callback::new(move |()| outcome.revealed.set(None))
                            />
                        }
                    })
            }}
            {manages
                .then(|| {
                    view! {
                        <AddEndpointForm
                            tailnet=tailnet.clone()
                            revealed=outcome.revealed
                            refresh=outcome.refresh
                        />
                    }
                })}
            {if empty {
                Either::Left(view! {
                    <p class="empty">
                        "No webhook endpoints yet. Add one to hear within seconds when someone needs approval."
                    </p>
                })
            } else {
                Either::Right(endpoints
                    .into_iter()
                    .map(|entry| {
                        view! { <EndpointCard tailnet=tailnet.clone() entry manages outcome /> }
                    })
                    .collect_view())
            }}
            {(!manages)
                .then(|| {
                    view! {
                        <p class="muted">
                            "Only an Owner, Admin, IT admin or Network admin can add, test or delete endpoints."
                        </p>
                    }
                })}
        </section>
    }
}
