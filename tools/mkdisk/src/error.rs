//! [`Error`]: every way building an image fails, each shown as one line `<path>: <reason>`.

use std::fmt;
use std::io;
use std::path::PathBuf;

use errno::Errno;
use fat32::{FormatError, MountError};

use crate::size::mib;

#[derive(Debug)]
pub enum Error {
    /// Reading an input or writing the image failed.
    Io { path: PathBuf, source: io::Error },
    /// An input is not a directory.
    NotADirectory { path: PathBuf },
    /// An input file or directory could not be stored under its name.
    Fat { path: PathBuf, errno: Errno },
    /// An input file is larger than FAT32 allows.
    FileTooLarge { path: PathBuf, size: u64 },
    /// The input does not fit the disk.
    NoSpace { output: PathBuf, disk: u64, needed: u64, free: u64, suggested: u64 },
    /// The image could not be formatted (size, label).
    Format { output: PathBuf, size: u64, source: FormatError },
    /// An existing image (for [`crate::add`]) is not a FAT32 volume.
    NotFat { image: PathBuf, source: MountError },
    /// The inputs do not fit the free space of an existing image.
    Full { image: PathBuf, needed: u64, free: u64 },
    /// The freshly formatted image did not mount (a bug).
    Mount { output: PathBuf, source: MountError },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    pub(crate) fn fat(path: impl Into<PathBuf>) -> impl FnOnce(Errno) -> Error {
        let path = path.into();
        move |errno| Error::Fat { path, errno }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::NotADirectory { path } => write!(f, "{}: not a directory", path.display()),
            Error::Fat { path, errno } => {
                let reason = match *errno {
                    Errno::EINVAL => {
                        "name not allowed on FAT (control characters, \"*/:<>?\\| or a trailing space)"
                    }
                    Errno::EEXIST => {
                        "name already used in this directory of the image (FAT names ignore case)"
                    }
                    Errno::ENAMETOOLONG => "name longer than FAT's 255 characters",
                    Errno::ENOSPC => "no space left on the disk",
                    other => other.message(),
                };
                write!(f, "{}: {reason}", path.display())
            }
            Error::FileTooLarge { path, size } => {
                let size = mib(*size);
                write!(f, "{}: {size} is larger than FAT32's 4 GiB - 1 file limit", path.display())
            }
            Error::NoSpace { output, disk, needed, free, suggested } => write!(
                f,
                "{}: input needs about {} but a {} disk has {} free; use --size {}M or more",
                output.display(),
                mib(*needed),
                mib(*disk),
                mib(*free),
                suggested >> 20
            ),
            Error::Format { output, size, source: FormatError::TooSmall { min_bytes } } => write!(
                f,
                "{}: {} is too small for FAT32, which needs at least {}",
                output.display(),
                mib(*size),
                mib(*min_bytes)
            ),
            Error::Format { output, source, .. } => write!(f, "{}: {source}", output.display()),
            Error::NotFat { image, source } => write!(f, "{}: not a FAT32 image: {source}", image.display()),
            Error::Full { image, needed, free } => write!(
                f,
                "{}: needs about {} but only {} is free (delete old images, or the disk to have it made again)",
                image.display(),
                mib(*needed),
                mib(*free)
            ),
            Error::Mount { output, source } => {
                write!(f, "{}: fresh image does not mount: {source}", output.display())
            }
        }
    }
}

impl std::error::Error for Error {}
