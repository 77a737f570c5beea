//! `x-jdcloud-date` (`YYYYMMDDTHHMMSSZ`, UTC) to and from seconds since the Unix epoch.
//!
//! The gateway refuses a request whose date is too far from its clock; the crate has no date
//! library, and this format needs only the civil-calendar arithmetic below.

/// Seconds since the Unix epoch of an `x-jdcloud-date`, or `None` when it is not a real
/// `YYYYMMDDTHHMMSSZ` instant.
pub(crate) fn parse(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0i64, |n, d| n * 10 + i64::from(d - b'0')),
        )
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// The `x-jdcloud-date` of an instant, for messages and tests.
pub(crate) fn format(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms (public domain), for the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
