//! One endpoint on the "Webhooks" page: where it posts, in which format, which events, and its
//! recent deliveries; "Test endpoint", "Rotate secret" and "Delete" (the last two ask first)
//! for those who manage webhooks. Also the signing secret shown once after "Add endpoint" or
//! "Rotate secret".

use leptos::html;
use leptos::prelude::*;

use super::deliveries::Deliveries;
use crate::components::clipboard::LinkField;
use crate::components::dialog::ConfirmDialog;
use crate::error::AppError;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::webhooks::api::{delete_webhook_endpoint, rotate_webhook_secret, test_webhook_endpoint};
use crate::webhooks::model::{EndpointSecret, EndpointWithDeliveries};

/// What the page says after an endpoint's action, and the secret it shows once.
#[derive(Clone, Copy)]
pub struct Outcome {
    pub revealed: RwSignal<Option<EndpointSecret>>,
    pub notice: RwSignal<Option<String>>,
    pub failure: RwSignal<Option<String>>,
    pub refresh: Callback<()>,
}

impl Outcome {
    pub fn report(self, result: Option<Result<String, AppError>>) {
        match result {
            Some(Ok(notice)) => {
                self.failure.set(None);
                self.notice.set(Some(notice));
                self.refresh.run(());
            }
            Some(Err(error)) => {
                self.notice.set(None);
                self.failure.set(Some(error.to_string()));
            }
            None => {}
        }
    }
}

/// The signing secret of an endpoint just added or rotated.
#[component]
pub fn RevealedSecret(revealed: EndpointSecret, on_done: Callback<()>) -> impl IntoView {
    view! {
        <section class="notice revealed" aria-labelledby="revealed-heading">
            <h2 id="revealed-heading">{format!("Signing secret for {}", revealed.endpoint.url)}</h2>
            <p>
                <strong>"Copy the secret now: Gatehouse shows it only once."</strong>
                " Your receiver checks each request's Tailscale-Webhook-Signature with it."
            </p>
            <LinkField
                id="webhook-secret"
                label="Signing secret"
                link=revealed.secret
                copied=false
                attempted=false
            />
            <button type="button" on:click=move |_| on_done.run(())>
                "Done"
            </button>
        </section>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asking {
    Rotate,
    Delete,
}

#[component]
pub fn EndpointCard(
    tailnet: TailnetId,
    entry: EndpointWithDeliveries,
    manages: bool,
    outcome: Outcome,
) -> impl IntoView {
    let EndpointWithDeliveries {
        endpoint,
        deliveries,
    } = entry;
    let asking = RwSignal::new(None::<Asking>);
    let rotate_button = NodeRef::<html::Button>::new();
    let delete_button = NodeRef::<html::Button>::new();
    let target = (tailnet.clone(), endpoint.id.clone());

    let test = {
        let target = target.clone();
        Action::new(move |(): &()| {
            let (tailnet, id) = target.clone();
            async move { test_webhook_endpoint(tailnet, id).await }
        })
    };
    let rotate = {
        let target = target.clone();
        Action::new(move |(): &()| {
            let (tailnet, id) = target.clone();
            async move { rotate_webhook_secret(tailnet, id).await }
        })
    };
    let delete = {
        let target = target.clone();
        Action::new(move |(): &()| {
            let (tailnet, id) = target.clone();
            async move { delete_webhook_endpoint(tailnet, id).await }
        })
    };
    let url = endpoint.url.clone();
    Effect::new({
        let url = url.clone();
        move || {
            outcome.report(test.value().get().map(|result| {
                result.map(|()| format!("Test event sent to {url}. Its delivery appears below."))
            }));
        }
    });
    Effect::new(move || {
        let result = rotate.value().get();
        if let Some(Ok(secret)) = &result {
            outcome.revealed.set(Some(secret.clone()));
        }
        outcome.report(result.map(|result| {
            result.map(|_| "Secret rotated: the old one no longer signs anything.".to_owned())
        }));
    });
    Effect::new({
        let url = url.clone();
        move || {
            outcome.report(
                delete
                    .value()
                    .get()
                    .map(|result| result.map(|()| format!("{url} deleted."))),
            );
        }
    });
    let close = move |button: NodeRef<html::Button>| {
        Callback::new(move |()| {
            asking.set(None);
            if let Some(button) = button.get_untracked() {
                let _ = button.focus();
            }
        })
    };
    let heading_id = format!("endpoint-{}", endpoint.id);
    let labelled_by = heading_id.clone();
    let events = endpoint
        .subscriptions
        .iter()
        .map(|event| event.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <article class="card inset endpoint" aria-labelledby=labelled_by>
            <h2 id=heading_id class="endpoint-url">
                {url.clone()}
            </h2>
            <dl class="facts">
                <dt>"Destination"</dt>
                <dd>{endpoint.provider.label()}</dd>
                <dt>"Events"</dt>
                <dd>{events}</dd>
                <dt>"Added"</dt>
                <dd>{format!("{} by {}", utc_date(endpoint.created_at), endpoint.created_by)}</dd>
            </dl>
            {manages
                .then(|| {
                    view! {
                        <div class="actions">
                            <button
                                type="button"
                                disabled=move || test.pending().get()
                                aria-busy=move || test.pending().get().to_string()
                                on:click=move |_| {
                                    test.dispatch(());
                                }
                            >
                                {move || if test.pending().get() { "Sending…" } else { "Test endpoint" }}
                            </button>
                            <button
                                type="button"
                                node_ref=rotate_button
                                disabled=move || rotate.pending().get()
                                on:click=move |_| asking.set(Some(Asking::Rotate))
                            >
                                "Rotate secret"
                            </button>
                            <button
                                type="button"
                                class="danger"
                                node_ref=delete_button
                                disabled=move || delete.pending().get()
                                on:click=move |_| asking.set(Some(Asking::Delete))
                            >
                                "Delete"
                            </button>
                        </div>
                    }
                })}
            <Deliveries tailnet deliveries manages outcome />
            <Show when=move || asking.get() == Some(Asking::Rotate)>
                <ConfirmDialog
                    id="rotate-webhook-secret".to_owned()
                    title=format!("Rotate the secret of {url}?")
                    confirm_label="Rotate secret"
                    on_confirm=Callback::new(move |()| {
                        asking.set(None);
                        rotate.dispatch(());
                    })
                    on_cancel=close(rotate_button)
                >
                    <p>
                        "Deliveries are signed with the new secret at once; a receiver that checks signatures refuses them until it has the new one."
                    </p>
                </ConfirmDialog>
            </Show>
            <Show when=move || asking.get() == Some(Asking::Delete)>
                <ConfirmDialog
                    id="delete-webhook".to_owned()
                    title=format!("Delete {}?", endpoint.url)
                    confirm_label="Delete"
                    danger=true
                    on_confirm=Callback::new(move |()| {
                        asking.set(None);
                        delete.dispatch(());
                    })
                    on_cancel=close(delete_button)
                >
                    <p>
                        "The endpoint receives nothing more, and its undelivered events are dropped. This cannot be undone."
                    </p>
                </ConfirmDialog>
            </Show>
        </article>
    }
}
