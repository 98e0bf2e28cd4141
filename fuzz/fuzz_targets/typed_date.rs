//! Any text in the audit log's date filters is refused or read as the start of a real day,
//! which shows and reads back as the same day.
#![no_main]

use app::format::{parse_utc_date, utc_date};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(secs) = parse_utc_date(text) {
        assert_eq!(secs.rem_euclid(86_400), 0, "{text:?}");
        assert_eq!(parse_utc_date(&utc_date(secs)), Some(secs), "{text:?}");
    }
});
