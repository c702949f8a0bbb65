//! Iterating a tar archive held in memory: ustar, GNU long names/links, PAX overrides.
//!
//! Entries borrow their data from the archive buffer, so memory use is bounded by the
//! names kept per entry (at most [`MAX_PATH`] bytes each) plus one pending meta header.

use alloc::string::String;

use crate::error::TarError;
use crate::header::{cstr, RawHeader, BLOCK};
use crate::pax::PaxOverrides;

/// The longest path or link target accepted, in bytes (Linux `PATH_MAX`).
pub const MAX_PATH: usize = 4096;
/// The largest PAX or GNU long-name entry accepted, in bytes.
pub const MAX_META: usize = 1 << 20;

/// What an entry creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// A symbolic link to the given target (kept verbatim).
    Symlink(String),
    /// A hard link to an earlier entry's path (relative to the archive root).
    HardLink(String),
    CharDevice { major: u32, minor: u32 },
    BlockDevice { major: u32, minor: u32 },
    Fifo,
}

/// One archive member, with GNU and PAX extensions already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The path as stored (not normalized; see [`crate::normalize`]).
    pub path: String,
    pub kind: EntryKind,
    /// Permission bits including set-id and sticky (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// File contents (empty for everything but [`EntryKind::File`]).
    pub data: &'a [u8],
    /// Offset of the entry's header in the archive.
    pub offset: u64,
}

/// Meta information collected from GNU `L`/`K` and PAX `x` entries for the next entry.
#[derive(Default)]
struct Pending {
    long_name: Option<String>,
    long_link: Option<String>,
    pax: PaxOverrides,
    /// Offset of the first meta header, to report truncation after it.
    first_offset: Option<u64>,
}

/// An iterator over the entries of an uncompressed tar archive.
///
/// It stops at the first all-zero block or at the end of the buffer, and after the first
/// error (which it yields once).
pub struct Archive<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Archive<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Archive { data, pos: 0, done: false }
    }

    /// Reads entries until a real one (not a meta header) or the end.
    fn next_entry(&mut self) -> Result<Option<Entry<'a>>, TarError> {
        let mut pending = Pending::default();
        loop {
            let offset = self.pos as u64;
            let Some(block) = self.block_at(self.pos) else {
                return match (self.pos >= self.data.len(), pending.first_offset) {
                    (true, None) => Ok(None),
                    (_, Some(first)) => Err(TarError::Truncated { offset: first }),
                    (false, None) => Err(TarError::Truncated { offset }),
                };
            };
            if block.iter().all(|&b| b == 0) {
                return match pending.first_offset {
                    Some(first) => Err(TarError::Truncated { offset: first }),
                    None => Ok(None),
                };
            }
            let header = RawHeader::parse(block, offset)?;
            let typeflag = header.typeflag();
            let stored_size = match typeflag {
                // Header-only types carry no data blocks whatever their size field says.
                b'1' | b'2' | b'3' | b'4' | b'5' | b'6' => 0,
                // A PAX size applies to the next real entry, not to other meta headers.
                b'L' | b'K' | b'x' | b'g' => header.size()?,
                _ => pending.pax.size.map_or_else(|| header.size(), Ok)?,
            };
            let size = usize::try_from(stored_size)
                .map_err(|_| TarError::BadNumber { field: "size", offset })?;
            let data_start = self.pos.checked_add(BLOCK).ok_or(TarError::Truncated { offset })?;
            let data_end = data_start.checked_add(size).ok_or(TarError::Truncated { offset })?;
            let data = self.data.get(data_start..data_end).ok_or(TarError::Truncated { offset })?;
            let padded = size.checked_next_multiple_of(BLOCK).ok_or(TarError::Truncated { offset })?;
            // The final entry's padding may be cut off; the next read then sees the end.
            self.pos = data_start.saturating_add(padded).min(self.data.len().max(data_end));

            match typeflag {
                b'L' | b'K' | b'x' => {
                    pending.first_offset.get_or_insert(offset);
                    if data.len() > MAX_META {
                        return Err(TarError::NameTooLong { offset });
                    }
                    match typeflag {
                        b'L' => pending.long_name = Some(meta_name(data, offset)?),
                        b'K' => pending.long_link = Some(meta_name(data, offset)?),
                        _ => pending.pax = PaxOverrides::parse(data, offset)?,
                    }
                }
                // Global PAX headers and volume labels describe no file.
                b'g' | b'V' => {}
                _ => return build_entry(&header, pending, data).map(Some),
            }
        }
    }

    fn block_at(&self, pos: usize) -> Option<&'a [u8; BLOCK]> {
        self.data.get(pos..pos.checked_add(BLOCK)?)?.try_into().ok()
    }
}

