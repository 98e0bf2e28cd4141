//! `/admin/:tailnet/keys`: "Keys". API access tokens for the Tailscale-compatible API:
//! "Generate access token" (description, 1 to 90 days; the token is shown once), the list with
//! who made each and when it was last used, and "Revoke" (asks first). Owner, Admin, IT admin
//! and Network admin; the server refuses everyone else as well.

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::access_problem::AccessProblem;
use crate::components::admin_nav::{AdminNav, AdminSection, tailnet_from_path};
use crate::components::alert::ErrorAlert;
use crate::components::clipboard::LinkField;
use crate::components::dialog::ConfirmDialog;
use crate::error::AppError;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::passkeys::ui::confirm_gate::{
    ConfirmGate, ConfirmGateDialog, confirmable_action, through_gate,
};
use crate::tailscale_api::api::{generate_api_token, list_api_tokens, revoke_api_token};
use crate::tailscale_api::model::{
    ApiTokenSummary, GeneratedApiToken, KeysPage as PageData, MAX_EXPIRY_DAYS, NewApiToken,
};

/// What the page says after a change.
#[derive(Clone, Copy)]
struct Outcome {
    generated: RwSignal<Option<GeneratedApiToken>>,
    notice: RwSignal<Option<String>>,
    failure: RwSignal<Option<String>>,
    refresh: Callback<()>,
}

#[component]
pub fn KeysPage() -> impl IntoView {
    let tailnet = tailnet_from_path();
    let gate = ConfirmGate::provide();
    let version = RwSignal::new(0_u32);
    let page = Resource::new(
        move || (tailnet.get(), version.get()),
        |(tailnet, _)| list_api_tokens(tailnet),
    );
    let outcome = Outcome {
        generated: RwSignal::new(None),
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
                        view! { <KeysConsole tailnet=tailnet.get_untracked() data outcome /> }
                            .into_any()
                    }
                    Err(error) => {
                        view! { <AccessProblem error what="its keys" subject="Keys" /> }.into_any()
                    }
                }
            })}
        </Transition>
        <ConfirmGateDialog gate />
    }
}

#[component]
fn KeysConsole(tailnet: TailnetId, data: PageData, outcome: Outcome) -> AnyView {
    let now = data.now;
    let empty = data.tokens.is_empty();
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
            {move || {
                outcome
                    .generated
                    .get()
                    .map(|generated| {
                        view! {
                            <section class="notice revealed" aria-labelledby="generated-heading">
                                <h2 id="generated-heading">"Access token generated"</h2>
                                <p>
                                    <strong>"Copy the token now: Gatehouse shows it only once."</strong>
                                </p>
                                <LinkField
                                    id="api-token"
                                    label="Access token"
                                    link=generated.secret
                                    copied=false
                                    attempted=false
                                />
                                <button
                                    type="button"
                                    on:click=move |_| outcome.generated.set(None)
                                >
                                    "Done"
                                </button>
                            </section>
                        }
                    })
            }}
            <GenerateForm tailnet=tailnet.clone() outcome />
            {if empty {
                view! { <p class="empty">"No access tokens yet."</p> }.into_any()
            } else {
                view! {
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
                }
                    .into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn GenerateForm(tailnet: TailnetId, outcome: Outcome) -> AnyView {
    let open = RwSignal::new(false);
    let description = RwSignal::new(String::new());
    let days = RwSignal::new(MAX_EXPIRY_DAYS.to_string());
    let generate = confirmable_action(move |token: &NewApiToken, retry| {
        let token = token.clone();
        async move { through_gate(generate_api_token(token).await, retry) }
    });
    Effect::new(move || {
        if let Some(Ok(Some(generated))) = generate.value().get() {
            outcome.generated.set(Some(generated));
            description.set(String::new());
            days.set(MAX_EXPIRY_DAYS.to_string());
            open.set(false);
            outcome.refresh.run(());
        }
    });
    let failure = Signal::derive(move || generate.value().get().and_then(Result::err));
    let field = move |name: &'static str| {
        move || failure.get().and_then(|e: AppError| e.field_message(name))
    };
    let (description_error, days_error) = (field("description"), field("expiry_days"));
    let summary = Signal::derive(move || {
        failure.get().and_then(|error| match error {
            AppError::Validation(_) => None,
            other => Some(other.to_string()),
        })
    });
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
    .into_any()
}

#[component]
fn TokenRow(tailnet: TailnetId, token: ApiTokenSummary, now: i64, outcome: Outcome) -> AnyView {
    let asking = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    let revoke = {
        let id = token.id.clone();
        confirmable_action(move |(): &(), retry| {
            let (tailnet, id) = (tailnet.clone(), id.clone());
            async move { through_gate(revoke_api_token(tailnet, id).await, retry) }
        })
    };
    let name = if token.description.is_empty() {
        token.id.clone()
    } else {
        token.description.clone()
    };
    {
        let name = name.clone();
        Effect::new(move || match revoke.value().get() {
            Some(Ok(Some(()))) => {
                outcome.failure.set(None);
                outcome
                    .notice
                    .set(Some(format!("{name} revoked. It no longer works.")));
                outcome.refresh.run(());
            }
            Some(Err(error)) => {
                outcome.notice.set(None);
                outcome.failure.set(Some(error.to_string()));
            }
            _ => {}
        });
    }
    let state = match (token.revoked_at, token.is_live(now)) {
        (Some(_), _) => Some("Revoked"),
        (None, false) => Some("Expired"),
        (None, true) => None,
    };
    let title = format!("Revoke {name}?");
    let heading_id = format!("token-{}", token.id);
    let described_by = heading_id.clone();
    view! {
        <tr>
            <th scope="row" id=heading_id>
                {name.clone()} <span class="sub">{token.id.clone()}</span>
                {state.map(|state| view! { <span class="sub">{state}</span> })}
            </th>
            <td>{token.creator_email.clone()}</td>
            <td>{utc_date(token.created_at)}</td>
            <td>{utc_date(token.expires_at)}</td>
            <td>{token.last_used_at.map(utc_date).unwrap_or_else(|| "Never".to_owned())}</td>
            <td class="row-actions">
                {state
                    .is_none()
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                class="danger"
                                node_ref=button
                                aria-describedby=described_by.clone()
                                disabled=move || revoke.pending().get()
                                on:click=move |_| asking.set(true)
                            >
                                "Revoke"
                            </button>
                        }
                    })}
                <Show when=move || asking.get()>
                    <ConfirmDialog
                        id="revoke-token".to_owned()
                        title=title.clone()
                        confirm_label="Revoke"
                        danger=true
                        on_confirm=Callback::new(move |()| {
                            asking.set(false);
                            revoke.dispatch(());
                        })
                        on_cancel=Callback::new(move |()| {
                            asking.set(false);
                            if let Some(button) = button.get_untracked() {
                                let _ = button.focus();
                            }
                        })
                    >
                        <p>"Scripts using it stop working at once. This cannot be undone."</p>
                    </ConfirmDialog>
                </Show>
            </td>
        </tr>
    }
    .into_any()
}
