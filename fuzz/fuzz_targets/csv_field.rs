//! Any text written into an export's CSV reads back as itself (or with the leading `'` that
//! keeps a formula as text), never starts a formula and never breaks out of its quotes.
#![no_main]

use app::csv::{csv_field, csv_line};
use libfuzzer_sys::fuzz_target;

/// How a spreadsheet reads one field.
fn unquote(field: &str) -> String {
    match field
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(inner) => inner.replace("\"\"", "\""),
        None => field.to_owned(),
    }
}

fuzz_target!(|value: &str| {
    let field = csv_field(value);
    let back = unquote(&field);
    assert!(
        back == value || back == format!("'{value}"),
        "{value:?} -> {field:?}"
    );
    assert!(
        !back.starts_with(['=', '+', '-', '@', '\t', '\r']),
        "{field:?}"
    );
    if field.contains([',', '"', '\n', '\r']) {
        assert!(
            field.len() >= 2 && field.starts_with('"') && field.ends_with('"'),
            "{field:?}"
        );
        let inner = &field[1..field.len() - 1];
        assert!(!inner.replace("\"\"", "").contains('"'), "{field:?}");
    }
    assert_eq!(csv_line([Some(value), None]), format!("{field},\r\n"));
});