impl<'a> Iterator for Archive<'a> {
    type Item = Result<Entry<'a>, TarError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.next_entry();
        if !matches!(result, Ok(Some(_))) {
            self.done = true;
        }
        result.transpose()
    }
}

/// Combines a header with its pending meta information into an entry.
fn build_entry<'a>(header: &RawHeader<'a>, pending: Pending, data: &'a [u8]) -> Result<Entry<'a>, TarError> {
    let offset = header.offset;
    let path = match pending.pax.path.or(pending.long_name) {
        Some(p) => p,
        None => {
            let (prefix, name) = header.name();
            let mut joined = utf8(prefix, offset)?;
            if !joined.is_empty() {
                joined.push('/');
            }
            joined.push_str(&utf8(name, offset)?);
            joined
        }
    };
    check_name(&path, offset)?;
    let link = || -> Result<String, TarError> {
        let target = match pending.pax.linkpath.clone().or(pending.long_link.clone()) {
            Some(t) => t,
            None => utf8(header.linkname(), offset)?,
        };
        check_name(&target, offset)?;
        Ok(target)
    };
    let device = || -> Result<(u32, u32), TarError> {
        let major = u32::try_from(header.dev_major()?)
            .map_err(|_| TarError::BadNumber { field: "devmajor", offset })?;
        let minor = u32::try_from(header.dev_minor()?)
            .map_err(|_| TarError::BadNumber { field: "devminor", offset })?;
        Ok((major, minor))
    };
    let typeflag = header.typeflag();
    let kind = match typeflag {
        // Pre-POSIX archives mark directories by a trailing slash on a regular entry.
        b'0' | 0 if path.ends_with('/') => EntryKind::Dir,
        b'0' | 0 | b'7' => EntryKind::File,
        b'1' => EntryKind::HardLink(link()?),
        b'2' => EntryKind::Symlink(link()?),
        b'3' => {
            let (major, minor) = device()?;
            EntryKind::CharDevice { major, minor }
        }
        b'4' => {
            let (major, minor) = device()?;
            EntryKind::BlockDevice { major, minor }
        }
        b'5' | b'D' => EntryKind::Dir,
        b'6' => EntryKind::Fifo,
        _ => return Err(TarError::UnsupportedType { typeflag, offset }),
    };
    let id = |value: i64, field: &'static str| {
        u32::try_from(value).map_err(|_| TarError::BadNumber { field, offset })
    };
    let mode = header.mode()?;
    let mode = u32::try_from(mode & 0o7777).map_err(|_| TarError::BadNumber { field: "mode", offset })?;
    let data = if kind == EntryKind::File { data } else { &[][..] };
    Ok(Entry {
        path,
        kind,
        mode,
        uid: id(pending.pax.uid.map_or_else(|| header.uid(), Ok)?, "uid")?,
        gid: id(pending.pax.gid.map_or_else(|| header.gid(), Ok)?, "gid")?,
        mtime: pending.pax.mtime.map_or_else(|| header.mtime(), Ok)?,
        data,
        offset,
    })
}

/// A GNU long name/link payload: NUL-terminated text.
fn meta_name(data: &[u8], offset: u64) -> Result<String, TarError> {
    let name = utf8(cstr(data), offset)?;
    check_name(&name, offset)?;
    Ok(name)
}

fn utf8(bytes: &[u8], offset: u64) -> Result<String, TarError> {
    core::str::from_utf8(bytes).map(String::from).map_err(|_| TarError::BadName { offset })
}

fn check_name(name: &str, offset: u64) -> Result<(), TarError> {
    if name.len() > MAX_PATH {
        return Err(TarError::NameTooLong { offset });
    }
    if name.contains('\0') {
        return Err(TarError::BadName { offset });
    }
    Ok(())
}
