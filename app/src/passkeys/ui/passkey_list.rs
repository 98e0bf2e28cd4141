//! The Account page's "Passkeys" section: each passkey's name, when it was added and last
//! used, and whether it is synced, with "Rename" and "Delete"; and "Add passkey".

use leptos::html;
use leptos::prelude::*;

use super::account_state::AccountPageState;
use super::confirm_gate::confirmable_action;
use crate::components::browser_only::browser_action;
use crate::components::dialog::ConfirmDialog;
use crate::components::passkey_button::PasskeyButton;
use crate::error::AppError;
use crate::format::{utc_date, utc_minute};
use crate::ids::PasskeyId;
use crate::passkeys::api::{delete_passkey, finish_add_passkey, rename_passkey, start_add_passkey};
use crate::passkeys::browser::create_passkey;
use crate::passkeys::model::{MAX_PASSKEY_NAME_CHARS, PasskeySummary};

/// "Add passkey", with the name typed (empty: "Passkey N"); the answer is what the page
/// announces.
async fn add_passkey(name: String) -> Result<String, AppError> {
    let challenge = start_add_passkey().await?;
    let credential = create_passkey(challenge.options)
        .await
        .map_err(|e| AppError::validation("passkey", e.to_string()))?;
    finish_add_passkey(challenge.ceremony, credential, name).await?;
    Ok("Passkey added. You can sign in with it now.".to_owned())
}

/// "Delete" the passkey `id` called `name`.
async fn delete_named_passkey(id: PasskeyId, name: String) -> Result<String, AppError> {
    delete_passkey(id).await?;
    Ok(format!(
        "Passkey “{name}” deleted. It can no longer sign in."
    ))
}

#[component]
pub fn PasskeyList(
    passkeys: Vec<PasskeySummary>,
    /// The passkey this browser signed in with.
    current: Option<PasskeyId>,
    page: AccountPageState,
) -> impl IntoView {
    let deletable = passkeys.len() > 1;
    let rows = passkeys
        .into_iter()
        .map(|passkey| {
            let in_use_here = current.as_ref() == Some(&passkey.id);
            view! { <PasskeyRow passkey deletable in_use_here page /> }
        })
        .collect_view();
    view! {
        <section aria-labelledby="passkeys-heading">
            <h2 id="passkeys-heading">"Passkeys"</h2>
            <p class="muted">
                "Sign in with any of these. Add a passkey on each device you use, or one that syncs, so that losing a device does not lock you out."
            </p>
            <table class="passkeys" aria-labelledby="passkeys-heading">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Added"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Synced"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {(!deletable)
                .then(|| {
                    view! {
                        <p class="muted">
                            "This is your only passkey, so it cannot be deleted. Add another passkey first."
                        </p>
                    }
                })}
            <AddPasskey page />
        </section>
    }
}

/// Which dialog of a row is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowDialog {
    Rename,
    Delete,
}

