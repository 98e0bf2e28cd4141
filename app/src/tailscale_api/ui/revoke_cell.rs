//! The "Revoke" cell of a key's row (an access token or an OAuth client): asks first, then
//! revokes through the server and reports on the page.

use leptos::html;
use leptos::prelude::*;

use super::keys_page::Outcome;
use crate::components::dialog::ConfirmDialog;
use crate::ids::TailnetId;
use crate::passkeys::ui::confirm_gate::{confirmable_action, through_gate};
use crate::tailscale_api::api::{revoke_api_token, revoke_oauth_client};

/// Which kind of key a row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    AccessToken,
    OauthClient,
}

#[component]
pub fn RevokeCell(
    tailnet: TailnetId,
    kind: KeyKind,
    /// The key's id.
    id: String,
    /// How the page names the key.
    name: String,
    /// The id of the row's heading, which describes the button.
    described_by: String,
    /// Whether it still works (no button otherwise).
    live: bool,
    outcome: Outcome,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    let revoke = confirmable_action(move |(): &(), retry| {
        let (tailnet, id) = (tailnet.clone(), id.clone());
        async move {
            let done = match kind {
                KeyKind::AccessToken => revoke_api_token(tailnet, id).await,
                KeyKind::OauthClient => revoke_oauth_client(tailnet, id).await,
            };
            through_gate(done, retry)
        }
    });
    {
        let name = name.clone();
        Effect::new(move || match revoke.value().get() {
            Some(Ok(Some(()))) => {
                outcome.failure.set(None);
                outcome
                    .notice
                    .set(Some(format!("{name} revoked. It no longer works.")));
                outcome.refresh.run(());
            }
            Some(Err(error)) => {
                outcome.notice.set(None);
                outcome.failure.set(Some(error.to_string()));
            }
            _ => {}
        });
    }
    let consequence = match kind {
        KeyKind::AccessToken => "Scripts using it stop working at once. This cannot be undone.",
        KeyKind::OauthClient => {
            "Its access tokens stop working at once and it cannot get new ones. This cannot be undone."
        }
    };
    let title = format!("Revoke {name}?");
    view! {
        <td class="row-actions">
            {live
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="danger"
                            node_ref=button
                            aria-describedby=described_by.clone()
                            disabled=move || revoke.pending().get()
                            on:click=move |_| asking.set(true)
                        >
                            "Revoke"
                        </button>
                    }
                })}
            <Show when=move || asking.get()>
                <ConfirmDialog
                    id="revoke-key".to_owned()
                    title=title.clone()
                    confirm_label="Revoke"
                    danger=true
                    on_confirm=Callback::new(move |()| {
                        asking.set(false);
                        revoke.dispatch(());
                    })
                    on_cancel=Callback::new(move |()| {
                        asking.set(false);
                        if let Some(button) = button.get_untracked() {
                            let _ = button.focus();
                        }
                    })
                >
                    <p>{consequence}</p>
                </ConfirmDialog>
            </Show>
        </td>
    }
}
