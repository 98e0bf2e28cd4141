//! `/admin/:tailnet/keys`: "Keys". API access tokens for the Tailscale-compatible API:
//! "Generate access token" (description, 1 to 90 days; the token is shown once), the list with
//! who made each and when it was last used, and "Revoke" (asks first); then the OAuth clients
//! ([`super::oauth_clients`]). Owner, Admin, IT admin and Network admin; the server refuses
//! everyone else as well.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::access_problem::AccessProblem;
use crate::components::admin_nav::{AdminNav, AdminSection, tailnet_from_path};
use crate::components::alert::ErrorAlert;
use crate::components::clipboard::LinkField;
use crate::components::field::FormFailure;
use crate::components::server_resource::server_resource;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::passkeys::ui::confirm_gate::{
    ConfirmGate, ConfirmGateDialog, confirmable_action, through_gate,
};
use crate::tailscale_api::api::{generate_api_token, list_api_tokens};
use crate::tailscale_api::model::{
    ApiTokenSummary, GeneratedOauthClient, KeysPage as PageData, MAX_EXPIRY_DAYS, NewApiToken,
};

use super::oauth_clients::OauthClients;
use super::revoke_cell::{KeyKind, RevokeCell};

/// A secret just generated, shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revealed {
    heading: &'static str,
    /// An OAuth client's id (an access token has none to copy).
    client_id: Option<String>,
    label: &'static str,
    secret: String,
}

impl Revealed {
    pub fn client(generated: GeneratedOauthClient) -> Self {
        Self {
            heading: "OAuth client generated",
            client_id: Some(generated.client.id),
            label: "Client secret",
            secret: generated.secret,
        }
    }
}

/// What the page says after a change.
#[derive(Clone, Copy)]
pub struct Outcome {
    pub revealed: RwSignal<Option<Revealed>>,
    pub notice: RwSignal<Option<String>>,
    pub failure: RwSignal<Option<String>>,
    pub refresh: Callback<()>,
}

#[component]
pub fn KeysPage() -> impl IntoView {
    let tailnet = tailnet_from_path();
    let gate = ConfirmGate::provide();
    let version = RwSignal::new(0_u32);
    let page = server_resource(
        move || (tailnet.get(), version.get()),
        |(tailnet, _)| list_api_tokens(tailnet),
    );
    let outcome = Outcome {
        revealed: RwSignal::new(None),
        notice: RwSignal::new(None),
        failure: RwSignal::new(None),
        refresh: Callback::new(move |()| version.update(|v| *v += 1)),
    };
    view! {
        <Title text="Keys" />
        <AdminNav tailnet current=AdminSection::Keys />
        <Transition fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(data) => {
                        Either::Left(view! { <KeysConsole tailnet=tailnet.get_untracked() data outcome /> })
                    }
                    Err(error) => {
                        Either::Right(view! { <AccessProblem error what="its keys" subject="Keys" /> })
                    }
                }
            })}
        </Transition>
        <ConfirmGateDialog gate />
    }
}

