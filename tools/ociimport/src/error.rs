//! [`Error`]: every way an import fails, shown as one line `<source>: <reason>`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use oci::{Digest, LayoutError};

/// An import failure: the source given by the user and what went wrong with it.
#[derive(Debug)]
pub struct Error {
    /// The path the user gave (`--image PATH`).
    pub source: PathBuf,
    pub kind: Kind,
}

/// What went wrong.
#[derive(Debug)]
pub enum Kind {
    /// The path does not exist.
    NotFound,
    /// Reading the source or writing the result failed.
    Io { path: PathBuf, error: io::Error },
    /// Neither an OCI image layout nor a `docker save` archive or directory.
    NotAnImage(String),
    /// The tar (or its gzip wrapping) cannot be read.
    CorruptTar(String),
    /// A file the image's documents name is absent (`blobs/sha256/...`, `<id>/layer.tar`).
    Missing(String),
    /// A blob or layer does not hash to the digest that names it.
    DigestMismatch { what: String, expected: Digest, actual: Digest },
    /// A blob's size differs from its descriptor.
    SizeMismatch { what: String, expected: u64, actual: u64 },
    /// A document is malformed or the image breaks a rule the kernel enforces.
    Invalid(String),
    /// The source holds several images (or none by the requested name).
    Choose(String),
    /// The image name is not usable as a directory on the data disk.
    BadName(String),
}

impl Error {
    pub(crate) fn new(source: &Path, kind: Kind) -> Error {
        Error { source: source.to_path_buf(), kind }
    }
}

impl Kind {
    /// Maps an I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Kind {
        let path = path.into();
        move |error| Kind::Io { path, error }
    }
}

impl From<LayoutError> for Kind {
    fn from(e: LayoutError) -> Kind {
        match e {
            LayoutError::Read { path, errno: errno::Errno::ENOENT } => Kind::Missing(path),
            LayoutError::NotALayout(why) => Kind::NotAnImage(why),
            LayoutError::DigestMismatch { expected, actual } => {
                Kind::DigestMismatch { what: format!("blob {expected}"), expected, actual }
            }
            LayoutError::SizeMismatch { digest, expected, actual } => {
                Kind::SizeMismatch { what: format!("blob {digest}"), expected, actual }
            }
            LayoutError::Ambiguous { .. } | LayoutError::NoSuchImage { .. } => Kind::Choose(e.to_string()),
            other => Kind::Invalid(other.to_string()),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::NotFound => f.write_str("no such file or directory"),
            Kind::Io { path, error } => write!(f, "{}: {error}", path.display()),
            Kind::NotAnImage(why) => write!(f, "not an OCI image layout or docker save archive ({why})"),
            Kind::CorruptTar(why) => write!(f, "corrupt archive: {why}"),
            Kind::Missing(what) => write!(f, "missing {what} (the image is incomplete)"),
            Kind::DigestMismatch { what, expected, actual } => {
                write!(f, "{what}: content hashes to {actual}, expected {expected}")
            }
            Kind::SizeMismatch { what, expected, actual } => {
                write!(f, "{what}: size {actual}, expected {expected}")
            }
            Kind::Invalid(why) => f.write_str(why),
            Kind::Choose(why) => f.write_str(why),
            Kind::BadName(why) => f.write_str(why),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source.display(), self.kind)
    }
}

impl std::error::Error for Error {}
