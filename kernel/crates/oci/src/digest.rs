//! [`Digest`]: a strictly validated `sha256:<64 lowercase hex>` content address.
//!
//! A digest becomes a path (`blobs/sha256/<hex>`), so nothing but this exact shape is
//! accepted: no other algorithm, no upper case, no separators, no length variation.

use alloc::format;
use alloc::string::String;
use core::fmt;

use serde::{Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// A SHA-256 content digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    bytes: [u8; 32],
}

/// Why a string is not a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestError {
    /// The algorithm prefix is not `sha256:`.
    Algorithm,
    /// The encoded part is not exactly 64 lowercase hexadecimal characters.
    Encoding,
}

impl fmt::Display for DigestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DigestError::Algorithm => "unsupported digest algorithm (only sha256 is accepted)",
            DigestError::Encoding => "invalid sha256 digest (want 64 lowercase hex digits)",
        })
    }
}

impl Digest {
    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(text: &str) -> Result<Digest, DigestError> {
        let hex = text.strip_prefix("sha256:").ok_or(DigestError::Algorithm)?;
        Digest::from_hex(hex)
    }

    /// Parses the 64 lowercase hex digits alone (as in `blobs/sha256/<hex>` file names).
    pub fn from_hex(hex: &str) -> Result<Digest, DigestError> {
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return Err(DigestError::Encoding);
        }
        let mut bytes = [0u8; 32];
        for (out, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let (hi, lo) = (nibble(pair[0])?, nibble(pair[1])?);
            *out = hi << 4 | lo;
        }
        Ok(Digest { bytes })
    }

    /// The digest of `data`.
    pub fn of(data: &[u8]) -> Digest {
        Digest { bytes: Sha256::digest(data).into() }
    }

    /// The 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.bytes {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// The blob's path inside an image layout: `blobs/sha256/<hex>`.
    pub fn blob_path(&self) -> String {
        format!("blobs/sha256/{}", self.hex())
    }

    /// The raw 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

fn nibble(c: u8) -> Result<u8, DigestError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        _ => Err(DigestError::Encoding),
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl core::str::FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Digest::parse(s)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hashes_and_round_trips() {
        let d = Digest::of(b"");
        assert_eq!(alloc::string::ToString::to_string(&d), EMPTY);
        assert_eq!(Digest::parse(EMPTY), Ok(d));
        assert_eq!(d.blob_path(), format!("blobs/sha256/{}", &EMPTY[7..]));
    }

    #[test]
    fn rejects_everything_else() {
        let upper = EMPTY.to_ascii_uppercase().replace("SHA256", "sha256");
        let bad: [(&str, DigestError); 8] = [
            ("", DigestError::Algorithm),
            ("sha512:abcd", DigestError::Algorithm),
            ("SHA256:e3b0", DigestError::Algorithm),
            (&EMPTY[7..], DigestError::Algorithm),
            ("sha256:", DigestError::Encoding),
            (&EMPTY[..EMPTY.len() - 1], DigestError::Encoding),
            (&upper, DigestError::Encoding),
            ("sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", DigestError::Encoding),
        ];
        for (text, want) in bad {
            assert_eq!(Digest::parse(text), Err(want), "{text}");
        }
        assert!(Digest::parse(&format!("{EMPTY}0")).is_err());
        assert!(Digest::parse(&format!("{EMPTY}\n")).is_err());
    }
}
