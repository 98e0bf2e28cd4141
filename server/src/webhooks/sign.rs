//! The `Tailscale-Webhook-Signature` header, as Tailscale documents it:
//! `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's name.
pub const SIGNATURE_HEADER: &str = "Tailscale-Webhook-Signature";

/// The header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this never fails.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // RFC 4231 test case 2 ("Jefe"), with the message split as "<t>.<body>".
        let header = signature("Jefe", 0, b"what do ya want for nothing?");
        assert!(header.starts_with("t=0,v1="));
        let other = signature("Jefe", 1, b"what do ya want for nothing?");
        assert_ne!(header[7..], other[7..], "the time is signed too");
        assert_eq!(header.len(), "t=0,v1=".len() + 64);
    }
}
