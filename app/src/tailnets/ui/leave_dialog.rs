//! The confirmation of "Leave tailnet", shared by the Users page's own-row menu and the
//! sign-in page's list of tailnets. On success the person lands on `/login`, which lists the
//! tailnets they still belong to.

use leptos::prelude::*;

use crate::components::alert::ErrorAlert;
use crate::components::browser_only::browser_action;
use crate::components::dialog::ConfirmDialog;
use crate::components::load_page;
use crate::ids::TailnetId;
use crate::tailnets::api::leave_tailnet;

#[component]
pub fn LeaveTailnetDialog(
    tailnet: TailnetId,
    tailnet_name: String,
    /// Closes the dialog (and returns focus to what opened it).
    on_cancel: Callback<()>,
) -> impl IntoView {
    let leave = browser_action(move |(): &()| {
        let tailnet = tailnet.clone();
        async move {
            leave_tailnet(tailnet).await?;
            load_page("/login");
            Ok::<(), crate::error::AppError>(())
        }
    });
    let failure = Signal::derive(move || {
        leave
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| error.to_string())
    });
    view! {
        <ConfirmDialog
            id="leave-tailnet".to_owned()
            title=format!("Leave {tailnet_name}?")
            confirm_label="Leave tailnet"
            danger=true
            on_confirm=Callback::new(move |()| {
                leave.dispatch(());
            })
            on_cancel
        >
            <p>
                "You lose access to " {tailnet_name.clone()}
                " at once. Your account and your other tailnets stay; an invite can bring you back."
            </p>
            <ErrorAlert message=failure />
        </ConfirmDialog>
    }
}
