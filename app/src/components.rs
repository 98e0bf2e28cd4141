//! Building blocks shared by the pages.

pub mod access_problem;
pub mod admin_nav;
pub mod alert;
pub mod browser_only;
pub mod clipboard;
pub mod debounce;
pub mod dialog;
pub mod field;
pub mod focus_trap;
pub mod home_page;
pub mod hydrated;
pub mod join_network;
pub mod not_found;
pub mod pager;
pub mod passkey_button;
pub mod role_select;
pub mod server_resource;

use crate::auth::model::SignedInUser;
use crate::components::server_resource::{ServerResource, server_resource};
use crate::error::AppError;

/// The signed-in person (or `None`).
#[derive(Clone, Copy)]
pub struct CurrentUser(pub ServerResource<Result<Option<SignedInUser>, AppError>>);

/// A resource of the signed-in person for one `<Suspense>`. Each boundary gets its own: Leptos
/// 0.8 can leave a server-rendered response unfinished when two boundaries await one resource
/// (leptos-rs/leptos#4851), which hung pages now and then. The extra look-up is one indexed read.
pub fn use_current_user() -> CurrentUser {
    CurrentUser(server_resource(
        || (),
        |()| crate::auth::api::current_user(),
    ))
}

/// A full page load of `path`: after signing in or out, everything on the page changes.
pub fn load_page(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Sets the response status while rendering on the server (no effect in the browser).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(response), Ok(status)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(code),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
