//! Positioned vector I/O: preadv(295), pwritev(296), preadv2(327),
//! pwritev2(328).
//!
//! Role: the offset and `RWF_*` rules around readv/writev; the bytes move
//! through `io`'s read and write paths (the buffers as one run of bytes).
//! On x86_64 the offset is the whole `pos_l` register (`pos_h` is
//! ignored); preadv2/pwritev2 take -1 for "at the file position", as
//! readv/writev. `RWF_HIPRI`, `RWF_DSYNC` and `RWF_SYNC` are accepted (the
//! block cache writes through); `RWF_APPEND` writes at the end of the file;
//! `RWF_NOAPPEND` lets a positioned write of an `O_APPEND` file go where it
//! says (both mean nothing to a read); `RWF_NOWAIT`, `RWF_ATOMIC`, `RWF_DONTCACHE` and unknown flags are
//! `EOPNOTSUPP` (not offered).
//! May call: `io` (the read/write paths), `task` (descriptors).

use errno::Errno;
use linux_abi::flags::OpenFlags;
use linux_abi::structs::Iovec;
use linux_abi::{Fd, UserPtr};

use super::io::{do_read, do_write, iovecs, verify_area};
use super::SysResult;
use crate::task::files::OpenFile;
use crate::task::Task;

pub const RWF_HIPRI: u32 = 0x1;
pub const RWF_DSYNC: u32 = 0x2;
pub const RWF_SYNC: u32 = 0x4;
pub const RWF_APPEND: u32 = 0x10;
pub const RWF_NOAPPEND: u32 = 0x20;
const O_APPEND: u32 = OpenFlags::O_APPEND.bits();

pub fn preadv(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64, pos: i64) -> SysResult {
    vectored(p, fd, iov, count, Some(pos), 0, false)
}

pub fn pwritev(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64, pos: i64) -> SysResult {
    vectored(p, fd, iov, count, Some(pos), 0, true)
}

pub fn preadv2(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64, pos: i64, _pos_h: u64, flags: u32) -> SysResult {
    vectored(p, fd, iov, count, (pos != -1).then_some(pos), flags, false)
}

pub fn pwritev2(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64, pos: i64, _pos_h: u64, flags: u32) -> SysResult {
    vectored(p, fd, iov, count, (pos != -1).then_some(pos), flags, true)
}

/// Where a write with these flags starts: the end of the file for
/// RWF_APPEND, and for a positioned write of an O_APPEND file (unless
/// RWF_NOAPPEND), as Linux's `IOCB_APPEND`. None: not appending (or not
/// a file with an end).
fn append_at(file: &OpenFile, pos: Option<u64>, flags: u32) -> Result<Option<u64>, Errno> {
    let o_append = *file.status.lock() & O_APPEND != 0;
    let append = flags & RWF_APPEND != 0 || (o_append && pos.is_some() && flags & RWF_NOAPPEND == 0);
    match (file.location(), append) {
        (Some(loc), true) if file.inner().positional() => Ok(Some(loc.metadata()?.size)),
        _ => Ok(None),
    }
}

fn vectored(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64, pos: Option<i64>, flags: u32, write: bool) -> SysResult {
    let file = p.files.get(fd.into())?;
    let pos = match pos {
        Some(x) => Some(u64::try_from(x).map_err(|_| Errno::EINVAL)?),
        None => None,
    };
    if flags & !(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND | RWF_NOAPPEND) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if pos.is_some() && !file.inner().positional() {
        return Err(Errno::ESPIPE);
    }
    if (write && !file.writable) || (!write && !file.readable) {
        return Err(Errno::EBADF);
    }
    let segs = iovecs(p, iov, count)?;
    let total: usize = segs.iter().map(|b| b.len()).sum();
    if let Some(at) = pos {
        verify_area(at, total)?;
    }
    if !write {
        return do_read(p, &file, segs, pos);
    }
    // An appending write is positioned at the end; without an offset of
    // its own it moves the file position past what it wrote.
    match append_at(&file, pos, flags)? {
        Some(end) => {
            let n = do_write(p, &file, segs, Some(end))?;
            if pos.is_none() {
                *file.offset.lock() = end + n as u64;
            }
            Ok(n)
        }
        None => do_write(p, &file, segs, pos),
    }
}
