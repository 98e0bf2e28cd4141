//! The pages that load their own part of the wasm when first visited (`cargo leptos build
//! --split`): every page but the invite page, which an invitee opens first and which must be
//! ready at once. Each marks the page hydrated when its own part has hydrated.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use crate::audit::ui::audit_log_page::AuditLogPage;
use crate::auth::ui::login_page::LoginPage;
use crate::components::home_page::HomePage;
use crate::components::hydrated::MarkHydrated;
use crate::invites::ui::welcome_page::WelcomePage;
use crate::members::ui::users_page::UsersPage;
use crate::oidc::ui::clients_page::OidcClientsPage;
use crate::passkeys::ui::account_page::AccountPage;
use crate::recovery::ui::recovery_page::RecoveryPage;
use crate::setup::ui::setup_page::SetupPage;
use crate::tailnets::ui::settings_page::GeneralSettingsPage;
use crate::tailscale_api::ui::keys_page::KeysPage;
use crate::webhooks::ui::webhooks_page::WebhooksPage;

/// `LazyRoute::view` returns an `AnyView`: the one place Gatehouse type-erases a view
/// (`clippy.toml` forbids `into_any` elsewhere).
#[allow(clippy::disallowed_methods)]
fn type_erased(view: impl IntoView + 'static) -> AnyView {
    view.into_any()
}

/// A route whose page is split off: `$route` loads `$page`.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[doc = concat!("[`", stringify!($page), "`], loaded when first visited.")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                type_erased(view! {
                    <$page />
                    <MarkHydrated />
                })
            }
        }
    };
}

lazy_page!(UsersRoute, UsersPage);
lazy_page!(SettingsRoute, GeneralSettingsPage);
lazy_page!(KeysRoute, KeysPage);
lazy_page!(OidcClientsRoute, OidcClientsPage);
lazy_page!(AuditLogRoute, AuditLogPage);
lazy_page!(WebhooksRoute, WebhooksPage);
lazy_page!(AccountRoute, AccountPage);
lazy_page!(RecoveryRoute, RecoveryPage);
lazy_page!(WelcomeRoute, WelcomePage);
lazy_page!(HomeRoute, HomePage);
lazy_page!(LoginRoute, LoginPage);
lazy_page!(SetupRoute, SetupPage);
