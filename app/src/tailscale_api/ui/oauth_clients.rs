//! The "OAuth clients" part of the "Keys" page: "Generate OAuth client" (a description and
//! the scopes the viewer's role may give; the secret is shown once) and the list of clients.

use leptos::either::Either;
use leptos::prelude::*;

use super::keys_page::{Outcome, Revealed};
use super::revoke_cell::{KeyKind, RevokeCell};
use crate::components::alert::ErrorAlert;
use crate::components::field::FormFailure;
use crate::delegation::Scope;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::passkeys::ui::confirm_gate::{confirmable_action, through_gate};
use crate::tailscale_api::api::generate_oauth_client;
use crate::tailscale_api::model::{NewOauthClient, OauthClientSummary};

#[component]
pub fn OauthClients(
    tailnet: TailnetId,
    clients: Vec<OauthClientSummary>,
    scopes_to_give: Vec<Scope>,
    token_url: String,
    outcome: Outcome,
) -> impl IntoView {
    let empty = clients.is_empty();
    view! {
        <h2 id="oauth-clients-heading">"OAuth clients"</h2>
        <p class="muted">
            "An OAuth client belongs to the tailnet, not to you: it keeps working when you leave. A script exchanges its client ID and secret at "
            <code>{token_url}</code>
            " for access tokens that live one hour and can do only what its scopes allow. It can never create, resend or delete user invites."
        </p>
        <GenerateClientForm tailnet=tailnet.clone() scopes_to_give outcome />
        {if empty {
            Either::Left(view! { <p class="empty">"No OAuth clients yet."</p> })
        } else {
            Either::Right(view! {
                <table class="clients" aria-labelledby="oauth-clients-heading">
                    <thead>
                        <tr>
                            <th scope="col">"Description"</th>
                            <th scope="col">"Scopes"</th>
                            <th scope="col">"Created by"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {clients
                            .into_iter()
                            .map(|client| view! { <ClientRow tailnet=tailnet.clone() client outcome /> })
                            .collect_view()}
                    </tbody>
                </table>
            })
        }}
    }
}

#[component]
fn GenerateClientForm(
    tailnet: TailnetId,
    scopes_to_give: Vec<Scope>,
    outcome: Outcome,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let description = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<Scope>::new());
    let generate = confirmable_action(move |client: &NewOauthClient, retry| {
        let client = client.clone();
        async move { through_gate(generate_oauth_client(client).await, retry) }
    });
    Effect::new(move || {
        if let Some(Ok(Some(generated))) = generate.value().get() {
            outcome.revealed.set(Some(Revealed::client(generated)));
            description.set(String::new());
            chosen.set(Vec::new());
            open.set(false);
            outcome.refresh.run(());
        }
    });
    let failure = FormFailure::of(generate);
    let (description_error, scopes_error) = (failure.field("description"), failure.field("scopes"));
    let summary = failure.summary();
    let pending = generate.pending();
    view! {
        <button
            type="button"
            class="primary"
            aria-expanded=move || open.get().to_string()
            aria-controls="generate-client-form"
            on:click=move |_| open.update(|open| *open = !*open)
        >
            "Generate OAuth client"
        </button>
        <Show when=move || open.get()>
            <form
                id="generate-client-form"
                class="card inset"
                aria-label="Generate OAuth client"
                novalidate
                on:submit={
                    let tailnet = tailnet.clone();
                    move |event| {
                        event.prevent_default();
                        generate
                            .dispatch(NewOauthClient {
                                tailnet: tailnet.clone(),
                                description: description.get_untracked(),
                                scopes: chosen.get_untracked(),
                            });
                    }
                }
            >
                <div class="field">
                    <label for="client-description">"Description"</label>
                    <input
                        id="client-description"
                        type="text"
                        autocomplete="off"
                        bind:value=description
                        aria-invalid=move || description_error().is_some().to_string()
                        aria-describedby="client-description-error"
                    />
                    <p class="field-error" id="client-description-error">
                        {move || description_error().unwrap_or_default()}
                    </p>
                </div>
                <fieldset class="choices" aria-describedby="client-scopes-error">
                    <legend>"Scopes"</legend>
                    {scopes_to_give
                        .iter()
                        .map(|&scope| {
                            let slug = scope.as_str().replace(':', "-");
                            let (input_id, hint) = (format!("scope-{slug}"), format!("scope-hint-{slug}"));
                            view! {
                                // The description is outside the label: the checkbox is named
                                // by the scope alone and described by what it allows.
                                <div class="choice">
                                    <input
                                        type="checkbox"
                                        id=input_id.clone()
                                        name="scopes"
                                        value=scope.as_str()
                                        aria-describedby=hint.clone()
                                        prop:checked=move || chosen.get().contains(&scope)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chosen
                                                .update(|scopes| {
                                                    scopes.retain(|s| *s != scope);
                                                    if on {
                                                        scopes.push(scope);
                                                    }
                                                });
                                        }
                                    />
                                    <span>
                                        <label for=input_id>
                                            <code>{scope.as_str()}</code>
                                        </label>
                                        <span class="sub" id=hint>
                                            {scope.description()}
                                        </span>
                                    </span>
                                </div>
                            }
                        })
                        .collect_view()}
                    <p class="field-error" id="client-scopes-error">
                        {move || scopes_error().unwrap_or_default()}
                    </p>
                </fieldset>
                <ErrorAlert message=summary />
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Generating…" } else { "Generate" }}
                </button>
            </form>
        </Show>
    }
}

#[component]
fn ClientRow(tailnet: TailnetId, client: OauthClientSummary, outcome: Outcome) -> impl IntoView {
    let name = if client.description.is_empty() {
        client.id.clone()
    } else {
        client.description.clone()
    };
    let heading_id = format!("client-{}", client.id);
    let live = client.revoked_at.is_none();
    view! {
        <tr>
            <th scope="row" id=heading_id.clone()>
                {name.clone()} <span class="sub">{client.id.clone()}</span>
                {(!live).then(|| view! { <span class="sub">"Revoked"</span> })}
            </th>
            <td>
                {client
                    .scopes
                    .iter()
                    .map(|scope| view! { <code class="tag">{scope.as_str()}</code> " " })
                    .collect_view()}
            </td>
            <td>{client.creator_email.clone()}</td>
            <td>{utc_date(client.created_at)}</td>
            <td>{client.last_used_at.map(utc_date).unwrap_or_else(|| "Never".to_owned())}</td>
            <RevokeCell
                tailnet
                kind=KeyKind::OauthClient
                id=client.id.clone()
                name
                described_by=heading_id
                live
                outcome
            />
        </tr>
    }
}
