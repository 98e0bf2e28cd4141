//! Any text is refused or read as a trimmed name of 1 to 100 characters with nothing
//! invisible or controlling in it, which reads again as itself.
#![no_main]

use app::fields::{DisplayName, is_invisible_format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(name) = DisplayName::parse(input) {
        let text = name.as_str();
        assert_eq!(text.trim(), text);
        assert!(!text.is_empty() && text.chars().count() <= 100);
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() || is_invisible_format(c)),
            "{text:?}"
        );
        assert_eq!(
            DisplayName::parse(text).map(|n| n.as_str().to_owned()),
            Ok(text.to_owned())
        );
    }
});
