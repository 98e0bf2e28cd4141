//! The page for paths that match no route.

use leptos::prelude::*;
use leptos_meta::Title;

use super::set_status;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Page not found" />
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Check the link, or go to the "<a href="/">"start page"</a>"."</p>
        </section>
    }
}
