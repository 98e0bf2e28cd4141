//! `/admin/:tailnet/settings`: "General settings". The tailnet's name and kind, "Join external
//! tailnets" and "User approval". Each choice is saved at once, with its result announced; roles
//! that may not change a setting see it read-only (the server refuses them as well).

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::access_problem::AccessProblem;
use crate::components::admin_nav::{AdminNav, AdminSection, tailnet_from_path};
use crate::components::alert::ErrorAlert;
use crate::components::server_resource::server_resource;
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::passkeys::ui::confirm_gate::{
    ConfirmGate, ConfirmGateDialog, confirmable_action, through_gate,
};
use crate::tailnets::api::{
    get_general_settings, set_coordination_server_url, set_join_external_tailnets,
    set_user_approval,
};
use crate::tailnets::model::{
    GeneralSettings, JoinExternalChoice, JoinSettings, describe_roles, login_command,
};

#[component]
pub fn GeneralSettingsPage() -> impl IntoView {
    let tailnet = tailnet_from_path();
    // Its dialog comes last in the page, so it stands above any dialog a change came from.
    let gate = ConfirmGate::provide();
    let settings = server_resource(move || tailnet.get(), get_general_settings);
    view! {
        <Title text="General settings" />
        <AdminNav tailnet current=AdminSection::Settings />
        <Suspense fallback=|| view! { <p class="muted">"Loading settings…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => {
                        Either::Left(view! { <SettingsConsole tailnet=tailnet.get_untracked() settings /> })
                    }
                    Err(error) => {
                        Either::Right(view! {
                            <AccessProblem error what="its settings" subject="Settings" />
                        })
                    }
                }
            })}
        </Suspense>
        <ConfirmGateDialog gate />
    }
}

#[component]
fn SettingsConsole(tailnet: TailnetId, settings: GeneralSettings) -> impl IntoView {
    view! {
        <section class="card wide" aria-labelledby="settings-heading">
            <h1 id="settings-heading">"General settings"</h1>
            <dl class="facts">
                <dt>"Tailnet name"</dt>
                <dd>{settings.name.clone()}</dd>
                <dt>"Kind"</dt>
                <dd>{settings.kind.label()}</dd>
            </dl>
            <JoinExternalSection
                tailnet=tailnet.clone()
                roles=settings.settings.join_external_roles.clone()
                may_change=settings.manages_join_external
            />
            <UserApprovalSection
                tailnet=tailnet.clone()
                enabled=settings.settings.user_approval
                may_change=settings.manages_user_approval
            />
            <CoordinationServerSection
                tailnet
                url=settings.settings.coordination_server_url.clone()
                may_change=settings.manages_coordination_server
            />
        </section>
    }
}

