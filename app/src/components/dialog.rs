//! A modal confirmation: a title, a body, the confirming button (focused when it opens) and
//! "Cancel". Tab stays inside it and Escape cancels.

use leptos::html;
use leptos::prelude::*;

use super::focus_trap::keep_tab_inside;

#[component]
pub fn ConfirmDialog(
    /// Prefix of the ids that label and describe the dialog.
    id: String,
    title: String,
    confirm_label: &'static str,
    /// `alertdialog` for something that cannot be undone, `dialog` otherwise.
    #[prop(default = "alertdialog")]
    role: &'static str,
    #[prop(optional)] danger: bool,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    let confirm = NodeRef::<html::Button>::new();
    Effect::new(move || {
        if let Some(button) = confirm.get() {
            let _ = button.focus();
        }
    });
    let (title_id, body_id) = (format!("{id}-title"), format!("{id}-body"));
    let (labelled_by, described_by) = (title_id.clone(), body_id.clone());
    view! {
        <div class="modal-backdrop">
            <div
                class="modal"
                role=role
                aria-modal="true"
                aria-labelledby=labelled_by
                aria-describedby=described_by
                node_ref=dialog
                on:keydown=move |event| {
                    if event.key() == "Escape" {
                        event.stop_propagation();
                        on_cancel.run(());
                    } else {
                        keep_tab_inside(&event, dialog.get_untracked().map(Into::into));
                    }
                }
            >
                <h2 id=title_id>{title}</h2>
                <div id=body_id>{children()}</div>
                <div class="actions">
                    <button
                        type="button"
                        class=if danger { "danger" } else { "primary" }
                        node_ref=confirm
                        on:click=move |_| on_confirm.run(())
                    >
                        {confirm_label}
                    </button>
                    <button type="button" on:click=move |_| on_cancel.run(())>
                        "Cancel"
                    </button>
                </div>
            </div>
        </div>
    }
}
