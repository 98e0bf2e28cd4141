//! Any text is refused or read as a lower-case ASCII address with one '@' that reads again
//! as itself (the invite forms, sign-in and setup all read addresses this way).
#![no_main]

use app::fields::EmailAddress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(email) = EmailAddress::parse(input) {
        let text = email.as_str();
        assert!(text.is_ascii(), "{text:?}");
        assert_eq!(text.matches('@').count(), 1, "{text:?}");
        assert_eq!(text.to_lowercase(), text);
        assert!(text.len() <= EmailAddress::MAX_LEN);
        assert_eq!(EmailAddress::parse(text), Ok(email.clone()));
    }
});
