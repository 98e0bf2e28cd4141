//! The browser's WebAuthn calls (`navigator.credentials`), including passkeys offered in a
//! field's autofill (conditional mediation). The server's options go to the browser's own
//! WebAuthn JSON parser and the passkey's answer comes back as its `toJSON()`
//! ([`super::wire`]). On the server these report `Unsupported`: they only run in the browser.

use super::wire::{NewPasskey, PasskeyAssertion, PasskeyCreationOptions, PasskeyRequestOptions};

/// Why the browser did not produce a passkey response; each reads as advice to the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowserPasskeyError {
    #[error(
        "This browser does not support passkeys. Use a current version of Chrome, Edge, Firefox or Safari."
    )]
    Unsupported,
    #[error("The passkey request was cancelled or timed out. Try again when you are ready.")]
    Cancelled,
    #[error("This passkey is already registered with Gatehouse.")]
    AlreadyRegistered,
    #[error("The browser could not use a passkey: {0}")]
    Failed(String),
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::*;
    use js_sys::Reflect;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// The browser's `PublicKeyCredential` interface, if it has WebAuthn.
    fn public_key_credential() -> Option<JsValue> {
        let window = web_sys::window()?;
        Reflect::get(&window, &JsValue::from_str("PublicKeyCredential"))
            .ok()
            .filter(|value| !value.is_undefined())
    }

    pub fn passkeys_supported() -> bool {
        public_key_credential().is_some()
    }

    fn credentials() -> Result<web_sys::CredentialsContainer, BrowserPasskeyError> {
        if !passkeys_supported() {
            return Err(BrowserPasskeyError::Unsupported);
        }
        let window = web_sys::window().ok_or(BrowserPasskeyError::Unsupported)?;
        Ok(window.navigator().credentials())
    }

    /// Whether the browser offers passkeys in a field's autofill (conditional mediation).
    pub async fn autofill_available() -> bool {
        let Some(interface) = public_key_credential() else {
            return false;
        };
        let check = Reflect::get(
            &interface,
            &JsValue::from_str("isConditionalMediationAvailable"),
        )
        .ok()
        .and_then(|value| value.dyn_into::<js_sys::Function>().ok());
        let Some(promise) = check
            .and_then(|check| check.call0(&interface).ok())
            .and_then(|value| value.dyn_into::<js_sys::Promise>().ok())
        else {
            return false;
        };
        JsFuture::from(promise)
            .await
            .ok()
            .and_then(|answer| answer.as_bool())
            .unwrap_or(false)
    }

    /// A passkey request waiting in a field's autofill, which "Sign in with passkey" cancels.
    #[derive(Clone)]
    pub struct PendingAutofill(web_sys::AbortController);

    impl PendingAutofill {
        pub fn new() -> Option<Self> {
            web_sys::AbortController::new().ok().map(Self)
        }

        pub fn cancel(&self) {
            self.0.abort();
        }

        pub fn was_cancelled(&self) -> bool {
            self.0.signal().aborted()
        }
    }

    pub async fn use_passkey_from_autofill(
        options: PasskeyRequestOptions,
        pending: &PendingAutofill,
    ) -> Result<PasskeyAssertion, BrowserPasskeyError> {
        let container = credentials()?;
        let options = parsed_options(options.as_json(), "parseRequestOptionsFromJSON")?;
        let conditional = Reflect::set(
            &options,
            &JsValue::from_str("mediation"),
            &JsValue::from_str("conditional"),
        )
        .and_then(|_| {
            Reflect::set(
                &options,
                &JsValue::from_str("signal"),
                &pending.0.signal().into(),
            )
        });
        if conditional.is_err() {
            return Err(BrowserPasskeyError::Unsupported);
        }
        let credential = settle(container.get_with_options(&options.unchecked_into())).await?;
        PasskeyAssertion::from_json(as_json(&credential)?).map_err(unreadable)
    }

    /// The server's options (`{"publicKey": …}` as JSON), with `publicKey` made into what
    /// `navigator.credentials` takes by the browser's own `PublicKeyCredential.<parser>`.
    /// Browsers without that parser (older than Baseline 2025) are told to update.
    fn parsed_options(json: &str, parser: &str) -> Result<js_sys::Object, BrowserPasskeyError> {
        let interface = public_key_credential().ok_or(BrowserPasskeyError::Unsupported)?;
        let parse = Reflect::get(&interface, &JsValue::from_str(parser))
            .ok()
            .and_then(|value| value.dyn_into::<js_sys::Function>().ok())
            .ok_or(BrowserPasskeyError::Unsupported)?;
        let options = js_sys::JSON::parse(json)
            .ok()
            .and_then(|value| value.dyn_into::<js_sys::Object>().ok())
            .ok_or_else(|| {
                BrowserPasskeyError::Failed("the server's options are not JSON".into())
            })?;
        let key = JsValue::from_str("publicKey");
        let public_key = Reflect::get(&options, &key).map_err(classify)?;
        let public_key = parse.call1(&interface, &public_key).map_err(classify)?;
        Reflect::set(&options, &key, &public_key).map_err(classify)?;
        Ok(options)
    }

    /// The credential's `toJSON()`, as text.
    fn as_json(credential: &web_sys::PublicKeyCredential) -> Result<String, BrowserPasskeyError> {
        let to_json = Reflect::get(credential, &JsValue::from_str("toJSON"))
            .ok()
            .and_then(|value| value.dyn_into::<js_sys::Function>().ok())
            .ok_or(BrowserPasskeyError::Unsupported)?;
        let value = to_json.call0(credential).map_err(classify)?;
        js_sys::JSON::stringify(&value)
            .map(String::from)
            .map_err(classify)
    }

    fn unreadable(error: serde_json::Error) -> BrowserPasskeyError {
        BrowserPasskeyError::Failed(format!("the passkey's answer is not JSON ({error})"))
    }

    fn classify(error: JsValue) -> BrowserPasskeyError {
        match error.dyn_ref::<web_sys::DomException>() {
            Some(exception) => match exception.name().as_str() {
                "NotAllowedError" | "AbortError" => BrowserPasskeyError::Cancelled,
                "InvalidStateError" => BrowserPasskeyError::AlreadyRegistered,
                "NotSupportedError" => BrowserPasskeyError::Unsupported,
                _ => BrowserPasskeyError::Failed(exception.message()),
            },
            None => BrowserPasskeyError::Failed(format!("{error:?}")),
        }
    }

    async fn settle(
        promise: Result<js_sys::Promise, JsValue>,
    ) -> Result<web_sys::PublicKeyCredential, BrowserPasskeyError> {
        let credential = JsFuture::from(promise.map_err(classify)?)
            .await
            .map_err(classify)?;
        credential
            .dyn_into::<web_sys::PublicKeyCredential>()
            .map_err(|_| BrowserPasskeyError::Failed("the browser returned no passkey".into()))
    }

    pub async fn create_passkey(
        options: PasskeyCreationOptions,
    ) -> Result<NewPasskey, BrowserPasskeyError> {
        let container = credentials()?;
        let options = parsed_options(options.as_json(), "parseCreationOptionsFromJSON")?;
        let credential = settle(container.create_with_options(&options.unchecked_into())).await?;
        NewPasskey::from_json(as_json(&credential)?).map_err(unreadable)
    }

    pub async fn use_passkey(
        options: PasskeyRequestOptions,
    ) -> Result<PasskeyAssertion, BrowserPasskeyError> {
        let container = credentials()?;
        let options = parsed_options(options.as_json(), "parseRequestOptionsFromJSON")?;
        let credential = settle(container.get_with_options(&options.unchecked_into())).await?;
        PasskeyAssertion::from_json(as_json(&credential)?).map_err(unreadable)
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::*;

    pub fn passkeys_supported() -> bool {
        false
    }

    pub async fn autofill_available() -> bool {
        false
    }

    /// Outside a browser nothing waits in an autofill.
    #[derive(Clone)]
    pub struct PendingAutofill;

    impl PendingAutofill {
        pub fn new() -> Option<Self> {
            None
        }

        pub fn cancel(&self) {}

        pub fn was_cancelled(&self) -> bool {
            true
        }
    }

    pub async fn use_passkey_from_autofill(
        _options: PasskeyRequestOptions,
        _pending: &PendingAutofill,
    ) -> Result<PasskeyAssertion, BrowserPasskeyError> {
        Err(BrowserPasskeyError::Unsupported)
    }

    pub async fn create_passkey(
        _options: PasskeyCreationOptions,
    ) -> Result<NewPasskey, BrowserPasskeyError> {
        Err(BrowserPasskeyError::Unsupported)
    }

    pub async fn use_passkey(
        _options: PasskeyRequestOptions,
    ) -> Result<PasskeyAssertion, BrowserPasskeyError> {
        Err(BrowserPasskeyError::Unsupported)
    }
}

pub use imp::{
    PendingAutofill, autofill_available, create_passkey, passkeys_supported, use_passkey,
    use_passkey_from_autofill,
};
