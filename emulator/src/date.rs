//! `x-jdcloud-date` (`YYYYMMDDTHHMMSSZ`, UTC) to and from seconds since the Unix epoch,
//! through the `time` crate.

use time::{macros::format_description, OffsetDateTime, PrimitiveDateTime};

const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// Seconds since the Unix epoch of an `x-jdcloud-date`, or `None` when it is not a real
/// `YYYYMMDDTHHMMSSZ` instant.
pub(crate) fn parse(value: &str) -> Option<i64> {
    // `time` accepts a sign before a year; the format has none.
    if value.len() != 16 || !value.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let at = PrimitiveDateTime::parse(value, FORMAT).ok()?;
    Some(at.assume_utc().unix_timestamp())
}

/// The `x-jdcloud-date` of an instant, for messages and tests.
pub(crate) fn format(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|at| at.format(FORMAT).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(parse("19700101T000000Z"), Some(0));
        assert_eq!(parse("20000229T235959Z"), Some(951_868_799));
        assert_eq!(parse("20261127T101500Z"), Some(1_795_774_500));
        assert_eq!(format(1_795_774_500), "20261127T101500Z");
    }

    #[test]
    fn malformed_dates_are_refused() {
        for bad in [
            "",
            "20261127T101500",
            "2026-11-27T10:15:00Z",
            "20261327T101500Z",
            "20230229T101500Z",
            "20261127T241500Z",
            "2026112７T101500Z",
            "+0261127T101500Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn format_then_parse_is_identity() {
        for t in [0, 59, 86_399, 951_868_799, 1_795_774_500, 4_102_444_800] {
            assert_eq!(parse(&format(t)), Some(t));
        }
    }
}
