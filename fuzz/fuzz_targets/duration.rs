//! Any `GATEHOUSE_*_TTL`-style setting is refused with a message naming it, or read as a
//! whole number of seconds within the allowed range that reads again the same in seconds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::config::parse_duration;

fuzz_target!(|text: &str| {
    match parse_duration(text) {
        Ok(secs) => {
            assert!((60..=366 * 86_400).contains(&secs), "{text:?} -> {secs}");
            assert_eq!(parse_duration(&format!("{secs}s")), Ok(secs));
        }
        Err(problem) => assert!(problem.contains(text), "{problem}"),
    }
});
