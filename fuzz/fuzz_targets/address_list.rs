//! Whatever is pasted into "Email addresses" is refused with a message or read as 1 to 100
//! distinct addresses, each of which reads again as itself.
#![no_main]

use std::collections::HashSet;

use app::fields::EmailAddress;
use app::invites::model::{MAX_ADDRESSES_PER_INVITE, parse_address_list};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(addresses) = parse_address_list(input) {
        assert!((1..=MAX_ADDRESSES_PER_INVITE).contains(&addresses.len()));
        let distinct: HashSet<_> = addresses.iter().collect();
        assert_eq!(distinct.len(), addresses.len());
        for address in &addresses {
            assert_eq!(EmailAddress::parse(address.as_str()), Ok(address.clone()));
        }
    }
});
