//! `data-hydrated="true"` on the body once the page's own view has hydrated: tests and people's
//! scripts wait for it, because clicks before hydration do nothing. A split-off page hydrates
//! after its part of the wasm arrives, later than the shell around it, so each page marks
//! itself.

use leptos::prelude::*;

#[component]
pub fn MarkHydrated() -> impl IntoView {
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
