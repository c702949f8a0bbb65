//! [`DocError`]: a JSON document problem that names the document and the field path.

use alloc::string::String;
use core::fmt;
use errno::Errno;

/// What is wrong at a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The bytes are not JSON (serde_json's message, with line and column).
    Syntax(String),
    /// A required field is absent (or `null`).
    Missing,
    /// The field has the wrong JSON type; the text says what was expected
    /// (`"an array of strings"`).
    WrongType(&'static str),
    /// The field has the right type but an unacceptable value.
    Invalid(String),
}

/// An error in a JSON document, e.g.
/// `config.json: process.args: expected an array of strings` or
/// `config.json: missing field root.path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError {
    /// The document (`config.json`, `index.json`, `manifest sha256:…`).
    pub doc: String,
    /// The field path (`process.args`, `mounts[2].destination`); empty for the whole document.
    pub path: String,
    pub problem: Problem,
}

/// The error type of [`crate::parse_config`].
pub type ConfigError = DocError;

impl DocError {
    /// The errno a syscall-level caller reports: always `EINVAL`.
    pub fn errno(&self) -> Errno {
        Errno::EINVAL
    }
}

impl From<DocError> for Errno {
    fn from(e: DocError) -> Self {
        e.errno()
    }
}

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DocError { doc, path, problem } = self;
        match problem {
            Problem::Syntax(msg) => write!(f, "{doc}: invalid JSON: {msg}"),
            Problem::Missing => write!(f, "{doc}: missing field {path}"),
            Problem::WrongType(what) if path.is_empty() => write!(f, "{doc}: expected {what}"),
            Problem::WrongType(what) => write!(f, "{doc}: {path}: expected {what}"),
            Problem::Invalid(msg) if path.is_empty() => write!(f, "{doc}: {msg}"),
            Problem::Invalid(msg) => write!(f, "{doc}: {path}: {msg}"),
        }
    }
}
