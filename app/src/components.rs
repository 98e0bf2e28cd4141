//! Building blocks shared by the pages.

pub mod alert;
pub mod clipboard;
pub mod home_page;
pub mod not_found;

use leptos::prelude::*;

use crate::auth::model::SignedInUser;
use crate::error::AppError;

/// The signed-in person (or `None`), loaded once per page and shared through context.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<SignedInUser>, AppError>>);

pub fn use_current_user() -> Option<CurrentUser> {
    use_context::<CurrentUser>()
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
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::StatusCode::from_u16(code),
    ) {
        response.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
