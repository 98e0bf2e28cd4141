//! The browser's WebAuthn calls (`navigator.credentials`), converted to and from the
//! webauthn-rs wire types. On the server these report `Unsupported`: they only run on clicks.

use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

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
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    fn credentials() -> Result<web_sys::CredentialsContainer, BrowserPasskeyError> {
        let window = web_sys::window().ok_or(BrowserPasskeyError::Unsupported)?;
        let supported = js_sys::Reflect::get(&window, &JsValue::from_str("PublicKeyCredential"))
            .map(|value| !value.is_undefined())
            .unwrap_or(false);
        if !supported {
            return Err(BrowserPasskeyError::Unsupported);
        }
        Ok(window.navigator().credentials())
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
        options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, BrowserPasskeyError> {
        let container = credentials()?;
        let options: web_sys::CredentialCreationOptions = options.into();
        let credential = settle(container.create_with_options(&options)).await?;
        Ok(RegisterPublicKeyCredential::from(credential))
    }

    pub async fn use_passkey(
        options: RequestChallengeResponse,
    ) -> Result<PublicKeyCredential, BrowserPasskeyError> {
        let container = credentials()?;
        let options: web_sys::CredentialRequestOptions = options.into();
        let credential = settle(container.get_with_options(&options)).await?;
        Ok(PublicKeyCredential::from(credential))
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::*;

    pub async fn create_passkey(
        _options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, BrowserPasskeyError> {
        Err(BrowserPasskeyError::Unsupported)
    }

    pub async fn use_passkey(
        _options: RequestChallengeResponse,
    ) -> Result<PublicKeyCredential, BrowserPasskeyError> {
        Err(BrowserPasskeyError::Unsupported)
    }
}

pub use imp::{create_passkey, use_passkey};
