//! Decimal fractions without floating point: `top -d 0.5` and its `12.3`
//! percentages. (The kernel is built soft-float; parsing and printing one
//! `f64` pulls ~20 KB of core's float code into it.)

use core::fmt;

/// Seconds written as `S`, `S.F` or `.F` (digits only) in milliseconds,
/// digits past the third decimal ignored. `None` for anything else or an
/// overflow.
pub fn parse_millis(s: &str) -> Option<u64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if (whole.is_empty() && frac.is_empty()) || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut ms = 0u64;
    for (i, scale) in [100, 10, 1].into_iter().enumerate() {
        ms += u64::from(frac.as_bytes().get(i).map_or(0, |b| b - b'0')) * scale;
    }
    secs.checked_mul(1000)?.checked_add(ms)
}

/// A value in tenths, shown with one decimal (`123` -> `12.3`); width and
/// alignment flags apply to the whole number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenths(pub u64);

impl Tenths {
    /// `part` as a percentage of `whole`, in tenths, rounded down (0 for an empty whole).
    pub fn percent(part: u64, whole: u64) -> Tenths {
        if whole == 0 {
            return Tenths(0);
        }
        Tenths((u128::from(part) * 1000 / u128::from(whole)).min(u128::from(u64::MAX)) as u64)
    }
}

impl fmt::Display for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 24];
        let mut w = Cursor { buf: &mut buf, len: 0 };
        let _ = fmt::write(&mut w, format_args!("{}.{}", self.0 / 10, self.0 % 10));
        let len = w.len;
        f.pad(core::str::from_utf8(&buf[..len]).unwrap_or("?"))
    }
}

struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn seconds_to_millis() {
        assert_eq!(parse_millis("2"), Some(2000));
        assert_eq!(parse_millis("0.5"), Some(500));
        assert_eq!(parse_millis(".25"), Some(250));
        assert_eq!(parse_millis("1.2345"), Some(1234));
        assert_eq!(parse_millis("3."), Some(3000));
        for bad in ["", ".", "-1", "1e3", "0x10", "1.2.3", " 1", "99999999999999999999"] {
            assert_eq!(parse_millis(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tenths_print_like_one_decimal_floats() {
        assert_eq!(format!("{}", Tenths(123)), "12.3");
        assert_eq!(format!("{:>6}", Tenths(5)), "   0.5");
        assert_eq!(format!("{:<6}|", Tenths(1000)), "100.0 |");
        assert_eq!(Tenths::percent(1, 3), Tenths(333));
        assert_eq!(Tenths::percent(5, 0), Tenths(0));
        assert_eq!(format!("{}", Tenths::percent(u64::MAX, 1)), format!("{}.{}", u64::MAX / 10, u64::MAX % 10));
    }
}
