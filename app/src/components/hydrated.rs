//! `data-hydrated="true"` on the body once the page has hydrated: tests and people's scripts
//! wait for it, because clicks before hydration do nothing. Two parts hydrate on their own
//! schedule: the account menu in the header (when the signed-in person is known) and the page
//! (a split-off page only after its part of the wasm arrives). Each marks itself with
//! [`MarkHydrated`]; the body is marked once both have, and a `performance.mark("hydrated")`
//! records when (what `make bench` times from navigation, S5 of issue 17).

use leptos::prelude::*;

/// How many parts have hydrated since the app started.
#[derive(Debug, Clone, Copy)]
struct HydratedParts(RwSignal<u8>);

/// The parts that must hydrate before the page is: the account menu and the page.
const PARTS: u8 = 2;

/// Called once by the app, around everything that uses [`MarkHydrated`].
pub fn provide_hydration_tracking() {
    provide_context(HydratedParts(RwSignal::new(0)));
}

/// Marks its part of the page hydrated (after the part's own view has hydrated).
#[component]
pub fn MarkHydrated() -> impl IntoView {
    let parts = use_context::<HydratedParts>();
    Effect::new(move || {
        let Some(HydratedParts(count)) = parts else {
            return;
        };
        count.update_untracked(|n| *n = n.saturating_add(1));
        if count.get_untracked() == PARTS
            && let Some(body) = document().body()
        {
            let _ = body.set_attribute("data-hydrated", "true");
            #[cfg(feature = "hydrate")]
            if let Some(performance) = window().performance() {
                let _ = performance.mark("hydrated");
            }
        }
    });
}
