//! Input types that validate when parsed, shared by the forms and the server functions.

use serde::{Deserialize, Serialize};

/// A normalised (trimmed, lower-case) email address with a plausible shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, String> {
        // Only ASCII letters are lower-cased: an address must be ASCII (below), and Unicode's
        // case tables would turn look-alikes such as the Kelvin sign "\u{212a}" into ASCII.
        let candidate = input.trim().to_ascii_lowercase();
        if candidate.is_empty() {
            return Err("Enter an email address.".to_owned());
        }
        let invalid = || format!("\u{201c}{candidate}\u{201d} is not a valid email address.");
        if candidate.chars().count() > Self::MAX_LEN {
            return Err(format!(
                "Email addresses can be at most {} characters.",
                Self::MAX_LEN
            ));
        }
        let Some((local, domain)) = candidate.split_once('@') else {
            return Err(invalid());
        };
        // ASCII only: a Cyrillic "а" in "pаypal.com" reads like a Latin one. International
        // domains are written in their ASCII (xn--) form, as mail servers use them.
        if !candidate.is_ascii() {
            return Err(format!(
                "\u{201c}{candidate}\u{201d} has letters that are not ASCII. Use the address's \
                 ASCII form (an international domain in its xn-- form)."
            ));
        }
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(candidate))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trims `input` and checks it is a one-line text of 1..=`max` characters.
fn parse_short_text(input: &str, what: &str, max: usize) -> Result<String, String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(format!("Enter {what}."));
    }
    if trimmed.chars().count() > max {
        return Err(format!("Use at most {max} characters."));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("Use a single line without control characters.".to_owned());
    }
    if trimmed.chars().any(is_invisible_format) {
        return Err(
            "Remove the invisible characters (direction marks, zero-width or line separators)."
                .to_owned(),
        );
    }
    Ok(trimmed.to_owned())
}

/// Unicode's format characters (category Cf: bidirectional controls, zero-width joiners and
/// spaces, the byte-order mark, tag characters…) and the line and paragraph separators (Zl,
/// Zp). None of them shows, and some reorder the text around them, so a name holding one can
/// pass for another.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

