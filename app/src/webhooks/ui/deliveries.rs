//! An endpoint's recent deliveries: when, which event, how it went (with the receiver's HTTP
//! status), how many attempts and when the next is due; "Retry" on a failed one.

use leptos::either::Either;
use leptos::prelude::*;

use super::endpoint_card::Outcome;
use crate::format::utc_minute;
use crate::ids::TailnetId;
use crate::webhooks::api::retry_webhook_delivery;
use crate::webhooks::model::{Delivery, DeliveryState};

#[component]
pub fn Deliveries(
    tailnet: TailnetId,
    deliveries: Vec<Delivery>,
    manages: bool,
    outcome: Outcome,
) -> impl IntoView {
    if deliveries.is_empty() {
        return Either::Left(view! {
            <p class="empty">"No deliveries yet. Use \"Test endpoint\" to send one."</p>
        });
    }
    let retry = Action::new(move |(tailnet, delivery): &(TailnetId, String)| {
        let (tailnet, delivery) = (tailnet.clone(), delivery.clone());
        async move { retry_webhook_delivery(tailnet, delivery).await }
    });
    Effect::new(move || {
        outcome.report(retry.value().get().map(|result| {
            result.map(|()| "Delivery queued again: it is tried within seconds.".to_owned())
        }));
    });
    Either::Right(view! {
        <div class="table-scroll">
            <table class="deliveries">
                <caption>"Recent deliveries"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"HTTP status"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Next attempt"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {deliveries
                        .into_iter()
                        .map(|delivery| {
                            let failed = delivery.state == DeliveryState::Failed;
                            let target = (tailnet.clone(), delivery.id.clone());
                            view! {
                                <tr>
                                    <td>{utc_minute(delivery.created_at)}</td>
                                    <td>
                                        <code>{delivery.event_type.clone()}</code>
                                    </td>
                                    <td>
                                        {delivery.state.label()}
                                        {delivery
                                            .last_error
                                            .clone()
                                            .map(|error| view! { <span class="sub">{error}</span> })}
                                    </td>
                                    <td>
                                        {delivery
                                            .last_status
                                            .map(|status| status.to_string())
                                            .unwrap_or_else(|| "–".to_owned())}
                                    </td>
                                    <td>{delivery.attempts}</td>
                                    <td>
                                        {delivery
                                            .next_attempt_at
                                            .map(utc_minute)
                                            .unwrap_or_else(|| "–".to_owned())}
                                    </td>
                                    <td class="row-actions">
                                        {(manages && failed)
                                            .then(|| {
                                                view! {
                                                    <button
                                                        type="button"
                                                        disabled=move || retry.pending().get()
                                                        on:click=move |_| {
                                                            retry.dispatch(target.clone());
                                                        }
                                                    >
                                                        "Retry"
                                                    </button>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    })
}
