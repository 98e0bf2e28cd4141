//! (ssr) Random tokens from the OS and their hashes. Only hashes are ever stored.

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

#[cfg(test)]
mod tests {
    use super::*;

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