#[component]
fn PasskeyRow(
    passkey: PasskeySummary,
    deletable: bool,
    in_use_here: bool,
    page: AccountPageState,
) -> impl IntoView {
    let open = RwSignal::new(None::<RowDialog>);
    let new_name = RwSignal::new(passkey.name.clone());
    let rename_button = NodeRef::<html::Button>::new();
    let delete_button = NodeRef::<html::Button>::new();
    let id = passkey.id.clone();
    let rename = browser_action(move |name: &String| {
        let (id, name) = (id.clone(), name.clone());
        async move {
            let result = rename_passkey(id, name.clone())
                .await
                .map(|()| format!("Passkey renamed to “{}”.", name.trim()));
            page.finish(result, None);
        }
    });
    let (delete_id, delete_name) = (passkey.id.clone(), passkey.name.clone());
    let delete = confirmable_action(move |(): &(), retry| {
        let (id, name) = (delete_id.clone(), delete_name.clone());
        async move {
            let result = delete_named_passkey(id, name).await;
            page.finish(result, Some(retry));
        }
    });
    let close = move |button: NodeRef<html::Button>| {
        Callback::new(move |()| {
            open.set(None);
            if let Some(button) = button.get_untracked() {
                let _ = button.focus();
            }
        })
    };
    let name = passkey.name.clone();
    let last_used = passkey
        .last_used_at
        .map(utc_minute)
        .unwrap_or_else(|| "Never".to_owned());
    let delete_cell = deletable.then(|| {
        view! {
            <button
                type="button"
                class="danger"
                node_ref=delete_button
                aria-label=format!("Delete {name}")
                aria-busy=move || delete.pending().get().to_string()
                disabled=move || delete.pending().get()
                on:click=move |_| open.set(Some(RowDialog::Delete))
            >
                "Delete"
            </button>
        }
    });
    let (rename_title, delete_title) = (
        format!("Rename {}", passkey.name),
        format!("Delete passkey “{}”?", passkey.name),
    );
    view! {
        <tr>
            <td>
                <span class="passkey-name">{passkey.name.clone()}</span>
                {in_use_here.then(|| view! { <span class="sub">"Signed in here"</span> })}
            </td>
            <td>{utc_date(passkey.created_at)}</td>
            <td>{last_used}</td>
            <td>{passkey.sync.label()}</td>
            <td class="row-actions">
                <button
                    type="button"
                    node_ref=rename_button
                    aria-label=format!("Rename {}", passkey.name)
                    on:click=move |_| open.set(Some(RowDialog::Rename))
                >
                    "Rename"
                </button>
                {delete_cell}
                <Show when=move || open.get() == Some(RowDialog::Rename)>
                    <ConfirmDialog
                        id="rename-passkey".to_owned()
                        title=rename_title.clone()
                        confirm_label="Rename"
                        role="dialog"
                        on_confirm=Callback::new(move |()| {
                            open.set(None);
                            rename.dispatch(new_name.get_untracked());
                        })
                        on_cancel=close(rename_button)
                    >
                        <div class="field">
                            <label for="passkey-name">"Passkey name"</label>
                            <input
                                id="passkey-name"
                                type="text"
                                maxlength=MAX_PASSKEY_NAME_CHARS.to_string()
                                bind:value=new_name
                                on:keydown=move |event| {
                                    if event.key() == "Enter" {
                                        event.prevent_default();
                                        open.set(None);
                                        rename.dispatch(new_name.get_untracked());
                                    }
                                }
                            />
                        </div>
                    </ConfirmDialog>
                </Show>
                <Show when=move || open.get() == Some(RowDialog::Delete)>
                    <ConfirmDialog
                        id="delete-passkey".to_owned()
                        title=delete_title.clone()
                        confirm_label="Delete passkey"
                        danger=true
                        on_confirm=Callback::new(move |()| {
                            open.set(None);
                            delete.dispatch(());
                        })
                        on_cancel=close(delete_button)
                    >
                        <p>
                            "You can no longer sign in with it, and other browsers it signed in are signed out. The authenticator may still list it; remove it there too."
                        </p>
                    </ConfirmDialog>
                </Show>
            </td>
        </tr>
    }
}

/// "Add passkey", with an optional name.
#[component]
fn AddPasskey(page: AccountPageState) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let add = confirmable_action(move |typed: &String, retry| {
        let typed = typed.clone();
        async move {
            let result = add_passkey(typed).await;
            if result.is_ok() {
                name.set(String::new());
            }
            page.finish(result, Some(retry));
        }
    });
    view! {
        <form
            class="add-passkey"
            on:submit=move |event| {
                event.prevent_default();
                add.dispatch(name.get_untracked());
            }
        >
            <div class="field">
                <label for="new-passkey-name">"Name for the new passkey (optional)"</label>
                <input
                    id="new-passkey-name"
                    type="text"
                    maxlength=MAX_PASSKEY_NAME_CHARS.to_string()
                    placeholder="e.g. Work laptop"
                    bind:value=name
                />
            </div>
            <PasskeyButton label="Add passkey" kind="submit" pending=add.pending() />
        </form>
    }
}
