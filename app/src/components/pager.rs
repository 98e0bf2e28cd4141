//! "Previous" and "Next" under a keyset-paged table.

use leptos::prelude::*;

use crate::paging::{Cursor, PageRequest};

/// Sets `list_page` to the page before `previous` or after `next`; a missing cursor disables
/// its button.
#[component]
pub fn Pager(
    list_page: RwSignal<PageRequest>,
    previous: Option<Cursor>,
    next: Option<Cursor>,
) -> impl IntoView {
    let no_previous = previous.is_none();
    let no_next = next.is_none();
    view! {
        <nav class="pager" aria-label="Pages">
            <button
                type="button"
                disabled=no_previous
                on:click=move |_| {
                    if let Some(cursor) = previous.clone() {
                        list_page.set(PageRequest::Before(cursor));
                    }
                }
            >
                "Previous"
            </button>
            <button
                type="button"
                disabled=no_next
                on:click=move |_| {
                    if let Some(cursor) = next.clone() {
                        list_page.set(PageRequest::After(cursor));
                    }
                }
            >
                "Next"
            </button>
        </nav>
    }
}
