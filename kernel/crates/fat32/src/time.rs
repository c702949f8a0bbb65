//! FAT timestamps <-> Unix seconds. FAT stores local time with no zone; like Linux's vfat with
//! its default `tz=UTC` handling, this crate treats it as UTC. Dates run 1980-01-01 to
//! 2107-12-31 with 2-second resolution; conversions to FAT clamp into that range.

/// A FAT date and time pair as stored in a directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FatTime {
    pub date: u16,
    pub time: u16,
}

/// 1980-01-01T00:00:00Z.
const FAT_EPOCH: i64 = 315_532_800;
/// 2107-12-31T23:59:58Z.
const FAT_MAX: i64 = 4_354_819_198;
const DAY: i64 = 86_400;

impl FatTime {
    /// The FAT timestamp for `unix` seconds, clamped to FAT's range, rounded down to 2 s.
    pub fn from_unix(unix: i64) -> FatTime {
        let t = unix.clamp(FAT_EPOCH, FAT_MAX);
        let (days, secs) = (t.div_euclid(DAY), t.rem_euclid(DAY));
        let (year, month, day) = civil_from_days(days);
        let date = ((year - 1980) as u16) << 9 | (month as u16) << 5 | day as u16;
        let (hours, minutes, halves) = (secs / 3600, secs / 60 % 60, secs % 60 / 2);
        let time = (hours as u16) << 11 | (minutes as u16) << 5 | halves as u16;
        FatTime { date, time }
    }

    /// Unix seconds for this timestamp. Like Linux, a month or day of 0 counts as 1; other
    /// out-of-range fields are taken arithmetically, so any bit pattern converts.
    pub fn to_unix(self) -> i64 {
        let year = 1980 + i64::from(self.date >> 9);
        let month = i64::from((self.date >> 5) & 0x0F).clamp(1, 12);
        let day = i64::from(self.date & 0x1F).max(1);
        let secs = i64::from(self.time >> 11) * 3600
            + i64::from((self.time >> 5) & 0x3F) * 60
            + i64::from(self.time & 0x1F) * 2;
        (days_from_civil(year, month, 1) + day - 1) * DAY + secs
    }

    /// Unix seconds of a date with no time of day (the access date).
    pub fn date_to_unix(date: u16) -> i64 {
        FatTime { date, time: 0 }.to_unix()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month 1..=12, day 1..=31) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
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
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        // 2024-02-29T13:45:30Z
        let t = FatTime::from_unix(1_709_214_330);
        assert_eq!(t.date, (44 << 9) | (2 << 5) | 29);
        assert_eq!(t.time, (13 << 11) | (45 << 5) | 15);
        assert_eq!(t.to_unix(), 1_709_214_330);
        assert_eq!(FatTime::from_unix(0).to_unix(), FAT_EPOCH);
        assert_eq!(FatTime::from_unix(i64::MAX).to_unix(), FAT_MAX);
        assert_eq!(FatTime { date: 0, time: 0 }.to_unix(), FAT_EPOCH);
        assert_eq!(FatTime::date_to_unix(t.date), 1_709_164_800);
    }

    proptest! {
        #[test]
        fn round_trips_to_two_seconds(unix in FAT_EPOCH..=FAT_MAX) {
            prop_assert_eq!(FatTime::from_unix(unix).to_unix(), unix - unix % 2);
        }

        #[test]
        fn any_bits_convert(date: u16, time: u16) {
            let _ = FatTime { date, time }.to_unix();
        }
    }
}
