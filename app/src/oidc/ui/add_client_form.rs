//! "Add OIDC client": Name, Callback URLs (one per line), "Public client", "Require PKCE" and
//! "Allowed roles". The server checks everything again; its field messages show beside the
//! fields.

use leptos::html;
use leptos::prelude::*;

use super::revealed_secret::Revealed;
use crate::components::alert::ErrorAlert;
use crate::components::field::FormFailure;
use crate::components::field::TextField;
use crate::ids::TailnetId;
use crate::oidc::api::add_oidc_client;
use crate::oidc::model::{MAX_CALLBACK_URLS, NewOidcClient};
use crate::passkeys::ui::confirm_gate::{confirmable_action, through_gate};
use crate::roles::Role;

#[component]
pub fn AddClientForm(
    tailnet: TailnetId,
    revealed: RwSignal<Option<Revealed>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let callback_urls = RwSignal::new(String::new());
    let public = RwSignal::new(false);
    let require_pkce = RwSignal::new(true);
    let allowed = RwSignal::new(Role::ALL.to_vec());
    let opener = NodeRef::<html::Button>::new();

    let add = confirmable_action(move |client: &NewOidcClient, retry| {
        let client = client.clone();
        async move { through_gate(add_oidc_client(client).await, retry) }
    });
    Effect::new(move || {
        if let Some(Ok(Some(added))) = add.value().get() {
            revealed.set(Some(Revealed {
                client: added.client,
                secret: added.secret,
                what: "added",
            }));
            name.set(String::new());
            callback_urls.set(String::new());
            public.set(false);
            allowed.set(Role::ALL.to_vec());
            open.set(false);
            refresh.run(());
        }
    });
    let failure = FormFailure::of(add);
    let field = move |name| failure.field(name);
    let summary = failure.summary();
    let urls_error = field("callback_urls");
    let roles_error = field("allowed_roles");
    let pending = add.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        add.dispatch(NewOidcClient {
            tailnet: tailnet.clone(),
            name: name.get_untracked(),
            callback_urls: callback_urls.get_untracked(),
            public: public.get_untracked(),
            require_pkce: require_pkce.get_untracked(),
            allowed_roles: allowed.get_untracked(),
        });
    };

    view! {
        <button
            type="button"
            class="primary"
            id="add-oidc-client"
            node_ref=opener
            aria-expanded=move || open.get().to_string()
            aria-controls="add-oidc-client-form"
            on:click=move |_| open.update(|open| *open = !*open)
        >
            "Add OIDC client"
        </button>
        <Show when=move || open.get()>
            <form
                id="add-oidc-client-form"
                class="card inset"
                aria-label="Add OIDC client"
                novalidate
                on:submit=submit.clone()
            >
                <TextField
                    label="Name"
                    id="client-name"
                    value=name
                    error=field("name")
                    autocomplete="off"
                />
                <div class="field">
                    <label for="client-callback-urls">"Callback URLs"</label>
                    <textarea
                        id="client-callback-urls"
                        rows="3"
                        bind:value=callback_urls
                        aria-invalid=move || urls_error().is_some().to_string()
                        aria-describedby="client-callback-urls-hint client-callback-urls-error"
                    ></textarea>
                    <p id="client-callback-urls-hint" class="muted">
                        {format!(
                            "One per line, at most {MAX_CALLBACK_URLS}; matched exactly. For Headscale: https://headscale.example.com/oidc/callback. Use https (http only for localhost).",
                        )}
                    </p>
                    <p class="field-error" id="client-callback-urls-error">
                        {move || urls_error().unwrap_or_default()}
                    </p>
                </div>
                <label class="choice">
                    <input type="checkbox" id="client-public" bind:checked=public />
                    <span>
                        <strong>"Public client"</strong>
                        <span class="sub">
                            "An app that cannot keep a secret (a desktop or phone app): no secret, PKCE required."
                        </span>
                    </span>
                </label>
                <label class="choice">
                    <input
                        type="checkbox"
                        id="client-require-pkce"
                        prop:checked=move || public.get() || require_pkce.get()
                        disabled=move || public.get()
                        on:change=move |ev| require_pkce.set(event_target_checked(&ev))
                    />
                    <span>
                        <strong>"Require PKCE"</strong>
                        <span class="sub">
                            "Refuse sign-ins without a PKCE challenge (Headscale sends one when pkce is enabled)."
                        </span>
                    </span>
                </label>
                <fieldset class="choices" aria-describedby="client-roles-hint client-roles-error">
                    <legend>"Allowed roles"</legend>
                    <p id="client-roles-hint" class="muted">
                        "Only Active members with these roles can sign in through this client."
                    </p>
                    {Role::ALL
                        .into_iter()
                        .map(|role| {
                            view! {
                                <label class="choice">
                                    <input
                                        type="checkbox"
                                        name="allowed-roles"
                                        value=role.as_str()
                                        prop:checked=move || allowed.get().contains(&role)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            allowed
                                                .update(|roles| {
                                                    roles.retain(|r| *r != role);
                                                    if on {
                                                        roles.push(role);
                                                    }
                                                });
                                        }
                                    />
                                    <span>{role.label()}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                    <p class="field-error" id="client-roles-error">
                        {move || roles_error().unwrap_or_default()}
                    </p>
                </fieldset>
                <ErrorAlert message=summary />
                <div class="actions">
                    <button
                        type="submit"
                        class="primary"
                        disabled=move || pending.get()
                        aria-busy=move || pending.get().to_string()
                    >
                        {move || if pending.get() { "Adding…" } else { "Add client" }}
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
