//! The "Role" drop-down for giving someone a role: Member first (the default), never Owner,
//! and only the roles the person choosing may give.

use leptos::prelude::*;

use crate::invites::model::INVITABLE_ROLES;
use crate::roles::{Role, may_grant};

/// The "Role" drop-down of an invite, an approval or a role change: Member first (the
/// default), never Owner, and only roles that `granter` may give ([`may_grant`]: an IT admin is
/// not offered Admin). The server checks the same rule.
#[component]
pub fn RoleSelect(id: &'static str, role: RwSignal<Role>, granter: Role) -> impl IntoView {
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
                    .filter(|r| may_grant(granter, *r))
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
