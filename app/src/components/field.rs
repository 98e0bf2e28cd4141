//! A labelled text input whose error message is linked for screen readers.

use leptos::prelude::*;

/// A labelled text input with its error message linked for screen readers.
#[component]
pub fn TextField<E, F>(
    label: &'static str,
    id: &'static str,
    value: RwSignal<String>,
    error: E,
    autocomplete: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    /// Shown but fixed, like an email address an invite already names.
    #[prop(optional)]
    readonly: bool,
) -> impl IntoView
where
    E: Fn() -> Option<F> + Send + Sync + Copy + 'static,
    F: Into<String>,
{
    let message = move || error().map(Into::into);
    let error_id = format!("{id}-error");
    let described_by = error_id.clone();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=input_type
                autocomplete=autocomplete
                required
                readonly=readonly
                bind:value=value
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=move || message().map(|_| described_by.clone())
            />
            {move || message().map(|text| view! { <p class="field-error" id=error_id.clone()>{text}</p> })}
        </div>
    }
}
