//! The menu of an active or suspended member's row: "Change role", "Transfer ownership",
//! "Suspend user" or "Restore user", and "Remove user". It offers only what
//! [`check_member_change`] allows the viewer; the server checks the same rules again.

use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;

use super::row_actions::Notice;
use super::row_menu::{MenuItem, RowMenu, focus_button};
use crate::components::dialog::ConfirmDialog;
use crate::components::role_select::RoleSelect;
use crate::ids::TailnetId;
use crate::members::api::manage_member;
use crate::members::model::{
    MemberChange, MemberRow, MemberState, RowStatus, ViewerRights, check_member_change,
};
use crate::passkeys::ui::confirm_gate::{ask_to_confirm, confirmable_action};
use crate::recovery::model::offers_recovery_link;
use crate::recovery::ui::recovery_dialog::{RecoveryLinkDialog, issue_and_show};
use crate::roles::{MemberStatus, Role};
use crate::tailnets::ui::leave_dialog::LeaveTailnetDialog;

/// Which dialog is open: the role choice, or the confirmation of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asking {
    ChangeRole,
    Confirm(MemberChange),
    RecoveryLink,
}

/// A confirmation's id, title, button and explanation.
fn confirmation(
    change: MemberChange,
    label: &str,
) -> (&'static str, String, &'static str, &'static str) {
    match change {
        MemberChange::TransferOwnership => (
            "transfer-ownership",
            format!("Make {label} the Owner?"),
            "Transfer ownership",
            "There is one Owner. You become an Admin, and only the new Owner can give ownership back.",
        ),
        MemberChange::Suspend => (
            "suspend-user",
            format!("Suspend {label}?"),
            "Suspend user",
            "They lose access to this tailnet at once, and keep their role for when they are restored.",
        ),
        _ => (
            "remove-user",
            format!("Remove {label}?"),
            "Remove user",
            "Their membership ends at once. Their account stays, so an invite can bring them back.",
        ),
    }
}

/// What the notice says after `change` succeeded for `label`.
fn done_text(change: MemberChange, label: &str) -> String {
    match change {
        MemberChange::ChangeRole(role) => format!("{label} is now {}.", role.label()),
        MemberChange::TransferOwnership => {
            format!("{label} is now the Owner. You are an Admin.")
        }
        MemberChange::Suspend => format!("{label} is suspended and cannot use the tailnet."),
        MemberChange::Restore => format!("{label} is active again."),
        MemberChange::Remove => format!("{label} was removed from the tailnet."),
    }
}

