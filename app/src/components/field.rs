//! A labelled text input whose error message is linked for screen readers, and the errors of
//! a form after a failed submit.

use leptos::prelude::*;

use crate::error::AppError;

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

/// What a form shows after a failed submit: each field's message beside its field, anything
/// else (a passkey problem, a server error) in one summary above the button.
#[derive(Clone, Copy)]
pub struct FormFailure(Signal<Option<AppError>>);

impl FormFailure {
    /// The failure of `submit`'s latest run.
    pub fn of<I, T>(submit: Action<I, Result<T, AppError>>) -> Self
    where
        I: 'static,
        T: Clone + Send + Sync + 'static,
    {
        Self(Signal::derive(move || {
            submit.value().get().and_then(Result::err)
        }))
    }

    /// The message for one field, for `TextField`'s `error`.
    pub fn field(self, field: &'static str) -> impl Fn() -> Option<String> + Copy + Send + Sync {
        move || self.0.get().and_then(|error| error.field_message(field))
    }

    /// Everything that is not a field's own message.
    pub fn summary(self) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.0.get().and_then(|error| match &error {
                AppError::Validation(errors) if errors.iter().all(|f| f.field != "passkey") => None,
                _ => Some(error.to_string()),
            })
        })
    }
}
