//! Moving data inside the kernel: splice(275), tee(276), vmsplice(278),
//! copy_file_range(326).
//!
//! Role: Linux's argument rules and blocking rules; the bytes go through
//! the pipe's ring and the files' read/write paths (`io`), copied rather
//! than moved by page reference (what a program observes is the same).
//! splice: one side must be a pipe; a pipe side waits for data (input) or
//! room (output) as `SPLICE_F_NONBLOCK` or the pipes' O_NONBLOCK say, and
//! the call moves at most what the pipe holds or has room for, as Linux's.
//! Regular files, sockets and devices can feed or drain a pipe; other
//! files are EINVAL. tee copies between two pipes without consuming; vmsplice is
//! readv/writev on a pipe with splice's waiting rules. copy_file_range
//! copies between regular files of one filesystem (EXDEV across, as Linux
//! since 5.19), never past the input's end.
//! May call: `io` (file reads and writes), `task::pipe`, `task` (descriptors).

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::flags::{OpenFlags, MAX_RW_COUNT};
use linux_abi::structs::Iovec;
use linux_abi::{Fd, UserPtr, UserSlice};

use super::io::{iovecs, read_file, write_file};
use super::SysResult;
use crate::net::socket::Socket;
use crate::task::files::OpenFile;
use crate::task::pipe::{Pipe, PipeEnd};
use crate::task::Task;

pub const SPLICE_F_MOVE: u32 = 1;
pub const SPLICE_F_NONBLOCK: u32 = 2;
pub const SPLICE_F_MORE: u32 = 4;
pub const SPLICE_F_GIFT: u32 = 8;
const SPLICE_F_ALL: u32 = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
const O_APPEND: u32 = OpenFlags::O_APPEND.bits();
/// The largest kernel buffer one step goes through.
const CHUNK: usize = 64 * 1024;

fn pipe_of(file: &OpenFile) -> Option<&Arc<Pipe>> {
    file.downcast::<PipeEnd>().map(|end| &end.pipe)
}

fn nonblocking(file: &OpenFile) -> bool {
    file.nonblocking()
}

/// The non-pipe side of a splice: a regular file's location, or `None`
/// for a stream (a socket, a device); EINVAL for anything else.
fn regular(file: &OpenFile) -> Result<Option<&vfs::Location>, Errno> {
    match file.location() {
        Some(loc) => match loc.kind()? {
            vfs::FileKind::Regular => Ok(Some(loc)),
            vfs::FileKind::CharDevice | vfs::FileKind::BlockDevice => Ok(None),
            _ => Err(Errno::EINVAL),
        },
        None if file.downcast::<Socket>().is_some() => Ok(None),
        None => Err(Errno::EINVAL),
    }
}

/// An offset from user memory: EINVAL if negative.
fn read_offset(p: &Task, at: UserPtr<i64>) -> Result<Option<u64>, Errno> {
    if at.is_null() {
        return Ok(None);
    }
    let v = p.space.read(at)?;
    Ok(Some(u64::try_from(v).map_err(|_| Errno::EINVAL)?))
}

pub fn splice(p: &mut Task, fd_in: Fd, off_in: UserPtr<i64>, fd_out: Fd, off_out: UserPtr<i64>, len: usize, flags: u32) -> SysResult {
    if len == 0 {
        return Ok(0);
    }
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let input = p.files.get(fd_in.into())?;
    let out = p.files.get(fd_out.into())?;
    let (ipipe, opipe) = (pipe_of(&input), pipe_of(&out));
    if (ipipe.is_some() && !off_in.is_null()) || (opipe.is_some() && !off_out.is_null()) {
        return Err(Errno::ESPIPE);
    }
    let pos_out = read_offset(p, off_out)?;
    let pos_in = read_offset(p, off_in)?;
    if !input.readable || !out.writable {
        return Err(Errno::EBADF);
    }
    let len = len.min(MAX_RW_COUNT);
    let flag_nonblock = flags & SPLICE_F_NONBLOCK != 0;
    match (ipipe, opipe) {
        (Some(a), Some(b)) => {
            if Arc::ptr_eq(a, b) {
                return Err(Errno::EINVAL);
            }
            let nonblock = flag_nonblock || nonblocking(&input) || nonblocking(&out);
            pipe_to_pipe(a, b, len, nonblock, false)
        }
        (Some(a), None) => {
            let loc = regular(&out)?;
            if (pos_out.is_some() && loc.is_none()) || *out.status.lock() & O_APPEND != 0 {
                return Err(Errno::EINVAL);
            }
            let nonblock = flag_nonblock || nonblocking(&input);
            let n = pipe_to_file(a, &out, loc.is_some(), pos_out, len, nonblock)?;
            if let Some(at) = pos_out {
                p.space.write(off_out, &((at + n as u64) as i64))?;
            }
            Ok(n)
        }
        (None, Some(b)) => {
            let loc = regular(&input)?;
            if pos_in.is_some() && loc.is_none() {
                return Err(Errno::EINVAL);
            }
            let nonblock = flag_nonblock || nonblocking(&out);
            let n = file_to_pipe(&input, loc, pos_in, b, len, nonblock)?;
            if let Some(at) = pos_in {
                p.space.write(off_in, &((at + n as u64) as i64))?;
            }
            Ok(n)
        }
        (None, None) => Err(Errno::EINVAL),
    }
}

