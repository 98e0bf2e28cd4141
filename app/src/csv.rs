//! (ssr) Writing CSV downloads (RFC 4180) that stay data when opened in a spreadsheet.

/// Fields joined by commas and ended by CRLF (RFC 4180).
pub fn csv_line<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut line = fields
        .into_iter()
        .map(|field| csv_field(field.unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Quotes a field when it needs it. Text that a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, so a display name
/// such as `=HYPERLINK(…)` stays text when an auditor opens the file.
pub fn csv_field(value: &str) -> String {
    let neutral = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads one field back as RFC 4180 does.
    fn unquote(field: &str) -> String {
        match field
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
        {
            Some(inner) => inner.replace("\"\"", "\""),
            None => field.to_owned(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// A field reads back as the text (with the leading `'` that keeps a formula text),
        /// never starts a formula, and never breaks out of its quotes.
        #[test]
        fn fields_read_back_and_never_run(value in "\\PC{0,40}|[=+@,\"\n\r\t-]{0,6}[a-z]{0,4}") {
            let field = csv_field(&value);
            let back = unquote(&field);
            let neutralised = format!("'{}", value);
            prop_assert!(back == value || back == neutralised);
            prop_assert!(!back.starts_with(['=', '+', '-', '@', '\t', '\r']));
            if field.contains([',', '"', '\n', '\r']) {
                prop_assert!(field.starts_with('"') && field.ends_with('"'));
                let inner = &field[1..field.len() - 1];
                prop_assert!(!inner.replace("\"\"", "").contains('"'));
            }
        }
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("ada@example.com"), "ada@example.com");
        assert_eq!(csv_field("Smith, Ada"), "\"Smith, Ada\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=1+2"), "'=1+2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("-2,3"), "\"'-2,3\"");
        assert_eq!(csv_line([Some("a"), None, Some("b")]), "a,,b\r\n");
    }
}
