//! A software passkey for tests. webauthn-authenticator-rs's `SoftPasskey` signs real WebAuthn
//! responses but cannot keep discoverable credentials; this wrapper remembers the credential id
//! and user handle it created, as a discoverable authenticator does, and returns the handle
//! with each assertion (the handle is not covered by the signature, so this changes nothing
//! the server verifies).

use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, ResidentKeyRequirement,
};

pub struct TestPasskey {
    authenticator: SoftPasskey,
    origin: Url,
    credential: Option<(Vec<u8>, Vec<u8>)>,
}

impl TestPasskey {
    pub fn new(origin: &str) -> Self {
        Self {
            // `true`: report user verification, as a platform authenticator with a PIN does.
            authenticator: SoftPasskey::new(true),
            origin: Url::parse(origin).expect("test origin"),
            credential: None,
        }
    }

    pub fn register(
        &mut self,
        mut options: CreationChallengeResponse,
    ) -> RegisterPublicKeyCredential {
        let selection = options
            .public_key
            .authenticator_selection
            .as_mut()
            .expect("registration names authenticator requirements");
        assert_eq!(
            selection.resident_key,
            Some(ResidentKeyRequirement::Required),
            "Gatehouse must ask for a discoverable credential, or sign-in without a user name fails"
        );
        selection.resident_key = None;
        selection.require_resident_key = false;
        let user_handle = options.public_key.user.id.clone();
        let credential = self
            .authenticator
            .do_registration(self.origin.clone(), options)
            .expect("soft passkey registers");
        self.credential = Some((credential.raw_id.to_vec(), user_handle));
        credential
    }

    /// Answers a sign-in challenge, which names no passkeys: the person picks this one.
    pub fn sign_in(&mut self, options: RequestChallengeResponse) -> PublicKeyCredential {
        assert!(
            options.public_key.allow_credentials.is_empty(),
            "sign-in must not need a user name, so it names no credentials"
        );
        self.sign_with_own_credential(options)
    }

    /// Answers a challenge that names the person's passkeys ("Confirm it's you"), signing with
    /// this passkey whether or not the challenge names it (as a person choosing the wrong one).
    pub fn confirm(&mut self, options: RequestChallengeResponse) -> PublicKeyCredential {
        self.sign_with_own_credential(options)
    }

    fn sign_with_own_credential(
        &mut self,
        mut options: RequestChallengeResponse,
    ) -> PublicKeyCredential {
        let (credential_id, user_handle) = self.credential.clone().expect("registered first");
        options.public_key.allow_credentials = vec![AllowCredentials {
            type_: "public-key".into(),
            id: credential_id,
            transports: None,
        }];
        let mut assertion = self
            .authenticator
            .do_authentication(self.origin.clone(), options)
            .expect("soft passkey signs");
        assertion.response.user_handle = Some(user_handle);
        assertion
    }

    /// The credential id, as the server's options name it.
    pub fn credential_id(&self) -> Vec<u8> {
        self.credential.clone().expect("registered first").0
    }
}
