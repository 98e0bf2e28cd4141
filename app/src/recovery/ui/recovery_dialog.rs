//! "Recovery link" in a member's row menu: asks first, then shows the one-time link once (and
//! copies it) in the Users page's notice.

use leptos::prelude::*;

use crate::components::clipboard::copy_to_clipboard;
use crate::components::dialog::ConfirmDialog;
use crate::format::utc_minute;
use crate::ids::{TailnetId, UserId};
use crate::members::ui::row_actions::Notice;
use crate::passkeys::ui::confirm_gate::ask_to_confirm;
use crate::recovery::api::issue_recovery_link;

/// Issues the link and returns the notice that says where it went: to the person's address
/// when email is configured, otherwise shown here once (and copied). `None` while the page asks
/// the admin to confirm it's them (`retry` issues it again afterwards).
pub async fn issue_and_show(
    tailnet: TailnetId,
    user: UserId,
    label: String,
    retry: Callback<()>,
) -> Option<Notice> {
    let notice = match issue_recovery_link(tailnet, user).await {
        Ok(issued) => {
            let until = utc_minute(issued.expires_at);
            let Some(link) = issued.link else {
                return Some(Notice::done(format!(
                    "A recovery link, valid once until {until}, is on its way to {label} by \
                     email. Only they receive it."
                )));
            };
            let copied = copy_to_clipboard(link.clone()).await;
            let mut text = format!("Recovery link for {label}, valid once until {until}.");
            text.push_str(if copied {
                " Copied to the clipboard: give it only to them. It is not shown again."
            } else {
                " Give it only to them. It is not shown again."
            });
            Notice {
                text,
                is_error: false,
                link: Some((link, copied)),
                link_label: "Recovery link",
            }
        }
        Err(error) => Notice::failed(&ask_to_confirm(error, retry)?),
    };
    Some(notice)
}

#[component]
pub fn RecoveryLinkDialog(
    label: String,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        <ConfirmDialog
            id="recovery-link".to_owned()
            title=format!("Create a recovery link for {label}?")
            confirm_label="Create recovery link"
            role="dialog"
            on_confirm
            on_cancel
        >
            <p>
                "For someone who lost their passkeys: the link lets them create a new passkey and sign in. It works once, for 24 hours, and signs them out everywhere else. A newer link replaces this one."
            </p>
        </ConfirmDialog>
    }
}
