//! The Account page's "Notifications": "Email me when someone needs approval", shown to people
//! who may approve members in some tailnet. Saved as soon as it is changed.

use leptos::prelude::*;

use crate::members::api::set_approval_emails;

#[component]
pub fn ApprovalEmailSetting(
    /// Whether the emails are on now.
    on: bool,
) -> impl IntoView {
    let save = Action::new(|on: &bool| set_approval_emails(*on));
    let saved = move || match save.value().get() {
        Some(Ok(())) => Some(("notice-line", "Saved.".to_owned())),
        Some(Err(error)) => Some(("field-error", error.to_string())),
        None => None,
    };
    view! {
        <section aria-labelledby="notifications-heading">
            <h2 id="notifications-heading">"Notifications"</h2>
            <div class="choice">
                <input
                    type="checkbox"
                    id="approval-emails"
                    aria-describedby="approval-emails-hint approval-emails-status"
                    checked=on
                    disabled=move || save.pending().get()
                    on:change=move |event| {
                        save.dispatch(event_target_checked(&event));
                    }
                />
                <span>
                    <label for="approval-emails">"Email me when someone needs approval"</label>
                    <span class="sub" id="approval-emails-hint">
                        "One email for each person who starts waiting in a tailnet where you may approve them, with a link to them on the Users page."
                    </span>
                </span>
            </div>
            <p id="approval-emails-status" aria-live="polite">
                {move || saved().map(|(class, text)| view! { <span class=class>{text}</span> })}
            </p>
        </section>
    }
}
