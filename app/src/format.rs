//! Formatting shared by server and browser, so both render identical text during hydration.

/// A Unix time as a UTC calendar date, `YYYY-MM-DD`.
pub fn utc_date(unix_secs: i64) -> String {
    let (year, month, day) = civil_from_days(unix_secs.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// A Unix time in UTC to the second, as ISO 8601 / RFC 3339: `2026-11-22T05:39:07Z`.
pub fn utc_timestamp(unix_secs: i64) -> String {
    let secs = unix_secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        utc_date(unix_secs),
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

/// A moment for people to read: `2023-11-14 22:13 UTC`.
pub fn utc_minute(unix_secs: i64) -> String {
    let secs = unix_secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(unix_secs),
        secs / 3_600,
        secs % 3_600 / 60
    )
}

/// The Unix time at the start (00:00 UTC) of a `YYYY-MM-DD` date, as a date input gives it.
pub fn parse_utc_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=9_999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Refuses 2026-02-30 and the like: the date must read back the same.
    (civil_from_days(days) == (year, month, day)).then_some(days * 86_400)
}

/// A proleptic Gregorian date to days since 1970-01-01 (the inverse of `civil_from_days`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `key=value&…` with each value percent-encoded, for download links built from filters.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Encodes a query-string value: everything but unreserved characters becomes `%XX`.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_795_305_599), "2026-11-21");
        assert_eq!(utc_date(-86_400), "1969-12-31");
        assert_eq!(utc_timestamp(1_795_305_599), "2026-11-21T23:59:59Z");
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn date_inputs_read_back() {
        assert_eq!(parse_utc_date("1970-01-01"), Some(0));
        assert_eq!(parse_utc_date("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_utc_date("2026-11-22"), Some(1_795_305_600));
        assert_eq!(parse_utc_date("2026-02-30"), None);
        assert_eq!(parse_utc_date("2026-13-01"), None);
        assert_eq!(parse_utc_date(""), None);
        assert_eq!(parse_utc_date("yesterday"), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(10_000))]

            /// A date shown for any moment from year 1 to 9999 reads back as the start of
            /// that day.
            #[test]
            fn shown_dates_read_back(secs in -62_135_596_800i64..253_402_300_800) {
                prop_assert_eq!(parse_utc_date(&utc_date(secs)), Some(secs.div_euclid(86_400) * 86_400));
            }

            /// Any typed text is refused or is the start of a real day, never a panic.
            #[test]
            fn typed_dates_are_days_or_refused(text in "[0-9+-]{0,14}|\\PC{0,14}|[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,12}") {
                if let Some(secs) = parse_utc_date(&text) {
                    prop_assert_eq!(secs.rem_euclid(86_400), 0);
                    prop_assert_eq!(parse_utc_date(&utc_date(secs)), Some(secs));
                }
            }
        }
    }
}
