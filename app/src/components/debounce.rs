//! Search boxes that ask the server only after a pause in typing.

use std::time::Duration;

use leptos::prelude::*;

/// How long a search box waits after the last key before asking the server.
pub const SEARCH_DEBOUNCE: Duration = Duration::from_millis(250);

/// A search box whose value reaches the query only after a pause in typing.
#[derive(Clone, Copy)]
pub struct DebouncedText {
    /// What is in the box now.
    pub typed: RwSignal<String>,
    /// What the query uses.
    pub settled: RwSignal<String>,
    pending: StoredValue<Option<TimeoutHandle>>,
}

impl DebouncedText {
    pub fn new() -> Self {
        Self {
            typed: RwSignal::new(String::new()),
            settled: RwSignal::new(String::new()),
            pending: StoredValue::new(None),
        }
    }

    /// Records a key press; `on_settle` runs when the text settles on a new value.
    pub fn input(self, value: String, on_settle: impl Fn() + 'static) {
        self.typed.set(value.clone());
        if let Some(handle) = self.pending.get_value() {
            handle.clear();
        }
        let settled = self.settled;
        let handle = set_timeout_with_handle(
            move || {
                if settled.get_untracked() != value {
                    on_settle();
                    settled.set(value);
                }
            },
            SEARCH_DEBOUNCE,
        )
        .ok();
        self.pending.set_value(handle);
    }
}

impl Default for DebouncedText {
    fn default() -> Self {
        Self::new()
    }
}

/// A labelled search box for a filter row; `on_settle` runs before the settled text changes
/// (to go back to the first page).
#[component]
pub fn SearchField(
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    text: DebouncedText,
    on_settle: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="field grow">
            <label for=id>{label}</label>
            <input
                id=id
                type="search"
                placeholder=placeholder
                autocomplete="off"
                prop:value=move || text.typed.get()
                on:input=move |ev| text.input(event_target_value(&ev), move || on_settle.run(()))
            />
        </div>
    }
}
