//! The "Role" drop-down for giving someone a role: Member first (the default), never Owner.

use leptos::prelude::*;

use crate::invites::model::INVITABLE_ROLES;
use crate::roles::Role;

/// The "Role" drop-down of an invite: Member first (the default), never Owner; `exclude`
/// leaves out a role the viewer may not give (an IT admin cannot make Admins).
#[component]
pub fn RoleSelect(
    id: &'static str,
    role: RwSignal<Role>,
    #[prop(default = None)] exclude: Option<Role>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Role"</label>
            <select id=id on:change=move |event| {
                if let Some(chosen) = Role::parse(&event_target_value(&event)) {
                    role.set(chosen);
                }
            }>
                {INVITABLE_ROLES
                    .into_iter()
                    .filter(|r| Some(*r) != exclude)
                    .map(|r| {
                        view! {
                            <option value=r.as_str() selected=move || role.get() == r>
                                {r.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}
