//! (ssr) Random tokens from the OS and their hashes, and the server key that seals invite
//! tokens. The database stores hashes and sealed tokens, never a token in the clear.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A bearer secret (setup link, session, ceremony id). Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// 256 random bits from the operating system.
    pub fn generate() -> Self {
        Self(random_token(32))
    }

    /// Wraps a token that arrived from a client; it is only ever hashed and compared.
    pub fn from_client(raw: String) -> Self {
        Self(raw)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value stored in the database in place of the token.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// `bytes` random bytes from the OS, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    if let Err(error) = getrandom::fill(&mut buffer) {
        // Without OS randomness no secret can be made safely; stopping is the only sound answer.
        panic!("the operating system's random number generator failed: {error}");
    }
    URL_SAFE_NO_PAD.encode(buffer)
}

/// The server's key for secrets the database must keep but not reveal (AES-256-GCM): invite
/// tokens shown again, email codes waiting to be sent, OIDC signing keys. It lives in a
/// file beside the server, not in the database, so a copy of the database gives no working link.
#[derive(Clone)]
pub struct LinkKey(aes_gcm::Aes256Gcm);

/// A sealed token that does not open under this key (another key, or altered data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a sealed token did not open under the server key")]
pub struct UnsealError;

impl LinkKey {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Self {
        use aes_gcm::aead::KeyInit;
        Self(aes_gcm::Aes256Gcm::new(&(*bytes).into()))
    }

    /// A new random key, base64url, as written to the key file.
    pub fn generate_encoded() -> String {
        random_token(Self::LEN)
    }

    /// Reads a key written by `generate_encoded`.
    pub fn decode(encoded: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(encoded.trim()).ok()?;
        let bytes: [u8; Self::LEN] = bytes.try_into().ok()?;
        Some(Self::from_bytes(&bytes))
    }

    /// Encrypts `token` with a fresh random nonce; `context` (the invite id) is bound to it, so
    /// a sealed token copied onto another invite row does not open.
    pub fn seal(&self, token: &SecretToken, context: &str) -> String {
        self.seal_text(token.expose(), context)
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<SecretToken, UnsealError> {
        self.open_text(sealed, context).map(SecretToken)
    }

    /// [`seal`](Self::seal) for any secret text (a signing key's PEM, say).
    pub fn seal_text(&self, text: &str, context: &str) -> String {
        use aes_gcm::aead::{Aead, Payload};
        let mut nonce = [0_u8; 12];
        if let Err(error) = getrandom::fill(&mut nonce) {
            panic!("the operating system's random number generator failed: {error}");
        }
        let payload = Payload {
            msg: text.as_bytes(),
            aad: context.as_bytes(),
        };
        match self.0.encrypt(&nonce.into(), payload) {
            Ok(ciphertext) => format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(nonce),
                URL_SAFE_NO_PAD.encode(ciphertext)
            ),
            // AES-GCM fails only for messages of gigabytes; what we seal is a few KB at most.
            Err(error) => panic!("sealing a secret failed: {error}"),
        }
    }

    pub fn open_text(&self, sealed: &str, context: &str) -> Result<String, UnsealError> {
        use aes_gcm::aead::{Aead, Payload};
        let (nonce, ciphertext) = sealed.split_once('.').ok_or(UnsealError)?;
        let nonce: [u8; 12] = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| UnsealError)?
            .try_into()
            .map_err(|_| UnsealError)?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| UnsealError)?;
        let payload = Payload {
            msg: &ciphertext,
            aad: context.as_bytes(),
        };
        let plain = self
            .0
            .decrypt(&nonce.into(), payload)
            .map_err(|_| UnsealError)?;
        String::from_utf8(plain).map_err(|_| UnsealError)
    }
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> LinkKey {
        LinkKey::decode(&LinkKey::generate_encoded()).expect("a fresh key decodes")
    }

    #[test]
    fn a_sealed_token_opens_only_with_its_key_and_context() {
        let key = key();
        let token = SecretToken::generate();
        let sealed = key.seal(&token, "invite-1");
        assert!(!sealed.contains(token.expose()));
        assert_eq!(key.open(&sealed, "invite-1"), Ok(token.clone()));
        assert_eq!(key.open(&sealed, "invite-2"), Err(UnsealError));
        assert_eq!(self::key().open(&sealed, "invite-1"), Err(UnsealError));
        assert_ne!(
            key.seal(&token, "invite-1"),
            sealed,
            "fresh nonce every time"
        );
        assert_eq!(key.open("garbage", "invite-1"), Err(UnsealError));
    }

    #[test]
    fn keys_of_the_wrong_length_are_refused() {
        assert!(LinkKey::decode("c2hvcnQ").is_none());
        assert!(LinkKey::decode("not base64 at all!").is_none());
    }

    #[test]
    fn tokens_carry_256_bits_and_differ() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a, b);
        assert_ne!(a.hash(), a.expose());
        assert_eq!(a.hash().len(), 64);
    }

    #[test]
    fn debug_output_hides_the_value() {
        let token = SecretToken::generate();
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
