//! One client in the "OIDC clients" table, with "Regenerate secret" and "Delete" (each asks
//! first) for those who manage clients, and its Headscale settings.

use leptos::html;
use leptos::prelude::*;

use super::copy_block::CopyBlock;
use super::revealed_secret::Revealed;
use crate::components::dialog::ConfirmDialog;
use crate::error::AppError;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::oidc::api::{delete_oidc_client, regenerate_oidc_client_secret};
use crate::oidc::model::{OidcClient, headscale_config};
use crate::passkeys::ui::confirm_gate::{confirmable_action, through_gate};
use crate::roles::Role;
use crate::tailnets::model::describe_roles;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asking {
    Regenerate,
    Delete,
}

/// What the page says after a row's action, and what it shows once.
#[derive(Clone, Copy)]
pub struct RowOutcome {
    pub revealed: RwSignal<Option<Revealed>>,
    pub notice: RwSignal<Option<String>>,
    pub failure: RwSignal<Option<String>>,
    pub refresh: Callback<()>,
}

fn roles_text(roles: &[Role]) -> String {
    if roles.is_empty() {
        "Every role".to_owned()
    } else {
        describe_roles(roles)
    }
}

#[component]
pub fn ClientRow(
    tailnet: TailnetId,
    client: OidcClient,
    issuer: String,
    manages: bool,
    outcome: RowOutcome,
) -> impl IntoView {
    let asking = RwSignal::new(None::<Asking>);
    let regenerate_button = NodeRef::<html::Button>::new();
    let delete_button = NodeRef::<html::Button>::new();
    let settings = headscale_config(&issuer, &client, None);

    let regenerate = {
        let (tailnet, client) = (tailnet.clone(), client.clone());
        confirmable_action(move |(): &(), retry| {
            let (tailnet, id) = (tailnet.clone(), client.id.clone());
            async move { through_gate(regenerate_oidc_client_secret(tailnet, id).await, retry) }
        })
    };
    let delete = {
        let (tailnet, id) = (tailnet.clone(), client.id.clone());
        confirmable_action(move |(): &(), retry| {
            let (tailnet, id) = (tailnet.clone(), id.clone());
            async move { through_gate(delete_oidc_client(tailnet, id).await, retry) }
        })
    };
    let report = move |error: AppError| {
        outcome.notice.set(None);
        outcome.failure.set(Some(error.to_string()));
    };
    {
        let client = client.clone();
        Effect::new(move || match regenerate.value().get() {
            Some(Ok(Some(secret))) => {
                outcome.failure.set(None);
                outcome.revealed.set(Some(Revealed {
                    client: client.clone(),
                    secret: Some(secret),
                    what: "regenerated",
                }));
            }
            Some(Err(error)) => report(error),
            _ => {}
        });
    }
    {
        let name = client.name.clone();
        Effect::new(move || match delete.value().get() {
            Some(Ok(Some(()))) => {
                outcome.failure.set(None);
                outcome.notice.set(Some(format!(
                    "{name} deleted. Nobody can sign in through it, and its tokens no longer work."
                )));
                outcome.refresh.run(());
            }
            Some(Err(error)) => report(error),
            _ => {}
        });
    }
    let close = move |button: NodeRef<html::Button>| {
        Callback::new(move |()| {
            asking.set(None);
            if let Some(button) = button.get_untracked() {
                let _ = button.focus();
            }
        })
    };
    let kind = if client.public {
        "Public (PKCE)"
    } else if client.require_pkce {
        "Confidential, PKCE required"
    } else {
        "Confidential"
    };
    let settings_id = format!("headscale-{}", client.id);
    let (regenerate_title, delete_title) = (
        format!("Regenerate the secret of {}?", client.name),
        format!("Delete {}?", client.name),
    );
    let may_regenerate = manages && !client.public;
    view! {
        <tr>
            <th scope="row">
                {client.name.clone()} <span class="sub">{kind}</span>
            </th>
            <td>
                <code>{client.id.clone()}</code>
            </td>
            <td>
                <ul class="plain">
                    {client
                        .callback_urls
                        .iter()
                        .map(|url| view! { <li>{url.clone()}</li> })
                        .collect_view()}
                </ul>
            </td>
            <td>{roles_text(&client.allowed_roles)}</td>
            <td>{utc_date(client.created_at)}</td>
            <td class="row-actions">
                <details>
                    <summary>"Headscale settings"</summary>
                    <CopyBlock id=settings_id heading="Headscale settings" text=settings />
                </details>
                {may_regenerate
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                node_ref=regenerate_button
                                disabled=move || regenerate.pending().get()
                                on:click=move |_| asking.set(Some(Asking::Regenerate))
                            >
                                "Regenerate secret"
                            </button>
                        }
                    })}
                {manages
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="danger"
                                node_ref=delete_button
                                disabled=move || delete.pending().get()
                                on:click=move |_| asking.set(Some(Asking::Delete))
                            >
                                "Delete"
                            </button>
                        }
                    })}
                <Show when=move || asking.get() == Some(Asking::Regenerate)>
                    <ConfirmDialog
                        id="regenerate-secret".to_owned()
                        title=regenerate_title.clone()
                        confirm_label="Regenerate secret"
                        on_confirm=Callback::new(move |()| {
                            asking.set(None);
                            regenerate.dispatch(());
                        })
                        on_cancel=close(regenerate_button)
                    >
                        <p>
                            "The current secret stops working at once. Put the new one in the client's settings (Headscale: client_secret) right after."
                        </p>
                    </ConfirmDialog>
                </Show>
                <Show when=move || asking.get() == Some(Asking::Delete)>
                    <ConfirmDialog
                        id="delete-client".to_owned()
                        title=delete_title.clone()
                        confirm_label="Delete"
                        danger=true
                        on_confirm=Callback::new(move |()| {
                            asking.set(None);
                            delete.dispatch(());
                        })
                        on_cancel=close(delete_button)
                    >
                        <p>
                            "Nobody can sign in through it any more, and the tokens it holds stop working at once. This cannot be undone."
                        </p>
                    </ConfirmDialog>
                </Show>
            </td>
        </tr>
    }
}
