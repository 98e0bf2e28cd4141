//! The HTML shell, the `App` component and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use crate::auth::ui::account_menu::AccountMenu;
use crate::components::hydrated::{MarkHydrated, provide_hydration_tracking};
use crate::components::not_found::NotFoundPage;
use crate::invites::ui::invite_page::InvitePage;
use crate::lazy_routes::{
    AccountRoute, AuditLogRoute, HomeRoute, KeysRoute, LoginRoute, OidcClientsRoute, RecoveryRoute,
    SettingsRoute, SetupRoute, UsersRoute, WebhooksRoute, WelcomeRoute,
};

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
    provide_hydration_tracking();

    view! {
        <Title formatter=|page: String| format!("{page} · Gatehouse") />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href="/">"Gatehouse"</a>
                <AccountMenu />
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFoundPage /> <MarkHydrated /> }>
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/setup/:token") view={Lazy::<SetupRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/invite/:token")
                        view=|| view! { <InvitePage /> <MarkHydrated /> }
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/welcome/:tailnet") view={Lazy::<WelcomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/recover/:token") view={Lazy::<RecoveryRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/:tailnet/users")
                        view={Lazy::<UsersRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/:tailnet/settings")
                        view={Lazy::<SettingsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/admin/:tailnet/keys") view={Lazy::<KeysRoute>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("/admin/:tailnet/oidc-clients")
                        view={Lazy::<OidcClientsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/:tailnet/webhooks")
                        view={Lazy::<WebhooksRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/admin/:tailnet/logs")
                        view={Lazy::<AuditLogRoute>::new()}
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}
