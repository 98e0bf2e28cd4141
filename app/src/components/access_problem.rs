//! Why an admin page is not shown, in words; the status code was set by the server function.

use leptos::prelude::*;

use super::set_status;
use crate::auth::model::login_path;
use crate::error::AppError;

/// `what` completes "Only admins of this tailnet can see …"; `subject` completes
/// "… could not be loaded".
#[component]
pub fn AccessProblem(error: AppError, what: &'static str, subject: &'static str) -> impl IntoView {
    set_status(error.status_code());
    let (title, body) = match &error {
        AppError::Unauthenticated => (
            "Please sign in".to_owned(),
            "Sign in with your passkey to see this page.".to_owned(),
        ),
        AppError::Forbidden => (
            "You don't have access to this page".to_owned(),
            format!(
                "Only admins of this tailnet can see {what}. Ask an Owner or Admin if you need access."
            ),
        ),
        _ => (format!("{subject} could not be loaded"), error.to_string()),
    };
    let sign_in = matches!(error, AppError::Unauthenticated);
    // Signed in, the person comes back to this very page.
    let location = leptos_router::hooks::use_location();
    let (path, query) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    let here = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    view! {
        <section class="card narrow">
            <h1>{title}</h1>
            <p role="alert">{body}</p>
            {sign_in
                .then(|| {
                    view! { <a class="button primary" href=login_path(&here)>"Sign in"</a> }
                })}
            {(!sign_in).then(|| view! { <a href="/">"Go to your tailnets"</a> })}
        </section>
    }
}