/// Between two pipes: waits for data in `a`, then room in `b`; moves (or,
/// for tee, copies) what fits.
fn pipe_to_pipe(a: &Pipe, b: &Pipe, len: usize, nonblock: bool, keep: bool) -> SysResult {
    let held = a.wait_data(nonblock)?;
    if held == 0 {
        return Ok(0);
    }
    let room = b.wait_room(nonblock)?;
    let mut buf = vec![0u8; len.min(held).min(room).min(CHUNK)];
    let n = if keep {
        a.peek_to(buf.len(), &mut |off, piece| {
            buf[off..off + piece.len()].copy_from_slice(piece);
            Ok(())
        })?
    } else {
        a.read(&mut buf, true)?
    };
    // There is room for it: this does not wait.
    b.write(&buf[..n], false)
}

/// From a pipe to a regular file (at `pos`, or its own position) or a
/// socket: waits for data, then takes at most `len` of what is held.
fn pipe_to_file(a: &Pipe, out: &OpenFile, is_file: bool, pos: Option<u64>, len: usize, nonblock: bool) -> SysResult {
    let held = a.wait_data(nonblock)?;
    if held == 0 {
        return Ok(0);
    }
    let want = len.min(held);
    if is_file {
        // Straight from the ring into the file; a piece the file refuses stays in the pipe.
        return a.read_to(want, true, &mut |off, piece| {
            let mut done = 0;
            while done < piece.len() {
                let at = pos.map(|p| p + (off + done) as u64);
                match write_file(out, &piece[done..], at)? {
                    0 => return Err(Errno::EIO),
                    n => done += n,
                }
            }
            Ok(())
        });
    }
    // A socket or device may block: take a bounded chunk first, then send all of it.
    let mut buf = vec![0u8; want.min(CHUNK)];
    let n = a.read(&mut buf, true)?;
    let mut sent = 0;
    while sent < n {
        match write_file(out, &buf[sent..n], None) {
            Ok(0) => break,
            Ok(w) => sent += w,
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(sent)
}

/// From a regular file (never past its end) or a socket into a pipe:
/// waits for room, then fills at most that.
fn file_to_pipe(input: &OpenFile, loc: Option<&vfs::Location>, pos: Option<u64>, b: &Pipe, len: usize, nonblock: bool) -> SysResult {
    let room = b.wait_room(nonblock)?;
    let Some(loc) = loc else {
        // A socket or device: what it has (its own blocking rules), at most the room.
        let mut buf = vec![0u8; len.min(room).min(CHUNK)];
        let n = read_file(input, &mut buf, None)?;
        return b.write(&buf[..n], false);
    };
    let start = pos.unwrap_or_else(|| *input.offset.lock());
    let size = loc.metadata()?.size;
    let want = len.min(room).min(usize::try_from(size.saturating_sub(start)).unwrap_or(usize::MAX));
    if want == 0 {
        return Ok(0);
    }
    let n = b.write_from(want, false, &mut |off, piece| {
        match read_file(input, piece, Some(start + off as u64))? {
            n if n == piece.len() => Ok(()),
            // The file shrank meanwhile.
            _ => Err(Errno::EIO),
        }
    })?;
    if pos.is_none() {
        *input.offset.lock() = start + n as u64;
    }
    Ok(n)
}

pub fn tee(p: &mut Task, fd_in: Fd, fd_out: Fd, len: usize, flags: u32) -> SysResult {
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let input = p.files.get(fd_in.into())?;
    let out = p.files.get(fd_out.into())?;
    if !input.readable || !out.writable {
        return Err(Errno::EBADF);
    }
    match (pipe_of(&input), pipe_of(&out)) {
        (Some(a), Some(b)) if !Arc::ptr_eq(a, b) => {
            let nonblock = flags & SPLICE_F_NONBLOCK != 0 || nonblocking(&input) || nonblocking(&out);
            pipe_to_pipe(a, b, len.min(MAX_RW_COUNT), nonblock, true)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Copies between a transfer's offset and user buffers: the buffer and
/// the offset in it where transfer offset `off` lands.
fn locate(bufs: &[UserSlice], mut off: usize) -> Option<(UserSlice, usize)> {
    for b in bufs {
        if off < b.len() {
            return Some((*b, off));
        }
        off -= b.len();
    }
    None
}

/// vmsplice(fd, iov, count, flags): user memory into a pipe's write end,
/// or out of its read end.
pub fn vmsplice(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64, flags: u32) -> SysResult {
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let file = p.files.get(fd.into())?;
    if !file.readable && !file.writable {
        return Err(Errno::EBADF);
    }
    let bufs: Vec<UserSlice> = iovecs(p, iov, count)?.into_iter().filter(|b| b.len() > 0).collect();
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    if total == 0 {
        return Ok(0);
    }
    let pipe = pipe_of(&file).ok_or(Errno::EBADF)?;
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let space = &p.space;
    if file.writable {
        let room = pipe.wait_room(nonblock)?;
        pipe.write_from(total.min(room), false, &mut |off, piece| {
            let mut done = 0;
            while done < piece.len() {
                let (b, at) = locate(&bufs, off + done).ok_or(Errno::EFAULT)?;
                let n = (b.len() - at).min(piece.len() - done);
                space.copy_in(b.sub(at, n)?, &mut piece[done..done + n])?;
                done += n;
            }
            Ok(())
        })
    } else {
        let held = pipe.wait_data(nonblock)?;
        if held == 0 {
            return Ok(0);
        }
        pipe.read_to(total.min(held), true, &mut |off, piece| {
            let mut done = 0;
            while done < piece.len() {
                let (b, at) = locate(&bufs, off + done).ok_or(Errno::EFAULT)?;
                let n = (b.len() - at).min(piece.len() - done);
                space.copy_out(b.sub(at, n)?, &piece[done..done + n])?;
                done += n;
            }
            Ok(())
        })
    }
}

/// copy_file_range(fd_in, off_in*, fd_out, off_out*, len, flags):
/// between regular files of one filesystem; `*off` (updated) or the
/// files' positions (advanced). Linux's checks: flags (EINVAL), the
/// descriptors (EBADF), the offsets (EFAULT), directories (EISDIR), other
/// non-regular files (EINVAL), access and O_APPEND (EBADF), another
/// filesystem (EXDEV), offsets (EOVERFLOW, EINVAL), overlapping ranges of
/// one file (EINVAL).
pub fn copy_file_range(p: &mut Task, fd_in: Fd, off_in: UserPtr<i64>, fd_out: Fd, off_out: UserPtr<i64>, len: usize, flags: u32) -> SysResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let input = p.files.get(fd_in.into())?;
    let out = p.files.get(fd_out.into())?;
    let given_in = if off_in.is_null() { None } else { Some(p.space.read(off_in)?) };
    let given_out = if off_out.is_null() { None } else { Some(p.space.read(off_out)?) };
    let (Some(lin), Some(lout)) = (input.location(), out.location()) else { return Err(Errno::EINVAL) };
    let (sin, sout) = (lin.stat()?, lout.stat()?);
    if sin.meta.is_dir() || sout.meta.is_dir() {
        return Err(Errno::EISDIR);
    }
    if sin.meta.kind != vfs::FileKind::Regular || sout.meta.kind != vfs::FileKind::Regular {
        return Err(Errno::EINVAL);
    }
    if !input.readable || !out.writable || *out.status.lock() & O_APPEND != 0 {
        return Err(Errno::EBADF);
    }
    if sin.dev != sout.dev {
        return Err(Errno::EXDEV);
    }
    // Linux adds the length to the offsets as unsigned numbers: a negative
    // offset wraps (EOVERFLOW); one the length does not push past 2^64 is
    // then EINVAL (`rw_verify_area`).
    let pos_in = given_in.map_or_else(|| *input.offset.lock(), |v| v as u64);
    let pos_out = given_out.map_or_else(|| *out.offset.lock(), |v| v as u64);
    let len = len as u64;
    if pos_in.checked_add(len).is_none() || pos_out.checked_add(len).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    if pos_in > i64::MAX as u64 || pos_out > i64::MAX as u64 {
        return Err(Errno::EINVAL);
    }
    let len = len.min(MAX_RW_COUNT as u64).min(i64::MAX as u64 - pos_out);
    // Never past the input's end.
    let count = len.min(sin.meta.size.saturating_sub(pos_in));
    if sin.meta.ino == sout.meta.ino && pos_in < pos_out + count && pos_out < pos_in + count {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; (count as usize).min(CHUNK)];
    let mut done = 0u64;
    while done < count {
        let want = ((count - done) as usize).min(CHUNK);
        let n = match read_file(&input, &mut buf[..want], Some(pos_in + done)) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let mut wrote = 0;
        while wrote < n {
            match write_file(&out, &buf[wrote..n], Some(pos_out + done + wrote as u64)) {
                Ok(0) => break,
                Ok(w) => wrote += w,
                Err(e) if done == 0 && wrote == 0 => return Err(e),
                Err(_) => break,
            }
        }
        done += wrote as u64;
        if wrote < n || crate::task::signal_pending() {
            break;
        }
        crate::sched::cond_resched();
    }
    match given_in {
        Some(_) => p.space.write(off_in, &((pos_in + done) as i64))?,
        None => *input.offset.lock() = pos_in + done,
    }
    match given_out {
        Some(_) => p.space.write(off_out, &((pos_out + done) as i64))?,
        None => *out.offset.lock() = pos_out + done,
    }
    Ok(done as usize)
}