macro_rules! short_text_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(input: &str) -> Result<Self, String> {
                parse_short_text(input, $what, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

short_text_type!(
    /// A person's name as shown to the other members of their tailnets.
    DisplayName,
    "your name",
    100
);
short_text_type!(
    /// The name of a tailnet, shown in the header and in invitations.
    TailnetName,
    "a tailnet name",
    100
);
short_text_type!(
    /// The name admins give an OIDC client ("Headscale"), shown on the sign-in page.
    ClientName,
    "a name",
    100
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        let email = EmailAddress::parse("  Ada.Lovelace@Example.COM ");
        assert_eq!(
            email.map(|e| e.0),
            Ok("ada.lovelace@example.com".to_owned())
        );
    }

    #[test]
    fn malformed_emails_are_refused_with_their_text() {
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a b@example.com",
            "ada@exa_mple.com",
            ".ada@example.com",
            "ada..l@example.com",
            "ada@-example.com",
        ] {
            let error = EmailAddress::parse(bad).expect_err(bad);
            assert!(error.contains(bad.trim()), "{bad}: {error}");
        }
        assert_eq!(
            EmailAddress::parse("   "),
            Err("Enter an email address.".to_owned())
        );
    }

    #[test]
    fn over_long_emails_are_refused() {
        let long = format!(
            "{}@{}.com",
            "a".repeat(64),
            "b".repeat(63) + "." + &"c".repeat(63) + "." + &"d".repeat(63)
        );
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn short_texts_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  Ada  ").map(|n| n.0),
            Ok("Ada".to_owned())
        );
        assert_eq!(DisplayName::parse(""), Err("Enter your name.".to_owned()));
        assert!(TailnetName::parse(&"x".repeat(101)).is_err());
        assert!(TailnetName::parse(&"é".repeat(100)).is_ok());
        assert!(TailnetName::parse("two\nlines").is_err());
    }

    #[test]
    fn look_alike_addresses_and_invisible_characters_are_refused() {
        // Cyrillic "а" (U+0430) in the domain and in the local part.
        for bad in [
            "ada@ex\u{430}mple.com",
            "\u{430}da@example.com",
            "ada@b\u{fc}cher.de",
            // The Kelvin sign (U+212A) looks like "K" and lower-cases to an ASCII "k".
            "\u{212a}ate@example.com",
        ] {
            let error = EmailAddress::parse(bad).expect_err(bad);
            assert!(error.contains("ASCII"), "{bad}: {error}");
        }
        assert!(EmailAddress::parse("ada@xn--bcher-kva.de").is_ok());
        for bad in [
            "Ada\u{202e}nimda",
            "Ad\u{200b}a",
            "Ada\u{2028}Admin",
            "\u{feff}Ada",
            "Ada\u{e0041}",
        ] {
            let error = DisplayName::parse(bad).expect_err(bad);
            assert!(error.contains("invisible"), "{bad:?}: {error}");
            assert!(TailnetName::parse(bad).is_err(), "{bad:?}");
        }
        // Letters of every script stay welcome in names.
        assert!(DisplayName::parse("Zoë Ångström 李雷 Дмитрий").is_ok());
    }

    #[test]
    fn deserialising_validates() {
        let parsed: Result<EmailAddress, _> = serde_json::from_str("\"not an email\"");
        assert!(parsed.is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            /// Any text either fails or parses to a normalised ASCII address with one '@' that
            /// parses again to itself.
            #[test]
            fn emails_parse_to_a_fixed_point(input in "\\PC{0,80}|[a-zA-Z0-9._%+-]{1,20}@[a-zA-Z0-9.-]{1,20}") {
                if let Ok(email) = EmailAddress::parse(&input) {
                    prop_assert!(email.as_str().is_ascii());
                    prop_assert_eq!(email.as_str().matches('@').count(), 1);
                    prop_assert_eq!(email.as_str().to_lowercase(), email.as_str());
                    prop_assert_eq!(EmailAddress::parse(email.as_str()), Ok(email.clone()));
                }
            }

            /// A parsed name is trimmed, at most 100 characters, holds nothing invisible or
            /// controlling, and parses again to itself.
            #[test]
            fn names_parse_to_a_fixed_point(input in "\\PC{0,120}|.{0,20}") {
                if let Ok(name) = DisplayName::parse(&input) {
                    let text = name.as_str();
                    prop_assert_eq!(text.trim(), text);
                    prop_assert!(!text.is_empty() && text.chars().count() <= 100);
                    prop_assert!(!text.chars().any(|c| c.is_control() || is_invisible_format(c)));
                    prop_assert_eq!(DisplayName::parse(text).map(|n| n.as_str().to_owned()), Ok(text.to_owned()));
                }
            }
        }
    }

    /// A small exhaustive-ish property check without an extra dependency: every string built
    /// from a tricky alphabet either fails to parse or parses to a value that parses again to
    /// itself (normalisation is idempotent) and has exactly one '@'.
    #[test]
    fn parsing_is_idempotent_over_a_tricky_alphabet() {
        let alphabet = ['a', 'B', '@', '.', '-', ' ', '_', '+', 'é'];
        let mut seen = 0;
        let mut stack = vec![String::new()];
        while let Some(prefix) = stack.pop() {
            if let Ok(email) = EmailAddress::parse(&prefix) {
                seen += 1;
                assert_eq!(EmailAddress::parse(email.as_str()).as_ref(), Ok(&email));
                assert_eq!(email.as_str().matches('@').count(), 1);
            }
            if prefix.chars().count() < 6 {
                for c in alphabet {
                    stack.push(format!("{prefix}{c}"));
                }
            }
        }
        assert!(seen > 0);
    }
}
