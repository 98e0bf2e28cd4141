//! WebAuthn's messages as they cross between server and browser: JSON text that the browser
//! never decodes. It hands the server's options to its own parser
//! (`PublicKeyCredential.parseCreationOptionsFromJSON`, `parseRequestOptionsFromJSON`) and sends
//! back what the new or used passkey's `toJSON()` gave, so none of webauthn-rs's types (their
//! decoders, encoders and base64) are compiled into the browser's code. The server writes and
//! reads them with webauthn-rs's types, in the same JSON the browser's WebAuthn speaks.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One kind of WebAuthn message as JSON text; on the server it converts to and from `$proto`.
macro_rules! webauthn_json {
    ($(#[$doc:meta])* $name:ident => $proto:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Box<RawValue>);

        impl $name {
            /// The message as JSON text.
            pub fn as_json(&self) -> &str {
                self.0.get()
            }

            /// The message in `json`, if it is JSON at all (what it says is the server's to check).
            pub fn from_json(json: String) -> Result<Self, serde_json::Error> {
                RawValue::from_string(json).map(Self)
            }

            /// (ssr) The message for webauthn-rs's `value`.
            #[cfg(feature = "ssr")]
            pub fn encode(value: &$proto) -> Result<Self, crate::error::AppError> {
                serde_json::value::to_raw_value(value)
                    .map(Self)
                    .map_err(crate::error::AppError::internal)
            }

            /// (ssr) The message as webauthn-rs's type; an error when it is not one.
            #[cfg(feature = "ssr")]
            pub fn decode(&self) -> Result<$proto, serde_json::Error> {
                serde_json::from_str(self.0.get())
            }
        }
    };
}

webauthn_json!(
    /// The server's options for creating a passkey (`{"publicKey": …}`).
    PasskeyCreationOptions => webauthn_rs_proto::CreationChallengeResponse
);
webauthn_json!(
    /// The server's options for using a passkey: signing in, "Confirm it's you".
    PasskeyRequestOptions => webauthn_rs_proto::RequestChallengeResponse
);
webauthn_json!(
    /// A new passkey, as the browser's `PublicKeyCredential.toJSON()` gave it.
    NewPasskey => webauthn_rs_proto::RegisterPublicKeyCredential
);
webauthn_json!(
    /// A passkey's signature over a challenge, as the browser's `PublicKeyCredential.toJSON()`
    /// gave it.
    PasskeyAssertion => webauthn_rs_proto::PublicKeyCredential
);

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// What Chromium's `toJSON()` gives for a new passkey (ES256, "none" attestation), with the
    /// fields webauthn-rs does not read (`authenticatorData`, `publicKey`, …) left in.
    const CHROMIUM_REGISTRATION: &str = r#"{
        "id": "AQIDBA",
        "rawId": "AQIDBA",
        "type": "public-key",
        "authenticatorAttachment": "platform",
        "clientExtensionResults": {"credProps": {"rk": true}},
        "response": {
            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0",
            "attestationObject": "o2NmbXRkbm9uZQ",
            "authenticatorData": "SZYN5YgO",
            "publicKey": "MFkwEwYHKoZI",
            "publicKeyAlgorithm": -7,
            "transports": ["internal", "hybrid", "smart-card"]
        }
    }"#;

    #[test]
    fn a_browsers_new_passkey_json_reads_as_webauthn_rs_registration() {
        let passkey = NewPasskey::from_json(CHROMIUM_REGISTRATION.to_owned()).expect("JSON");
        let registration = passkey.decode().expect("a registration");
        assert_eq!(registration.raw_id, vec![1, 2, 3, 4]);
        assert_eq!(
            registration.response.client_data_json,
            br#"{"type":"webauthn.create"}"#.to_vec()
        );
        assert_eq!(
            registration
                .extensions
                .cred_props
                .and_then(|props| props.rk),
            Some(true)
        );
        assert_eq!(
            registration
                .response
                .transports
                .map(|transports| transports.len()),
            Some(3),
            "an unknown transport is kept as unknown, not refused"
        );
    }

    #[test]
    fn a_browsers_used_passkey_json_reads_as_webauthn_rs_assertion() {
        let json = r#"{
            "id": "AQIDBA", "rawId": "AQIDBA", "type": "public-key",
            "authenticatorAttachment": "cross-platform", "clientExtensionResults": {},
            "response": {"clientDataJSON": "e30", "authenticatorData": "AAEC",
                         "signature": "MEUC", "userHandle": "dXNlcg"}
        }"#;
        let assertion = PasskeyAssertion::from_json(json.to_owned())
            .expect("JSON")
            .decode()
            .expect("an assertion");
        assert_eq!(assertion.get_user_unique_id(), Some(&b"user"[..]));
    }

    #[test]
    fn something_else_is_not_taken_for_a_passkey() {
        let passkey = NewPasskey::from_json(r#"{"id": "AQIDBA"}"#.to_owned()).expect("JSON");
        assert!(passkey.decode().is_err());
        assert!(NewPasskey::from_json("not JSON".to_owned()).is_err());
    }
}
