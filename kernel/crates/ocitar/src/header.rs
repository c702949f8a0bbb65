//! One raw 512-byte tar header block: field extraction, numbers, checksum and format.

use crate::error::TarError;

/// Size of a tar block (headers and data padding).
pub const BLOCK: usize = 512;

/// The header dialect, told by the magic field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Pre-POSIX: no magic, no prefix field.
    V7,
    /// POSIX ustar (`ustar\0` `00`): the prefix field extends the name.
    Ustar,
    /// GNU (`ustar ` ` \0`): the prefix area holds other fields.
    Gnu,
}

/// A borrowed, checksum-verified header block.
#[derive(Debug, Clone, Copy)]
pub struct RawHeader<'a> {
    block: &'a [u8; BLOCK],
    /// Byte offset of this header in the archive, for error messages.
    pub offset: u64,
}

impl<'a> RawHeader<'a> {
    /// Wraps a block, verifying its checksum. The caller has ruled out all-zero blocks.
    pub fn parse(block: &'a [u8; BLOCK], offset: u64) -> Result<Self, TarError> {
        let header = RawHeader { block, offset };
        let stored = header.number(148, 8, "checksum")?;
        // Historic writers summed signed chars; accept either sum, as GNU tar does.
        let (mut unsigned, mut signed) = (0i64, 0i64);
        for (i, &b) in block.iter().enumerate() {
            let b = if (148..156).contains(&i) { b' ' } else { b };
            unsigned += i64::from(b);
            signed += i64::from(b as i8);
        }
        if stored != unsigned && stored != signed {
            return Err(TarError::BadChecksum { offset });
        }
        Ok(header)
    }

    /// The header dialect.
    pub fn format(&self) -> Format {
        match (&self.block[257..263], &self.block[263..265]) {
            (b"ustar\0", _) => Format::Ustar,
            (b"ustar ", b" \0") => Format::Gnu,
            _ => Format::V7,
        }
    }

    /// The entry type byte.
    pub fn typeflag(&self) -> u8 {
        self.block[156]
    }

    /// The name, joined with the ustar prefix when present (raw bytes).
    pub fn name(&self) -> (&'a [u8], &'a [u8]) {
        let name = cstr(&self.block[0..100]);
        let prefix = match self.format() {
            Format::Ustar => cstr(&self.block[345..500]),
            Format::V7 | Format::Gnu => &[],
        };
        (prefix, name)
    }

    /// The link target field (raw bytes).
    pub fn linkname(&self) -> &'a [u8] {
        cstr(&self.block[157..257])
    }

    pub fn mode(&self) -> Result<i64, TarError> {
        self.number(100, 8, "mode")
    }
    pub fn uid(&self) -> Result<i64, TarError> {
        self.number(108, 8, "uid")
    }
    pub fn gid(&self) -> Result<i64, TarError> {
        self.number(116, 8, "gid")
    }
    pub fn size(&self) -> Result<i64, TarError> {
        self.number(124, 12, "size")
    }
    pub fn mtime(&self) -> Result<i64, TarError> {
        self.number(136, 12, "mtime")
    }
    pub fn dev_major(&self) -> Result<i64, TarError> {
        self.number(329, 8, "devmajor")
    }
    pub fn dev_minor(&self) -> Result<i64, TarError> {
        self.number(337, 8, "devminor")
    }

    /// Parses a numeric field at `start..start+len` (octal text or GNU base-256).
    fn number(&self, start: usize, len: usize, field: &'static str) -> Result<i64, TarError> {
        let bytes = &self.block[start..start + len];
        parse_number(bytes).ok_or(TarError::BadNumber { field, offset: self.offset })
    }
}

/// The bytes before the first NUL.
pub fn cstr(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => &bytes[..end],
        None => bytes,
    }
}

/// Parses a tar numeric field: base-256 when the high bit of the first byte is set
/// (0x80 positive, 0xff negative, two's complement), else octal text with optional
/// leading/trailing spaces and NULs (empty means 0).
pub fn parse_number(bytes: &[u8]) -> Option<i64> {
    match bytes.first() {
        Some(&first) if first & 0x80 != 0 => parse_base256(bytes),
        _ => parse_octal(bytes),
    }
}

fn parse_base256(bytes: &[u8]) -> Option<i64> {
    // Negative numbers are stored in two's complement: invert, read as unsigned, invert back.
    let first = *bytes.first()?;
    let invert = if first & 0x40 != 0 { 0xff } else { 0 };
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let b = if i == 0 { (b ^ invert) & 0x7f } else { b ^ invert };
        if value >> 56 != 0 {
            return None;
        }
        value = value << 8 | u64::from(b);
    }
    let magnitude = i64::try_from(value).ok()?;
    Some(if invert != 0 { !magnitude } else { magnitude })
}

fn parse_octal(bytes: &[u8]) -> Option<i64> {
    let trimmed = trim(bytes);
    let mut value: i64 = 0;
    for &b in trimmed {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        value = value.checked_mul(8)?.checked_add(i64::from(b - b'0'))?;
    }
    Some(value)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let pad = |b: &u8| *b == b' ' || *b == 0;
    let start = bytes.iter().position(|b| !pad(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !pad(b)).map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_numbers() {
        assert_eq!(parse_number(b"0000644\0"), Some(0o644));
        assert_eq!(parse_number(b"  755 \0"), Some(0o755));
        assert_eq!(parse_number(b"\0\0\0\0"), Some(0));
        assert_eq!(parse_number(b"00000000017\0"), Some(15));
        assert_eq!(parse_number(b"0 8"), None);
        assert_eq!(parse_number(b"12x"), None);
        assert_eq!(parse_number(b"7777777777777777777777777"), None);
    }

    #[test]
    fn base256_numbers() {
        let mut field = [0u8; 12];
        field[0] = 0x80;
        field[8..].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        assert_eq!(parse_number(&field), Some(0x1234_5678));
        // -1 is all ones.
        assert_eq!(parse_number(&[0xff; 8]), Some(-1));
        let mut minus_two = [0xffu8; 8];
        minus_two[7] = 0xfe;
        assert_eq!(parse_number(&minus_two), Some(-2));
        let mut huge = [0xffu8; 12];
        huge[0] = 0x80;
        assert_eq!(parse_number(&huge), None, "does not fit i64");
    }
}