#[component]
fn KeysConsole(tailnet: TailnetId, data: PageData, outcome: Outcome) -> impl IntoView {
    let now = data.now;
    let empty = data.tokens.is_empty();
    let token_url = format!("{}/api/v2/oauth/token", data.api_base_url);
    view! {
        <section class="card wide" aria-labelledby="keys-heading">
            <h1 id="keys-heading">"Keys"</h1>
            <h2>"API access tokens"</h2>
            <p class="muted">
                "A token lets scripts and tools use the Tailscale-compatible API at "
                <code>{format!("{}/api/v2", data.api_base_url)}</code>
                ". It acts as you, with your role at each call, and stops when it expires, when it is revoked, or when you leave the tailnet."
            </p>
            <p class="notice-line" role="status">
                {move || outcome.notice.get().unwrap_or_default()}
            </p>
            <ErrorAlert message=outcome.failure />
            <RevealedSecret revealed=outcome.revealed />
            <GenerateForm tailnet=tailnet.clone() outcome />
            {if empty {
                Either::Left(view! { <p class="empty">"No access tokens yet."</p> })
            } else {
                Either::Right(view! {
                    <table class="clients">
                        <thead>
                            <tr>
                                <th scope="col">"Description"</th>
                                <th scope="col">"Created by"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Expires"</th>
                                <th scope="col">"Last used"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Actions"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {data
                                .tokens
                                .into_iter()
                                .map(|token| {
                                    view! {
                                        <TokenRow tailnet=tailnet.clone() token now outcome />
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                })
            }}
            <OauthClients
                tailnet=tailnet.clone()
                clients=data.oauth_clients
                scopes_to_give=data.scopes_to_give
                token_url
                outcome
            />
        </section>
    }
}

/// The secret just generated, with "Done" to put it away.
#[component]
fn RevealedSecret(revealed: RwSignal<Option<Revealed>>) -> impl IntoView {
    move || {
        revealed.get().map(|shown| {
            view! {
                <section class="notice revealed" aria-labelledby="generated-heading">
                    <h2 id="generated-heading">{shown.heading}</h2>
                    <p>
                        <strong>"Copy the secret now: Gatehouse shows it only once."</strong>
                    </p>
                    {shown
                        .client_id
                        .map(|id| {
                            view! {
                                <LinkField
                                    id="client-id"
                                    label="Client ID"
                                    link=id
                                    copied=false
                                    attempted=false
                                />
                            }
                        })}
                    <LinkField
                        id="generated-secret"
                        label=shown.label
                        link=shown.secret
                        copied=false
                        attempted=false
                    />
                    <button type="button" on:click=move |_| revealed.set(None)>
                        "Done"
                    </button>
                </section>
            }
        })
    }
}

#[component]
fn GenerateForm(tailnet: TailnetId, outcome: Outcome) -> impl IntoView {
    let open = RwSignal::new(false);
    let description = RwSignal::new(String::new());
    let days = RwSignal::new(MAX_EXPIRY_DAYS.to_string());
    let generate = confirmable_action(move |token: &NewApiToken, retry| {
        let token = token.clone();
        async move { through_gate(generate_api_token(token).await, retry) }
    });
    Effect::new(move || {
        if let Some(Ok(Some(generated))) = generate.value().get() {
            outcome.revealed.set(Some(Revealed {
                heading: "Access token generated",
                client_id: None,
                label: "Access token",
                secret: generated.secret,
            }));
            description.set(String::new());
            days.set(MAX_EXPIRY_DAYS.to_string());
            open.set(false);
            outcome.refresh.run(());
        }
    });
    let failure = FormFailure::of(generate);
    let (description_error, days_error) =
        (failure.field("description"), failure.field("expiry_days"));
    let summary = failure.summary();
    let pending = generate.pending();
    view! {
        <button
            type="button"
            class="primary"
            aria-expanded=move || open.get().to_string()
            aria-controls="generate-token-form"
            on:click=move |_| open.update(|open| *open = !*open)
        >
            "Generate access token"
        </button>
        <Show when=move || open.get()>
            <form
                id="generate-token-form"
                class="card inset"
                aria-label="Generate access token"
                novalidate
                on:submit={
                    let tailnet = tailnet.clone();
                    move |event| {
                        event.prevent_default();
                        generate
                            .dispatch(NewApiToken {
                                tailnet: tailnet.clone(),
                                description: description.get_untracked(),
                                expiry_days: days.get_untracked().trim().parse().unwrap_or(0),
                            });
                    }
                }
            >
                <div class="field">
                    <label for="token-description">"Description"</label>
                    <input
                        id="token-description"
                        type="text"
                        autocomplete="off"
                        bind:value=description
                        aria-invalid=move || description_error().is_some().to_string()
                        aria-describedby="token-description-error"
                    />
                    <p class="field-error" id="token-description-error">
                        {move || description_error().unwrap_or_default()}
                    </p>
                </div>
                <div class="field">
                    <label for="token-expiry">"Expiry (days)"</label>
                    <input
                        id="token-expiry"
                        type="number"
                        min="1"
                        max=MAX_EXPIRY_DAYS.to_string()
                        bind:value=days
                        aria-invalid=move || days_error().is_some().to_string()
                        aria-describedby="token-expiry-hint token-expiry-error"
                    />
                    <p id="token-expiry-hint" class="muted">
                        {format!("1 to {MAX_EXPIRY_DAYS} days.")}
                    </p>
                    <p class="field-error" id="token-expiry-error">
                        {move || days_error().unwrap_or_default()}
                    </p>
                </div>
                <ErrorAlert message=summary />
                <button type="submit" class="primary" disabled=move || pending.get()>
                    {move || if pending.get() { "Generating…" } else { "Generate" }}
                </button>
            </form>
        </Show>
    }
}

#[component]
fn TokenRow(
    tailnet: TailnetId,
    token: ApiTokenSummary,
    now: i64,
    outcome: Outcome,
) -> impl IntoView {
    let name = if token.description.is_empty() {
        token.id.clone()
    } else {
        token.description.clone()
    };
    let state = match (token.revoked_at, token.is_live(now)) {
        (Some(_), _) => Some("Revoked"),
        (None, false) => Some("Expired"),
        (None, true) => None,
    };
    let heading_id = format!("token-{}", token.id);
    view! {
        <tr>
            <th scope="row" id=heading_id.clone()>
                {name.clone()} <span class="sub">{token.id.clone()}</span>
                {state.map(|state| view! { <span class="sub">{state}</span> })}
            </th>
            <td>{token.creator_email.clone()}</td>
            <td>{utc_date(token.created_at)}</td>
            <td>{utc_date(token.expires_at)}</td>
            <td>{token.last_used_at.map(utc_date).unwrap_or_else(|| "Never".to_owned())}</td>
            <RevokeCell
                tailnet
                kind=KeyKind::AccessToken
                id=token.id.clone()
                name
                described_by=heading_id
                live=state.is_none()
                outcome
            />
        </tr>
    }
}
