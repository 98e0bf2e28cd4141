//! The admin console's navigation between a tailnet's pages.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::audit::model::audit_log_path;
use crate::auth::model::users_path;
use crate::ids::TailnetId;
use crate::oidc::model::oidc_clients_path;
use crate::tailscale_api::model::keys_path;
use crate::webhooks::model::webhooks_path;

/// The "General settings" page of a tailnet.
pub fn settings_path(tailnet: &TailnetId) -> String {
    format!("/admin/{tailnet}/settings")
}

/// The page the navigation marks as current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminSection {
    Users,
    AuditLogs,
    Settings,
    OidcClients,
    Keys,
    Webhooks,
}

/// Every page needs the same right to read (any role but Member), so whoever sees one may see
/// all of them.
#[component]
pub fn AdminNav(tailnet: Memo<TailnetId>, current: AdminSection) -> impl IntoView {
    let marked = move |section: AdminSection| (section == current).then_some("page");
    view! {
        <nav class="subnav" aria-label="Admin console">
            <a href=move || users_path(&tailnet.get()) aria-current=marked(AdminSection::Users)>
                "Users"
            </a>
            <a
                href=move || audit_log_path(&tailnet.get())
                aria-current=marked(AdminSection::AuditLogs)
            >
                "Configuration audit logs"
            </a>
            <a
                href=move || settings_path(&tailnet.get())
                aria-current=marked(AdminSection::Settings)
            >
                "General settings"
            </a>
            <a
                href=move || oidc_clients_path(&tailnet.get())
                aria-current=marked(AdminSection::OidcClients)
            >
                "OIDC clients"
            </a>
            <a href=move || keys_path(&tailnet.get()) aria-current=marked(AdminSection::Keys)>
                "Keys"
            </a>
            <a
                href=move || webhooks_path(&tailnet.get())
                aria-current=marked(AdminSection::Webhooks)
            >
                "Webhooks"
            </a>
        </nav>
    }
}

/// The tailnet named by the page's `:tailnet` path segment.
pub fn tailnet_from_path() -> Memo<TailnetId> {
    let params = use_params_map();
    Memo::new(move |_| TailnetId::from_raw(params.read().get("tailnet").unwrap_or_default()))
}
