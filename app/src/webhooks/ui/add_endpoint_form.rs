//! "Add endpoint": the URL, the destination format and the events. The server checks
//! everything again (including where the URL's host points); its field messages show beside
//! the fields.

use leptos::html;
use leptos::prelude::*;

use crate::components::alert::ErrorAlert;
use crate::components::field::{FormFailure, TextField};
use crate::ids::TailnetId;
use crate::webhooks::api::add_webhook_endpoint;
use crate::webhooks::model::{EndpointSecret, EventType, NewEndpoint, ProviderType};

/// Preselected: the event an approver most needs to hear about.
fn default_events() -> Vec<EventType> {
    vec![EventType::UserNeedsApproval]
}

#[component]
pub fn AddEndpointForm(
    tailnet: TailnetId,
    revealed: RwSignal<Option<EndpointSecret>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let url = RwSignal::new(String::new());
    let provider = RwSignal::new(ProviderType::Tailscale);
    let events = RwSignal::new(default_events());
    let opener = NodeRef::<html::Button>::new();

    let add = Action::new(move |endpoint: &NewEndpoint| {
        let endpoint = endpoint.clone();
        async move { add_webhook_endpoint(endpoint).await }
    });
    Effect::new(move || {
        if let Some(Ok(added)) = add.value().get() {
            revealed.set(Some(added));
            url.set(String::new());
            provider.set(ProviderType::Tailscale);
            events.set(default_events());
            open.set(false);
            refresh.run(());
        }
    });
    let failure = FormFailure::of(add);
    let field = move |name| failure.field(name);
    let events_error = field("subscriptions");
    let pending = add.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        add.dispatch(NewEndpoint {
            tailnet: tailnet.clone(),
            url: url.get_untracked(),
            provider: provider.get_untracked(),
            subscriptions: events.get_untracked(),
        });
    };

    view! {
        <button
            type="button"
            class="primary"
            id="add-webhook-endpoint"
            node_ref=opener
            aria-expanded=move || open.get().to_string()
            aria-controls="add-webhook-endpoint-form"
            on:click=move |_| open.update(|open| *open = !*open)
        >
            "Add endpoint"
        </button>
        <Show when=move || open.get()>
            <form
                id="add-webhook-endpoint-form"
                class="card inset"
                aria-label="Add endpoint"
                novalidate
                on:submit=submit.clone()
            >
                <TextField
                    label="Endpoint URL"
                    id="webhook-url"
                    value=url
                    error=field("url")
                    autocomplete="url"
                    input_type="url"
                />
                <div class="field">
                    <label for="webhook-provider">"Destination"</label>
                    <select
                        id="webhook-provider"
                        aria-describedby="webhook-provider-hint"
                        on:change=move |ev| {
                            if let Some(chosen) = ProviderType::parse(&event_target_value(&ev)) {
                                provider.set(chosen);
                            }
                        }
                    >
                        {ProviderType::ALL
                            .into_iter()
                            .map(|choice| {
                                view! {
                                    <option
                                        value=choice.as_str()
                                        selected=move || provider.get() == choice
                                    >
                                        {choice.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <p id="webhook-provider-hint" class="muted">
                        "Tailscale JSON for your own receiver; a chat service's format for its incoming-webhook URL."
                    </p>
                </div>
                <fieldset class="choices" aria-describedby="webhook-events-error">
                    <legend>"Events"</legend>
                    {EventType::ALL
                        .into_iter()
                        .map(|event| {
                            let hint = format!("webhook-event-{}-hint", event.as_str());
                            view! {
                                <label class="choice">
                                    <input
                                        type="checkbox"
                                        name="webhook-events"
                                        value=event.as_str()
                                        aria-describedby=hint.clone()
                                        prop:checked=move || events.get().contains(&event)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            events
                                                .update(|chosen| {
                                                    chosen.retain(|e| *e != event);
                                                    if on {
                                                        chosen.push(event);
                                                    }
                                                });
                                        }
                                    />
                                    <span>
                                        <strong>{event.as_str()}</strong>
                                        <span class="sub" id=hint>
                                            {event.description()}
                                        </span>
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                    <p class="field-error" id="webhook-events-error">
                        {move || events_error().unwrap_or_default()}
                    </p>
                </fieldset>
                <ErrorAlert message=failure.summary() />
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        disabled=move || pending.get()
                        aria-busy=move || pending.get().to_string()
                    >
                        {move || if pending.get() { "Adding…" } else { "Add endpoint" }}
                    </button>
                    <button
                        type="button"
                        on:click=move |_| {
                            open.set(false);
                            if let Some(button) = opener.get_untracked() {
                                let _ = button.focus();
                            }
                        }
                    >
                        "Cancel"
                    </button>
                </div>
            </form>
        </Show>
    }
}
