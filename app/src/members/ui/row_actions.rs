//! Each invite row's menu, "Actions for <email>": "Resend user invite", "Copy invite link",
//! "Delete invite" (after confirming).

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use crate::components::clipboard::copy_to_clipboard;
use crate::components::focus_trap::keep_tab_inside;
use crate::error::AppError;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::invites::api::{copy_invite_link, delete_invite, resend_invite};
use crate::invites::model::InviteKind;
use crate::members::model::InviteRow;

/// A message above the table: what an action did, or why it failed. A copied link is shown
/// too, for copying by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
    /// A link and whether it already reached the clipboard.
    pub link: Option<(String, bool)>,
}

impl Notice {
    pub fn done(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: false,
            link: None,
        }
    }

    pub fn failed(error: &AppError) -> Self {
        Self {
            text: error.to_string(),
            is_error: true,
            link: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowCommand {
    Resend,
    CopyLink,
    Delete,
}

#[component]
pub fn RowActions(
    invite: InviteRow,
    tailnet: TailnetId,
    /// The address (or a description of a link invite) that names the row.
    label: String,
    notice: RwSignal<Option<Notice>>,
    refresh: Callback<()>,
) -> AnyView {
    let open = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let trigger = NodeRef::<html::Button>::new();
    let menu = NodeRef::<html::Div>::new();
    let menu_id = format!("actions-{}", invite.invite);

    let run_label = label.clone();
    let run = Action::new_local(move |command: &RowCommand| {
        let (command, tailnet, invite, label) = (
            *command,
            tailnet.clone(),
            invite.invite.clone(),
            run_label.clone(),
        );
        async move {
            let result = match command {
                RowCommand::Resend => resend_invite(tailnet, invite).await.map(|expires_at| {
                    refresh.run(());
                    Notice::done(format!(
                        "Invite resent to {label}. It now expires on {}.",
                        utc_date(expires_at)
                    ))
                }),
                RowCommand::CopyLink => match copy_invite_link(tailnet, invite).await {
                    Ok(link) => {
                        let copied = copy_to_clipboard(link.url.clone()).await;
                        Ok(Notice {
                            text: if copied {
                                format!("Invite link for {label} copied to the clipboard.")
                            } else {
                                format!("Invite link for {label}:")
                            },
                            is_error: false,
                            link: Some((link.url, copied)),
                        })
                    }
                    Err(error) => Err(error),
                },
                RowCommand::Delete => delete_invite(tailnet, invite).await.map(|()| {
                    refresh.run(());
                    Notice::done(format!(
                        "Invite for {label} deleted. Its link no longer works."
                    ))
                }),
            };
            notice.set(Some(result.unwrap_or_else(|error| Notice::failed(&error))));
        }
    });
    let busy = run.pending();

    // The first item takes focus once the menu is shown.
    let focus_first_item = move || {
        request_animation_frame(move || {
            use leptos::wasm_bindgen::JsCast;
            let first = menu
                .get_untracked()
                .and_then(|menu| menu.query_selector("[role=menuitem]").ok().flatten())
                .and_then(|item| item.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            if let Some(item) = first {
                let _ = item.focus();
            }
        });
    };
    let close_menu = move || {
        open.set(false);
        if let Some(button) = trigger.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            if confirming.get_untracked() {
                confirming.set(false);
            } else if open.get_untracked() {
                close_menu();
            }
        }
    };
    let confirm_button = NodeRef::<html::Button>::new();
    let confirm_dialog = NodeRef::<html::Div>::new();
    let choose = move |command: RowCommand| {
        open.set(false);
        if command == RowCommand::Delete {
            confirming.set(true);
            request_animation_frame(move || {
                if let Some(button) = confirm_button.get_untracked() {
                    let _ = button.focus();
                }
            });
        } else {
            run.dispatch(command);
        }
    };
    // The menu closes when focus moves somewhere outside it (a click elsewhere, Tab).
    let container = NodeRef::<html::Div>::new();
    let on_focusout = move |event: leptos::ev::FocusEvent| {
        use leptos::wasm_bindgen::JsCast;
        let inside = event
            .related_target()
            .and_then(|target| target.dyn_into::<leptos::web_sys::Node>().ok())
            .zip(container.get_untracked())
            .is_some_and(|(target, container)| container.contains(Some(&target)));
        if !inside {
            open.set(false);
        }
    };
    let is_email = invite.kind == InviteKind::Email;
    let confirm_title = format!("Delete the invite for {label}?");

    view! {
        <div class="row-actions" node_ref=container on:keydown=on_keydown on:focusout=on_focusout>
            <button
                type="button"
                class="icon"
                node_ref=trigger
                aria-label=format!("Actions for {label}")
                aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                aria-controls=menu_id.clone()
                aria-busy=move || busy.get().to_string()
                on:click=move |_| {
                    let opening = !open.get_untracked();
                    open.set(opening);
                    if opening {
                        focus_first_item();
                    }
                }
            >
                <span aria-hidden="true">"⋯"</span>
            </button>
            <div id=menu_id node_ref=menu role="menu" aria-label=format!("Actions for {label}") hidden=move || !open.get()>
                {is_email
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                role="menuitem"
                                on:click=move |_| choose(RowCommand::Resend)
                            >
                                "Resend user invite"
                            </button>
                        }
                    })}
                <button
                    type="button"
                    role="menuitem"
                    on:click=move |_| choose(RowCommand::CopyLink)
                >
                    "Copy invite link"
                </button>
                <button
                    type="button"
                    role="menuitem"
                    class="danger"
                    on:click=move |_| choose(RowCommand::Delete)
                >
                    "Delete invite"
                </button>
            </div>
            <Show when=move || confirming.get()>
                <div class="modal-backdrop">
                    <div
                        class="modal"
                        role="alertdialog"
                        aria-modal="true"
                        aria-labelledby="confirm-delete-title"
                        aria-describedby="confirm-delete-body"
                        node_ref=confirm_dialog
                        on:keydown=move |event| {
                            keep_tab_inside(&event, confirm_dialog.get_untracked().map(Into::into));
                        }
                    >
                        <h2 id="confirm-delete-title">{confirm_title.clone()}</h2>
                        <p id="confirm-delete-body">
                            "The invite link stops working at once. This cannot be undone."
                        </p>
                        <div class="actions">
                            <button
                                type="button"
                                class="danger"
                                node_ref=confirm_button
                                on:click=move |_| {
                                    confirming.set(false);
                                    run.dispatch(RowCommand::Delete);
                                }
                            >
                                "Delete invite"
                            </button>
                            <button
                                type="button"
                                on:click=move |_| {
                                    confirming.set(false);
                                    if let Some(button) = trigger.get_untracked() {
                                        let _ = button.focus();
                                    }
                                }
                            >
                                "Cancel"
                            </button>
                        </div>
                    </div>
                </div>
            </Show>
        </div>
    }
    .into_any()
}
