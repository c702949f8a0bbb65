//! Typed errors for archive decoding and layer application, each convertible to an [`Errno`].

use alloc::string::String;
use core::fmt;
use errno::Errno;

/// Why a compressed stream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GzipError {
    /// The gzip header is malformed (bad magic, method, flags or truncated fields).
    BadHeader,
    /// The deflate stream is corrupt or ends early.
    Corrupt,
    /// The CRC-32 in the trailer does not match the data.
    CrcMismatch,
    /// The ISIZE in the trailer does not match the data length.
    LengthMismatch,
    /// Bytes after the last member that are neither a gzip member nor zero padding.
    TrailingGarbage,
}

/// Why a tar archive (or its compressed wrapper) could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TarError {
    /// The archive ends inside a header or an entry's data.
    Truncated { offset: u64 },
    /// A header's checksum does not match its bytes.
    BadChecksum { offset: u64 },
    /// A numeric header field (octal or base-256) is malformed or out of range.
    BadNumber { field: &'static str, offset: u64 },
    /// A PAX extended header record is malformed.
    BadPax { offset: u64 },
    /// A name is longer than the limit ([`crate::MAX_PATH`]), or a GNU/PAX meta entry is too big.
    NameTooLong { offset: u64 },
    /// A name or link target is not valid UTF-8 or contains NUL.
    BadName { offset: u64 },
    /// An entry type this reader does not support (sparse files, multi-volume, unknown).
    UnsupportedType { typeflag: u8, offset: u64 },
    /// A compression format that is recognised but not supported (zstd, bzip2, xz).
    UnsupportedCompression(&'static str),
    /// The gzip wrapper is corrupt.
    Gzip(GzipError),
    /// Decompressed data would exceed the caller's limit (decompression bomb guard).
    TooLarge { limit: usize },
}

impl TarError {
    /// The errno a syscall-level caller reports for this error.
    pub fn errno(&self) -> Errno {
        match self {
            TarError::NameTooLong { .. } => Errno::ENAMETOOLONG,
            TarError::UnsupportedType { .. } | TarError::UnsupportedCompression(_) => {
                Errno::EOPNOTSUPP
            }
            TarError::TooLarge { .. } => Errno::EFBIG,
            _ => Errno::EINVAL,
        }
    }
}

impl From<GzipError> for TarError {
    fn from(e: GzipError) -> Self {
        TarError::Gzip(e)
    }
}

impl From<TarError> for Errno {
    fn from(e: TarError) -> Self {
        e.errno()
    }
}

impl fmt::Display for GzipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GzipError::BadHeader => "bad gzip header",
            GzipError::Corrupt => "corrupt deflate data",
            GzipError::CrcMismatch => "gzip CRC mismatch",
            GzipError::LengthMismatch => "gzip length mismatch",
            GzipError::TrailingGarbage => "trailing garbage after gzip data",
        })
    }
}

impl fmt::Display for TarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TarError::Truncated { offset } => write!(f, "tar: unexpected end of archive at byte {offset}"),
            TarError::BadChecksum { offset } => write!(f, "tar: header checksum mismatch at byte {offset}"),
            TarError::BadNumber { field, offset } => {
                write!(f, "tar: invalid {field} field in header at byte {offset}")
            }
            TarError::BadPax { offset } => write!(f, "tar: malformed PAX header at byte {offset}"),
            TarError::NameTooLong { offset } => write!(f, "tar: name too long at byte {offset}"),
            TarError::BadName { offset } => write!(f, "tar: invalid name at byte {offset}"),
            TarError::UnsupportedType { typeflag, offset } => write!(
                f,
                "tar: unsupported entry type {:?} at byte {offset}",
                char::from(*typeflag)
            ),
            TarError::UnsupportedCompression(name) => write!(f, "unsupported compression: {name}"),
            TarError::Gzip(e) => write!(f, "gzip: {e}"),
            TarError::TooLarge { limit } => {
                write!(f, "decompressed data exceeds the limit of {limit} bytes")
            }
        }
    }
}

/// Why a layer could not be applied to a [`crate::LayerTarget`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// The archive itself is bad.
    Tar(TarError),
    /// An entry's path (or hard-link target) escapes the root or contains NUL.
    UnsafePath { path: String },
    /// A whiteout names nothing (`.wh.` alone) or `.`/`..`.
    BadWhiteout { path: String },
    /// The target filesystem refused an operation.
    Target { op: &'static str, path: String, errno: Errno },
}

impl ApplyError {
    /// The errno a syscall-level caller reports for this error.
    pub fn errno(&self) -> Errno {
        match self {
            ApplyError::Tar(e) => e.errno(),
            ApplyError::UnsafePath { .. } | ApplyError::BadWhiteout { .. } => Errno::EINVAL,
            ApplyError::Target { errno, .. } => *errno,
        }
    }
}

impl From<TarError> for ApplyError {
    fn from(e: TarError) -> Self {
        ApplyError::Tar(e)
    }
}

impl From<ApplyError> for Errno {
    fn from(e: ApplyError) -> Self {
        e.errno()
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Tar(e) => e.fmt(f),
            ApplyError::UnsafePath { path } => write!(f, "layer: unsafe path {path:?}"),
            ApplyError::BadWhiteout { path } => write!(f, "layer: invalid whiteout {path:?}"),
            ApplyError::Target { op, path, errno } => {
                write!(f, "layer: {op} {path}: {}", errno.message())
            }
        }
    }
}
