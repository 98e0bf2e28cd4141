//! `/invite/:token`: the public page an invite link opens. Every unusable link (unknown,
//! expired, deleted, used) gets the same page and status.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::set_status;
use crate::format::utc_date;
use crate::invites::api::inspect_invite;
use crate::invites::model::{INVALID_INVITE_MESSAGE, InvitePreview};

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let invite = Resource::new(token, inspect_invite);
    view! {
        <Title text="Invitation" />
        <Suspense fallback=|| view! { <p class="muted">"Checking your invite…"</p> }>
            {move || Suspend::new(async move {
                match invite.await {
                    Ok(preview) => view! { <InviteDetails preview /> }.into_any(),
                    Err(error) => {
                        set_status(error.status_code());
                        view! {
                            <section class="card narrow">
                                <h1>"Invite not valid"</h1>
                                <p role="alert">{INVALID_INVITE_MESSAGE}</p>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn InviteDetails(preview: InvitePreview) -> impl IntoView {
    let inviter = preview
        .inviter_name
        .unwrap_or_else(|| "An admin".to_owned());
    view! {
        <section class="card narrow">
            <h1>{format!("Join {}", preview.tailnet_name)}</h1>
            <p>
                {format!(
                    "{inviter} invited you to join the tailnet {} as {}.",
                    preview.tailnet_name,
                    preview.role.label(),
                )}
            </p>
            {preview.email.map(|email| view! { <p class="muted">{format!("This invite is for {email}.")}</p> })}
            <p class="muted">
                {format!("The invite works once and expires on {} (UTC).", utc_date(preview.expires_at))}
            </p>
        </section>
    }
}
