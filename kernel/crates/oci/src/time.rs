//! [`Timestamp`]: a UTC instant printed as Go's `time.RFC3339Nano` (what runc emits).

use alloc::format;
#[cfg(test)]
use alloc::string::String;
use core::fmt;

use serde::{Serialize, Serializer};

/// Seconds and nanoseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub secs: i64,
    /// Always below 1_000_000_000.
    pub nanos: u32,
}

impl Timestamp {
    /// A timestamp; `nanos` is reduced modulo one second.
    pub fn new(secs: i64, nanos: u32) -> Self {
        Timestamp { secs, nanos: nanos % 1_000_000_000 }
    }
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm; all intermediate values are small for any i64 seconds.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

impl fmt::Display for Timestamp {
    /// `2006-01-02T15:04:05.999999999Z`: fraction without trailing zeros, omitted if zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let secs_of_day = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
        write!(f, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses the subset of RFC 3339 that [`Timestamp`]'s `Display` produces (UTC, `Z`).
pub fn parse_rfc3339_utc(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let num = |range: core::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0i64, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0')))
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let rest = text.get(19..)?;
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => r.split_at(r.find('Z')?),
        None => ("", rest),
    };
    if zone != "Z" || frac.len() > 9 || !frac.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    let mut nanos: u32 = 0;
    for i in 0..9 {
        let digit = frac.as_bytes().get(i).map_or(0, |d| d - b'0');
        nanos = nanos * 10 + u32::from(digit);
    }
    let days = days_from_civil(year, month, day);
    Some(Timestamp { secs: days * 86_400 + h * 3600 + m * 60 + s, nanos })
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn rfc3339(t: Timestamp) -> String {
        t.to_string()
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(rfc3339(Timestamp::new(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(Timestamp::new(1_700_000_000, 120_000_000)), "2023-11-14T22:13:20.12Z");
        assert_eq!(rfc3339(Timestamp::new(951_782_400, 1)), "2000-02-29T00:00:00.000000001Z");
        assert_eq!(rfc3339(Timestamp::new(-1, 0)), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn parses_what_it_prints() {
        for t in [Timestamp::new(0, 0), Timestamp::new(1_700_000_000, 120_000_000), Timestamp::new(4_102_444_799, 999_999_999)] {
            assert_eq!(parse_rfc3339_utc(&rfc3339(t)), Some(t));
        }
        assert_eq!(parse_rfc3339_utc("2023-11-14T22:13:20+01:00"), None);
        assert_eq!(parse_rfc3339_utc("2023-13-14T22:13:20Z"), None);
        assert_eq!(parse_rfc3339_utc("garbage"), None);
    }
}
