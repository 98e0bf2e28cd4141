//! The HTML shell, the `App` component and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::audit::ui::audit_log_page::AuditLogPage;
use crate::auth::ui::account_menu::AccountMenu;
use crate::auth::ui::login_page::LoginPage;
use crate::components::home_page::HomePage;
use crate::components::not_found::NotFoundPage;
use crate::invites::ui::invite_page::InvitePage;
use crate::invites::ui::welcome_page::WelcomePage;
use crate::members::ui::users_page::UsersPage;
use crate::oidc::ui::clients_page::OidcClientsPage;
use crate::passkeys::ui::account_page::AccountPage;
use crate::recovery::ui::recovery_page::RecoveryPage;
use crate::setup::ui::setup_page::SetupPage;
use crate::tailnets::ui::settings_page::GeneralSettingsPage;
use crate::tailscale_api::ui::keys_page::KeysPage;
use crate::webhooks::ui::webhooks_page::WebhooksPage;

/// The document around the app. On the server it also sets the Content-Security-Policy with
/// this response's nonce, which Leptos puts on its own inline scripts.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    // Beside the wasm and JS: `pkg`, or `v-<site id>/pkg` when the binary embeds the site.
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" id="leptos" href=stylesheet />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use axum::http::{HeaderValue, header};
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&policy),
    ) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Tests and people's scripts wait for this: clicks before hydration do nothing.
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|page: String| format!("{page} · Gatehouse") />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href="/">"Gatehouse"</a>
                <AccountMenu />
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/setup/:token") view=SetupPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async />
                    <Route path=path!("/welcome/:tailnet") view=WelcomePage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/recover/:token") view=RecoveryPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/:tailnet/users")
                        view=UsersPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/:tailnet/settings")
                        view=GeneralSettingsPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/admin/:tailnet/keys") view=KeysPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/:tailnet/oidc-clients")
                        view=OidcClientsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/:tailnet/webhooks")
                        view=WebhooksPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/:tailnet/logs")
                        view=AuditLogPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}
