//! The menus of the Users page's rows. An invite's: "Resend user invite", "Copy invite link",
//! "Delete invite" (after confirming). A person waiting for approval's: "Approve" (with the
//! role to give) and "Remove" (after confirming).

use leptos::html;
use leptos::prelude::*;

use super::row_menu::{MenuItem, RowMenu, focus_button};
use crate::components::browser_only::browser_action;
use crate::components::clipboard::copy_to_clipboard;
use crate::components::dialog::ConfirmDialog;
use crate::components::role_select::RoleSelect;
use crate::error::AppError;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::invites::api::{copy_invite_link, delete_invite, resend_invite};
use crate::invites::model::InviteKind;
use crate::members::api::{approve_user, remove_waiting_user};
use crate::members::model::{InviteRow, MemberRow};
use crate::passkeys::ui::confirm_gate::{ask_to_confirm, confirmable_action};
use crate::roles::{Role, may_grant};

/// A message above the table: what an action did, or why it failed. A copied link is shown
/// too, for copying by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
    /// A link and whether it already reached the clipboard.
    pub link: Option<(String, bool)>,
    /// What the link is, as its field's label says.
    pub link_label: &'static str,
}

impl Notice {
    pub fn done(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            is_error: false,
            link: None,
            link_label: "Invite link",
        }
    }

    pub fn failed(error: &AppError) -> Self {
        Self {
            text: error.to_string(),
            is_error: true,
            link: None,
            link_label: "Invite link",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InviteCommand {
    Resend,
    CopyLink,
    Delete,
}

#[component]
pub fn InviteActions(
    invite: InviteRow,
    tailnet: TailnetId,
    /// The address (or a description of a link invite) that names the row.
    label: String,
    /// The viewer's role: resending or copying the link hands out the invite's role, so only
    /// for someone who may give it ([`may_grant`]), and only while the invite still works.
    granter: Role,
    notice: RwSignal<Option<Notice>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let hands_out = invite.inviter_still_grants && may_grant(granter, invite.role);
    let trigger = NodeRef::<html::Button>::new();

    let run_label = label.clone();
    let invite_id = invite.invite.clone();
    let run = browser_action(move |command: &InviteCommand| {
        let (command, tailnet, invite, label) = (
            *command,
            tailnet.clone(),
            invite_id.clone(),
            run_label.clone(),
        );
        async move {
            let result = match command {
                InviteCommand::Resend => resend_invite(tailnet, invite).await.map(|expires_at| {
                    refresh.run(());
                    Notice::done(format!(
                        "Invite resent to {label}. It now expires on {}.",
                        utc_date(expires_at)
                    ))
                }),
                InviteCommand::CopyLink => match copy_invite_link(tailnet, invite).await {
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
                            link_label: "Invite link",
                        })
                    }
                    Err(error) => Err(error),
                },
                InviteCommand::Delete => delete_invite(tailnet, invite).await.map(|()| {
                    refresh.run(());
                    Notice::done(format!(
                        "Invite for {label} deleted. Its link no longer works."
                    ))
                }),
            };
            notice.set(Some(result.unwrap_or_else(|error| Notice::failed(&error))));
        }
    });

    let mut items = Vec::new();
    if hands_out && invite.kind == InviteKind::Email {
        items.push(MenuItem::new("Resend user invite", move || {
            run.dispatch(InviteCommand::Resend);
        }));
    }
    if hands_out {
        items.push(MenuItem::new("Copy invite link", move || {
            run.dispatch(InviteCommand::CopyLink);
        }));
    }
    items.push(MenuItem::new("Delete invite", move || confirming.set(true)).danger());
    let confirm_title = format!("Delete the invite for {label}?");

    view! {
        <RowMenu
            label=format!("Actions for {label}")
            id=format!("actions-{}", invite.invite)
            items
            trigger
            busy=run.pending()
        />
        <Show when=move || confirming.get()>
            <ConfirmDialog
                id="confirm-delete".to_owned()
                title=confirm_title.clone()
                confirm_label="Delete invite"
                danger=true
                on_confirm=Callback::new(move |()| {
                    confirming.set(false);
                    run.dispatch(InviteCommand::Delete);
                })
                on_cancel=Callback::new(move |()| {
                    confirming.set(false);
                    focus_button(trigger);
                })
            >
                <p>"The invite link stops working at once. This cannot be undone."</p>
            </ConfirmDialog>
        </Show>
    }
}

/// What an admin decided about a person waiting for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Approve(Role),
    Remove,
}

/// The menu of a member row with status "Needs approval".
#[component]
pub fn ApprovalActions(
    member: MemberRow,
    tailnet: TailnetId,
    /// The viewer's role: the dialog offers only roles they may give.
    granter: Role,
    notice: RwSignal<Option<Notice>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let approving = RwSignal::new(false);
    let removing = RwSignal::new(false);
    let role = RwSignal::new(member.role);
    let trigger = NodeRef::<html::Button>::new();
    let label = member.email.clone();

    let (user, run_label) = (member.user_id.clone(), label.clone());
    let decide = confirmable_action(move |decision: &Decision, retry| {
        let (decision, tailnet, user, label) =
            (*decision, tailnet.clone(), user.clone(), run_label.clone());
        async move {
            let result = match decision {
                Decision::Approve(role) => {
                    approve_user(tailnet, user, Some(role)).await.map(|role| {
                        Notice::done(format!(
                            "{label} is approved and active as {}.",
                            role.label()
                        ))
                    })
                }
                Decision::Remove => remove_waiting_user(tailnet, user)
                    .await
                    .map(|()| Notice::done(format!("{label} was removed from the tailnet."))),
            };
            match result {
                Ok(done) => {
                    refresh.run(());
                    notice.set(Some(done));
                }
                Err(error) => {
                    if let Some(error) = ask_to_confirm(error, retry) {
                        notice.set(Some(Notice::failed(&error)));
                    }
                }
            }
        }
    });
    let items = vec![
        MenuItem::new("Approve", move || approving.set(true)),
        MenuItem::new("Remove", move || removing.set(true)).danger(),
    ];
    let close = move |dialog: RwSignal<bool>| {
        dialog.set(false);
        focus_button(trigger);
    };
    let approve_title = format!("Approve {label}?");
    let remove_title = format!("Remove {label}?");

    view! {
        <RowMenu
            label=format!("Actions for {label}")
            id=format!("actions-{}", member.user_id)
            items
            trigger
            busy=decide.pending()
        />
        <Show when=move || approving.get()>
            <ConfirmDialog
                id="confirm-approve".to_owned()
                title=approve_title.clone()
                confirm_label="Approve"
                role="dialog"
                on_confirm=Callback::new(move |()| {
                    approving.set(false);
                    decide.dispatch(Decision::Approve(role.get_untracked()));
                })
                on_cancel=Callback::new(move |()| close(approving))
            >
                <p>"They become Active at once, with the role chosen here."</p>
                <RoleSelect id="approve-role" role granter />
            </ConfirmDialog>
        </Show>
        <Show when=move || removing.get()>
            <ConfirmDialog
                id="confirm-remove".to_owned()
                title=remove_title.clone()
                confirm_label="Remove"
                danger=true
                on_confirm=Callback::new(move |()| {
                    removing.set(false);
                    decide.dispatch(Decision::Remove);
                })
                on_cancel=Callback::new(move |()| close(removing))
            >
                <p>"They leave the tailnet without ever joining it. Another invite can bring them back."</p>
            </ConfirmDialog>
        </Show>
    }
}
