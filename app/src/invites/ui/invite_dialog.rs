//! "Invite external users": a dialog with the tabs "Invite by email" and "Copy invite link".

use leptos::either::EitherOf3;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use crate::components::clipboard::{LinkField, copy_to_clipboard};
use crate::components::focus_trap::keep_tab_inside;
use crate::components::role_select::RoleSelect;
use crate::error::AppError;
use crate::ids::TailnetId;
use crate::invites::api::{create_invite_link, invite_by_email};
use crate::invites::model::{EmailInvite, MAX_ADDRESSES_PER_INVITE};
use crate::members::ui::row_actions::Notice;
use crate::passkeys::ui::confirm_gate::{confirmable_action, through_gate};
use crate::roles::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Email,
    Link,
}

impl Tab {
    fn id(self) -> &'static str {
        match self {
            Tab::Email => "tab-email",
            Tab::Link => "tab-link",
        }
    }

    fn panel_id(self) -> &'static str {
        match self {
            Tab::Email => "panel-email",
            Tab::Link => "panel-link",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Email => "Invite by email",
            Tab::Link => "Copy invite link",
        }
    }
}

/// One tab of the tab list; only the selected tab is in the Tab order.
#[component]
fn TabButton(tab: Tab, current: RwSignal<Tab>, node_ref: NodeRef<html::Button>) -> impl IntoView {
    view! {
        <button
            type="button"
            role="tab"
            id=tab.id()
            node_ref=node_ref
            aria-controls=tab.panel_id()
            aria-selected=move || (current.get() == tab).to_string()
            tabindex=move || if current.get() == tab { "0" } else { "-1" }
            on:click=move |_| current.set(tab)
        >
            {tab.label()}
        </button>
    }
}

#[component]
pub fn InviteDialog(
    tailnet: TailnetId,
    /// The inviter's role: the "Role" drop-downs offer only roles it may give.
    granter: Role,
    email_delivery_configured: bool,
    open: RwSignal<bool>,
    notice: RwSignal<Option<Notice>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let tab = RwSignal::new(Tab::Email);
    let email_tab = NodeRef::<html::Button>::new();
    let link_tab = NodeRef::<html::Button>::new();
    let first_field = NodeRef::<html::Textarea>::new();
    let dialog = NodeRef::<html::Div>::new();

    let close = move || {
        open.set(false);
        // Back to the button that opened the dialog.
        if let Some(button) = document().get_element_by_id("invite-external-users") {
            use leptos::wasm_bindgen::JsCast;
            if let Ok(button) = button.dyn_into::<leptos::web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        }
    };
    Effect::new(move || {
        if let Some(field) = first_field.get() {
            let _ = field.focus();
        }
    });
    // Escape closes the dialog wherever focus is, even when it left the dialog.
    let escape = window_event_listener(leptos::ev::keydown, move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            close();
        }
    });
    on_cleanup(move || escape.remove());
    // Arrow keys move between the tabs, as in every tab list.
    let on_tab_keydown = move |event: KeyboardEvent| {
        let next = match (event.key().as_str(), tab.get_untracked()) {
            ("ArrowRight" | "ArrowLeft", Tab::Email) => Tab::Link,
            ("ArrowRight" | "ArrowLeft", Tab::Link) => Tab::Email,
            _ => return,
        };
        event.prevent_default();
        tab.set(next);
        let target = if next == Tab::Email {
            email_tab
        } else {
            link_tab
        };
        if let Some(button) = target.get_untracked() {
            let _ = button.focus();
        }
    };

    let link_tailnet = tailnet.clone();
    view! {
        <div class="modal-backdrop">
            <div
                class="modal wide"
                role="dialog"
                aria-modal="true"
                aria-labelledby="invite-dialog-title"
                node_ref=dialog
                on:keydown=move |event| {
                    keep_tab_inside(&event, dialog.get_untracked().map(Into::into));
                }
            >
                <div class="modal-head">
                    <h2 id="invite-dialog-title">"Invite external users"</h2>
                    <button type="button" class="icon" aria-label="Close" on:click=move |_| close()>
                        <span aria-hidden="true">"×"</span>
                    </button>
                </div>
                <div role="tablist" aria-label="How to invite" on:keydown=on_tab_keydown>
                    <TabButton tab=Tab::Email current=tab node_ref=email_tab />
                    <TabButton tab=Tab::Link current=tab node_ref=link_tab />
                </div>
                <div
                    role="tabpanel"
                    id=Tab::Email.panel_id()
                    aria-labelledby=Tab::Email.id()
                    hidden=move || tab.get() != Tab::Email
                >
                    <EmailInviteForm
                        tailnet
                        granter
                        email_delivery_configured
                        first_field
                        on_done=Callback::new(move |()| close())
                        notice
                        refresh
                    />
                </div>
                <div
                    role="tabpanel"
                    id=Tab::Link.panel_id()
                    aria-labelledby=Tab::Link.id()
                    hidden=move || tab.get() != Tab::Link
                >
                    <LinkInviteForm tailnet=link_tailnet granter refresh />
                </div>
            </div>
        </div>
    }
}

