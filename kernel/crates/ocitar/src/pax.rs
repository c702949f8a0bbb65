//! PAX extended header records (`"%d %s=%s\n"`), keeping the keys that matter for layers.

use alloc::string::String;

use crate::archive::MAX_PATH;
use crate::error::TarError;

/// Overrides from a PAX `x` header for the next entry. Unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaxOverrides {
    pub path: Option<String>,
    pub linkpath: Option<String>,
    pub size: Option<i64>,
    pub uid: Option<i64>,
    pub gid: Option<i64>,
    /// Whole seconds (any fraction is dropped, rounding toward negative infinity).
    pub mtime: Option<i64>,
}

impl PaxOverrides {
    /// Parses the data of a PAX `x` header. `offset` locates the header for errors.
    pub fn parse(mut data: &[u8], offset: u64) -> Result<Self, TarError> {
        let bad = TarError::BadPax { offset };
        let mut out = PaxOverrides::default();
        // Some writers pad the record area with NULs.
        while let Some(&first) = data.first() {
            if first == 0 {
                break;
            }
            let (key, value, rest) = split_record(data).ok_or(bad.clone())?;
            out.apply(key, value, offset)?;
            data = rest;
        }
        if data.iter().any(|&b| b != 0) {
            return Err(bad);
        }
        Ok(out)
    }

    fn apply(&mut self, key: &[u8], value: &[u8], offset: u64) -> Result<(), TarError> {
        let bad = || TarError::BadPax { offset };
        // An empty value deletes the key (POSIX): fall back to the ustar field.
        let text = || -> Result<Option<String>, TarError> {
            if value.is_empty() {
                return Ok(None);
            }
            let s = core::str::from_utf8(value).map_err(|_| TarError::BadName { offset })?;
            if s.contains('\0') {
                return Err(TarError::BadName { offset });
            }
            if s.len() > MAX_PATH {
                return Err(TarError::NameTooLong { offset });
            }
            Ok(Some(String::from(s)))
        };
        let number = || -> Result<Option<i64>, TarError> {
            if value.is_empty() {
                return Ok(None);
            }
            parse_decimal(value).map(Some).ok_or_else(bad)
        };
        match key {
            b"path" => self.path = text()?,
            b"linkpath" => self.linkpath = text()?,
            b"size" => self.size = number()?,
            b"uid" => self.uid = number()?,
            b"gid" => self.gid = number()?,
            b"mtime" => {
                self.mtime = if value.is_empty() { None } else { Some(parse_time(value).ok_or_else(bad)?) }
            }
            k if k.starts_with(b"GNU.sparse.") => {
                return Err(TarError::UnsupportedType { typeflag: b'S', offset })
            }
            _ => {}
        }
        Ok(())
    }
}

/// Splits one record off `data`: (key, value, rest).
fn split_record(data: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let space = data.iter().position(|&b| b == b' ')?;
    let len = usize::try_from(parse_decimal(data.get(..space)?)?).ok()?;
    let record = data.get(..len)?;
    let rest = &data[len..];
    let body = record.get(space + 1..)?.strip_suffix(b"\n")?;
    let eq = body.iter().position(|&b| b == b'=')?;
    let (key, value) = (&body[..eq], &body[eq + 1..]);
    if key.is_empty() {
        return None;
    }
    Some((key, value, rest))
}

/// A non-negative decimal integer with no sign, spaces or leading `+`.
fn parse_decimal(text: &[u8]) -> Option<i64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0i64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
    })
}

/// A PAX time: optional `-`, seconds, optional `.fraction`. Returns floor(seconds).
fn parse_time(text: &[u8]) -> Option<i64> {
    let (negative, text) = match text.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (secs, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &[][..]),
    };
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs = parse_decimal(secs)?;
    let has_fraction = frac.iter().any(|&b| b != b'0');
    Some(match (negative, has_fraction) {
        (false, _) => secs,
        (true, false) => -secs,
        (true, true) => (-secs).checked_sub(1)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;

    fn record(key: &str, value: &str) -> Vec<u8> {
        // The length counts its own digits: iterate to a fixed point.
        let body = format!(" {key}={value}\n");
        let mut len = body.len() + 1;
        while format!("{len}").len() + body.len() != len {
            len += 1;
        }
        format!("{len}{body}").into_bytes()
    }

    #[test]
    fn parses_known_keys() {
        let mut data = record("path", "a/very/long/path");
        data.extend(record("linkpath", "target"));
        data.extend(record("size", "12345"));
        data.extend(record("uid", "1000"));
        data.extend(record("gid", "100"));
        data.extend(record("mtime", "1700000000.123456789"));
        data.extend(record("SCHILY.xattr.user.x", "with = and\nnewline"));
        data.extend(record("uname", "root"));
        let pax = PaxOverrides::parse(&data, 0).unwrap();
        assert_eq!(pax.path.as_deref(), Some("a/very/long/path"));
        assert_eq!(pax.linkpath.as_deref(), Some("target"));
        assert_eq!(pax.size, Some(12345));
        assert_eq!((pax.uid, pax.gid), (Some(1000), Some(100)));
        assert_eq!(pax.mtime, Some(1_700_000_000));
    }

    #[test]
    fn times() {
        assert_eq!(parse_time(b"-1.5"), Some(-2));
        assert_eq!(parse_time(b"-3"), Some(-3));
        assert_eq!(parse_time(b"-3.000"), Some(-3));
        assert_eq!(parse_time(b"12."), Some(12));
        assert_eq!(parse_time(b"1.2.3"), None);
        assert_eq!(parse_time(b""), None);
    }

    #[test]
    fn rejects_malformed_records() {
        for bad in [&b"5 a=b\n"[..], b"99 path=x\n", b"x path=y\n", b"7 =abc\n", b"8 pathx\n"] {
            assert_eq!(PaxOverrides::parse(bad, 7), Err(TarError::BadPax { offset: 7 }), "{bad:?}");
        }
        assert!(PaxOverrides::parse(&record("size", "-1"), 0).is_err());
        assert!(matches!(
            PaxOverrides::parse(&record("GNU.sparse.major", "1"), 0),
            Err(TarError::UnsupportedType { .. })
        ));
    }

    #[test]
    fn empty_value_unsets() {
        let mut data = record("path", "first");
        data.extend(record("path", ""));
        data.extend([0, 0, 0]);
        assert_eq!(PaxOverrides::parse(&data, 0).unwrap().path, None);
    }
}