/// The menu, or nothing when the viewer may do nothing to this member.
#[component]
pub fn MemberActions(
    member: MemberRow,
    tailnet: TailnetId,
    viewer: ViewerRights,
    notice: RwSignal<Option<Notice>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let status = if member.status == RowStatus::Suspended {
        MemberStatus::Suspended
    } else {
        MemberStatus::Active
    };
    let state = MemberState {
        user: &member.user_id,
        role: member.role,
        status,
    };
    let allows = |change| check_member_change(&viewer.user, viewer.role, &state, change).is_ok();
    let asking = RwSignal::new(None::<Asking>);
    let trigger = NodeRef::<html::Button>::new();
    let label = member.email.clone();
    let ask = move |what| move || asking.set(Some(what));
    let mut items = Vec::new();
    if allows(MemberChange::ChangeRole(Role::Member)) {
        items.push(MenuItem::new("Change role", ask(Asking::ChangeRole)));
    }
    if allows(MemberChange::TransferOwnership) {
        items.push(MenuItem::new(
            "Transfer ownership",
            ask(Asking::Confirm(MemberChange::TransferOwnership)),
        ));
    }
    if allows(MemberChange::Suspend) {
        items.push(MenuItem::new(
            "Suspend user",
            ask(Asking::Confirm(MemberChange::Suspend)),
        ));
    }
    let (user, run_label) = (member.user_id.clone(), label.clone());
    let leave_tailnet_id = tailnet.clone();
    let (recovery_tailnet, recovery_user, recovery_label) =
        (tailnet.clone(), member.user_id.clone(), label.clone());
    let recover = confirmable_action(move |(): &(), retry| {
        let (tailnet, user, label) = (
            recovery_tailnet.clone(),
            recovery_user.clone(),
            recovery_label.clone(),
        );
        async move {
            if let Some(shown) = issue_and_show(tailnet, user, label, retry).await {
                notice.set(Some(shown));
            }
        }
    });
    let run = confirmable_action(move |change: &MemberChange, retry| {
        let (change, tailnet, user, label) =
            (*change, tailnet.clone(), user.clone(), run_label.clone());
        async move {
            match manage_member(tailnet, user, change).await {
                Ok(()) => {
                    refresh.run(());
                    notice.set(Some(Notice::done(done_text(change, &label))));
                }
                Err(error) => {
                    if let Some(error) = ask_to_confirm(error, retry) {
                        notice.set(Some(Notice::failed(&error)));
                    }
                }
            }
        }
    });
    if allows(MemberChange::Restore) {
        items.push(MenuItem::new("Restore user", move || {
            run.dispatch(MemberChange::Restore);
        }));
    }
    if allows(MemberChange::Remove) {
        items.push(
            MenuItem::new("Remove user", ask(Asking::Confirm(MemberChange::Remove))).danger(),
        );
    }
    let is_own_row = member.user_id == viewer.user;
    let dialog_label = label.clone();
    if offers_recovery_link(viewer.role, is_own_row, member.role) {
        items.push(MenuItem::new("Recovery link", ask(Asking::RecoveryLink)));
    }
    let leaving = RwSignal::new(false);
    if is_own_row && viewer.can_leave {
        items.push(MenuItem::new("Leave tailnet", move || leaving.set(true)).danger());
    }
    if items.is_empty() {
        return Either::Left(());
    }

    let new_role = RwSignal::new(member.role);
    let confirm = move |change: MemberChange| {
        Callback::new(move |()| {
            asking.set(None);
            run.dispatch(change);
        })
    };
    let cancel = Callback::new(move |()| {
        asking.set(None);
        focus_button(trigger);
    });
    let shows = move |what| move || asking.get() == Some(what);
    let granter = viewer.role;
    let (leave_tailnet_id, tailnet_name) = (leave_tailnet_id, viewer.tailnet_name.clone());
    let id = member.user_id.to_string();
    let role_title = format!("Change the role of {label}");

    Either::Right(view! {
        <RowMenu
            label=format!("Actions for {label}")
            id=format!("actions-{id}")
            items
            trigger
            busy=Signal::derive(move || run.pending().get() || recover.pending().get())
        />
        <Show when=move || leaving.get()>
            <LeaveTailnetDialog
                tailnet=leave_tailnet_id.clone()
                tailnet_name=tailnet_name.clone()
                on_cancel=Callback::new(move |()| {
                    leaving.set(false);
                    focus_button(trigger);
                })
            />
        </Show>
        <Show when=shows(Asking::RecoveryLink)>
            <RecoveryLinkDialog
                label=dialog_label.clone()
                on_confirm=Callback::new(move |()| {
                    asking.set(None);
                    recover.dispatch(());
                })
                on_cancel=cancel
            />
        </Show>
        <Show when=shows(Asking::ChangeRole)>
            <ConfirmDialog
                id="change-role".to_owned()
                title=role_title.clone()
                confirm_label="Change role"
                role="dialog"
                on_confirm=Callback::new(move |()| {
                    asking.set(None);
                    run.dispatch(MemberChange::ChangeRole(new_role.get_untracked()));
                })
                on_cancel=cancel
            >
                <p>"The new role applies at once."</p>
                <RoleSelect id="new-role" role=new_role granter />
            </ConfirmDialog>
        </Show>
        {move || match asking.get() {
            Some(Asking::Confirm(change)) => {
                let (id, title, confirm_label, text) = confirmation(change, &label);
                Some(
                    view! {
                        <ConfirmDialog
                            id=id.to_owned()
                            title
                            confirm_label
                            danger=true
                            on_confirm=confirm(change)
                            on_cancel=cancel
                        >
                            <p>{text}</p>
                        </ConfirmDialog>
                    },
                )
            }
            _ => None,
        }}
    })
}