/// "Join external tailnets": three choices, saved when one is picked.
#[component]
fn JoinExternalSection(
    tailnet: TailnetId,
    roles: Vec<crate::roles::Role>,
    may_change: bool,
) -> impl IntoView {
    let saved_roles = RwSignal::new(roles);
    let save = confirmable_action(move |choice: &JoinExternalChoice, retry| {
        let (tailnet, roles) = (tailnet.clone(), choice.roles());
        async move { through_gate(set_join_external_tailnets(tailnet, roles).await, retry) }
    });
    let feedback = SaveFeedback::follow(save, move |settings| {
        let text = format!(
            "Saved. Members with these roles may join external tailnets: {}.",
            describe_roles(&settings.join_external_roles)
        );
        saved_roles.set(settings.join_external_roles);
        text
    });
    // While a choice waits for "Confirm it's you", the saved one shows again.
    Effect::new(move || {
        if let Some(Ok(None)) = save.value().get() {
            saved_roles.update(|_| {});
        }
    });
    let current = move || JoinExternalChoice::of_roles(&saved_roles.get());
    let pending = save.pending();
    view! {
        <section class="setting" aria-labelledby="join-external-heading">
            <h2 id="join-external-heading">"Join external tailnets"</h2>
            <p class="muted">
                "Choose which users of this tailnet may accept invitations to join other (external) tailnets."
            </p>
            <fieldset class="choices" disabled=move || !may_change || pending.get()>
                <legend class="visually-hidden">"Join external tailnets"</legend>
                {JoinExternalChoice::ALL
                    .into_iter()
                    .map(|choice| {
                        view! {
                            <label class="choice">
                                <input
                                    type="radio"
                                    name="join-external"
                                    value=choice.as_str()
                                    prop:checked=move || current() == Some(choice)
                                    on:change=move |_| {
                                        save.dispatch(choice);
                                    }
                                />
                                <span>
                                    <strong>{choice.label()}</strong>
                                    <span class="sub">{choice.explanation()}</span>
                                </span>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            {move || {
                current()
                    .is_none()
                    .then(|| {
                        view! {
                            <p class="muted">
                                {format!(
                                    "Currently set to: {}.",
                                    describe_roles(&saved_roles.get()),
                                )}
                            </p>
                        }
                    })
            }}
            {(!may_change)
                .then(|| {
                    view! {
                        <p class="muted">"Only an Owner, Admin or IT admin can change this."</p>
                    }
                })}
            <SaveStatus feedback />
        </section>
    }
}

/// "User approval": "Manually approve new users", saved when toggled.
#[component]
fn UserApprovalSection(tailnet: TailnetId, enabled: bool, may_change: bool) -> impl IntoView {
    let saved = RwSignal::new(enabled);
    let save = confirmable_action(move |enabled: &bool, retry| {
        let (tailnet, enabled) = (tailnet.clone(), *enabled);
        async move { through_gate(set_user_approval(tailnet, enabled).await, retry) }
    });
    let feedback = SaveFeedback::follow(save, move |settings| {
        saved.set(settings.user_approval);
        if settings.user_approval {
            "Saved. New users wait for an admin's approval."
        } else {
            "Saved. New users join as soon as they accept."
        }
        .to_owned()
    });
    // While the change waits for "Confirm it's you", the saved state shows again.
    Effect::new(move || {
        if let Some(Ok(None)) = save.value().get() {
            saved.update(|_| {});
        }
    });
    let pending = save.pending();
    view! {
        <section class="setting" aria-labelledby="user-approval-heading">
            <h2 id="user-approval-heading">"User approval"</h2>
            <label class="choice">
                <input
                    type="checkbox"
                    id="manually-approve"
                    prop:checked=move || saved.get()
                    disabled=move || !may_change || pending.get()
                    on:change=move |ev| {
                        save.dispatch(event_target_checked(&ev));
                    }
                />
                <span>
                    <strong>"Manually approve new users"</strong>
                    <span class="sub">
                        "People who accept an invite wait on the Users page until an Owner, Admin or IT admin approves them."
                    </span>
                </span>
            </label>
            {(!may_change)
                .then(|| {
                    view! {
                        <p class="muted">"Only an Owner, Admin or Network admin can change this."</p>
                    }
                })}
            <SaveStatus feedback />
        </section>
    }
}

/// "Coordination server URL": typed, then saved with "Save"; empty clears it.
#[component]
fn CoordinationServerSection(
    tailnet: TailnetId,
    url: Option<String>,
    may_change: bool,
) -> impl IntoView {
    let typed = RwSignal::new(url.unwrap_or_default());
    let save = confirmable_action(move |url: &String, retry| {
        let (tailnet, url) = (tailnet.clone(), url.clone());
        async move { through_gate(set_coordination_server_url(tailnet, url).await, retry) }
    });
    let field_error = RwSignal::new(None::<String>);
    let feedback = SaveFeedback::follow(save, move |settings| {
        field_error.set(None);
        match settings.coordination_server_url {
            Some(url) => {
                typed.set(url.clone());
                format!(
                    "Saved. People are told to join with {}.",
                    login_command(&url)
                )
            }
            None => {
                typed.set(String::new());
                "Saved. No coordination server is shown.".to_owned()
            }
        }
    });
    // A problem with the address shows at the field, not as a general failure.
    Effect::new(move || {
        if let Some(Err(error)) = save.value().get() {
            field_error.set(error.field_message("coordination_server_url"));
        }
    });
    let pending = save.pending();
    view! {
        <section class="setting" aria-labelledby="coordination-server-heading">
            <h2 id="coordination-server-heading">"Coordination server URL"</h2>
            <form
                class="inline-form"
                on:submit=move |event| {
                    event.prevent_default();
                    save.dispatch(typed.get_untracked());
                }
            >
                <div class="field">
                    <label for="coordination-server-url">"Coordination server URL"</label>
                    <input
                        id="coordination-server-url"
                        type="url"
                        inputmode="url"
                        autocomplete="off"
                        placeholder="https://headscale.example.com"
                        bind:value=typed
                        disabled=!may_change
                        aria-invalid=move || field_error.get().is_some().to_string()
                        aria-describedby="coordination-server-hint coordination-server-error"
                    />
                    <p id="coordination-server-hint" class="muted">
                        "Where your devices join, such as your Headscale server. When set, the welcome page, the home page and invite emails show how to join with it (tailscale up --login-server …). Leave empty to show only \"Download the client\"."
                    </p>
                    <p class="field-error" id="coordination-server-error">
                        {move || field_error.get().unwrap_or_default()}
                    </p>
                </div>
                <button
                    type="submit"
                    disabled=move || !may_change || pending.get()
                    aria-busy=move || pending.get().to_string()
                >
                    {move || if pending.get() { "Saving…" } else { "Save" }}
                </button>
            </form>
            {(!may_change)
                .then(|| {
                    view! {
                        <p class="muted">"Only an Owner, Admin or Network admin can change this."</p>
                    }
                })}
            <SaveStatus feedback />
        </section>
    }
}

/// What the last save of a setting said: a status line, or why it failed.
#[derive(Clone, Copy)]
struct SaveFeedback {
    notice: RwSignal<Option<String>>,
    failure: RwSignal<Option<String>>,
}

impl SaveFeedback {
    /// Follows `save`'s results; `on_saved` takes the saved settings and says what changed.
    /// Nothing is said while the change waits for "Confirm it's you".
    fn follow<I: Send + Sync + 'static>(
        save: Action<I, Result<Option<JoinSettings>, AppError>>,
        on_saved: impl Fn(JoinSettings) -> String + 'static,
    ) -> Self {
        let feedback = Self {
            notice: RwSignal::new(None),
            failure: RwSignal::new(None),
        };
        Effect::new(move || match save.value().get() {
            Some(Ok(Some(settings))) => {
                feedback.failure.set(None);
                feedback.notice.set(Some(on_saved(settings)));
            }
            Some(Err(error)) => {
                feedback.notice.set(None);
                feedback.failure.set(Some(error.to_string()));
            }
            Some(Ok(None)) | None => {}
        });
        feedback
    }
}

#[component]
fn SaveStatus(feedback: SaveFeedback) -> impl IntoView {
    view! {
        <p class="notice-line" role="status">
            {move || feedback.notice.get().unwrap_or_default()}
        </p>
        <ErrorAlert message=feedback.failure />
    }
}