#[component]
fn EmailInviteForm(
    tailnet: TailnetId,
    granter: Role,
    email_delivery_configured: bool,
    first_field: NodeRef<html::Textarea>,
    /// Closes the dialog after a successful invite.
    on_done: Callback<()>,
    notice: RwSignal<Option<Notice>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let addresses = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let invite = confirmable_action(move |request: &EmailInvite, retry| {
        let request = request.clone();
        async move {
            // Asking to confirm is not a failure to show under the field.
            let Some(sent) = through_gate(invite_by_email(request).await, retry)? else {
                return Ok(());
            };
            let mut text = match sent.invited.as_slice() {
                [one] => format!("Invited {one}."),
                many => format!("Invited {} people: {}.", many.len(), many.join(", ")),
            };
            if !sent.email_delivery_configured {
                text.push_str(
                    " Email delivery is not configured, so copy each invite's link from its row menu.",
                );
            }
            notice.set(Some(Notice::done(text)));
            refresh.run(());
            on_done.run(());
            Ok::<(), AppError>(())
        }
    });
    let pending = invite.pending();
    let failure = move || invite.value().get().and_then(Result::err);
    let field_message = move || failure().and_then(|e| e.field_message("addresses"));
    let other_error = move || {
        failure()
            .filter(|e| e.field_message("addresses").is_none())
            .map(|e| e.to_string())
    };
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        invite.dispatch(EmailInvite {
            tailnet: tailnet.clone(),
            addresses: addresses.get_untracked(),
            role: role.get_untracked(),
        });
    };
    view! {
        <form on:submit=on_submit novalidate>
            {(!email_delivery_configured)
                .then(|| {
                    view! {
                        <p class="notice">
                            "Email delivery is not configured on this server. Invites are still "
                            "created; send each person their link from the row menu (\"Copy invite link\")."
                        </p>
                    }
                })}
            <div class="field">
                <label for="invite-addresses">"Email addresses"</label>
                <textarea
                    id="invite-addresses"
                    node_ref=first_field
                    rows="4"
                    aria-describedby="invite-addresses-hint invite-addresses-error"
                    aria-invalid=move || field_message().is_some().to_string()
                    prop:value=move || addresses.get()
                    on:input=move |event| addresses.set(event_target_value(&event))
                ></textarea>
                <p class="muted hint" id="invite-addresses-hint">
                    {format!(
                        "Separate addresses with commas, spaces or new lines; up to {MAX_ADDRESSES_PER_INVITE}. Everyone gets the same role."
                    )}
                </p>
                <p class="field-error" id="invite-addresses-error">
                    {field_message}
                </p>
            </div>
            <RoleSelect id="invite-email-role" role granter />
            {move || other_error().map(|message| view! { <p class="alert error" role="alert">{message}</p> })}
            <button
                type="submit"
                class="primary"
                aria-busy=move || pending.get().to_string()
                aria-disabled=move || pending.get().to_string()
            >
                {move || if pending.get() { "Inviting…" } else { "Invite" }}
            </button>
        </form>
    }
}

#[component]
fn LinkInviteForm(tailnet: TailnetId, granter: Role, refresh: Callback<()>) -> impl IntoView {
    let role = RwSignal::new(Role::Member);
    let generate = confirmable_action(move |role: &Role, retry| {
        let (tailnet, role) = (tailnet.clone(), *role);
        async move {
            let Some(link) = through_gate(create_invite_link(tailnet, role).await, retry)? else {
                return Ok(None);
            };
            let copied = copy_to_clipboard(link.url.clone()).await;
            refresh.run(());
            Ok::<Option<(String, bool)>, AppError>(Some((link.url, copied)))
        }
    });
    let pending = generate.pending();
    view! {
        <p class="muted">
            "Anyone with the link can join once, with the role you choose. Share it privately."
        </p>
        <RoleSelect id="invite-link-role" role granter />
        <button
            type="button"
            class="primary"
            aria-busy=move || pending.get().to_string()
            aria-disabled=move || pending.get().to_string()
            on:click=move |_| {
                if !pending.get_untracked() {
                    generate.dispatch(role.get_untracked());
                }
            }
        >
            "Generate & copy invite link"
        </button>
        {move || match generate.value().get() {
            Some(Ok(Some((link, copied)))) => EitherOf3::A(view! { <LinkField id="invite-link" link copied /> }),
            Some(Err(error)) => EitherOf3::B(view! { <p class="alert error" role="alert">{error.to_string()}</p> }),
            Some(Ok(None)) | None => EitherOf3::C(()),
        }}
    }
}
