//! Data through descriptors: read/write and friends, lseek, terminal ioctls, fcntl.
//! Pipes are read and written straight between user memory and the pipe's
//! ring; other files go through a kernel buffer of at most `CHUNK` bytes.

use alloc::sync::Arc;
use alloc::vec;
use errno::Errno;

use super::SysResult;
use crate::task::files::{Node, OpenFile};
use crate::task::Task;

const CHUNK: usize = 64 * 1024;
const O_APPEND: u32 = 0o2000;
const O_NONBLOCK: u32 = 0o4000;

fn nonblocking(file: &OpenFile) -> bool {
    *file.status.lock() & O_NONBLOCK != 0
}

/// Reads up to `buf.len()` bytes from `file` at `offset` (None: the file's own).
pub(super) fn read_file(file: &OpenFile, buf: &mut [u8], offset: Option<u64>) -> Result<usize, Errno> {
    if !file.readable {
        return Err(Errno::EBADF);
    }
    match &file.node {
        Node::Console => crate::console::terminal::read(buf, nonblocking(file)),
        Node::Pipe(end) => end.pipe.read(buf, nonblocking(file)),
        Node::Socket(s) => super::socket::read(s, buf, nonblocking(file)),
        Node::Epoll(_) => Err(Errno::EINVAL),
        Node::Path(loc) => {
            if loc.metadata()?.is_dir() {
                return Err(Errno::EISDIR);
            }
            let dev = loc.inode().device();
            let mut pos = file.offset.lock();
            let at = offset.unwrap_or(*pos);
            let n = match dev {
                Some(d) => d.read(at, buf)?,
                None => {
                    crate::mm::filemap::before_read(loc.inode(), at, buf.len() as u64);
                    loc.inode().read_at(at, buf)?
                }
            };
            if offset.is_none() {
                *pos = at + n as u64;
            }
            Ok(n)
        }
    }
}

pub(super) fn write_file(file: &OpenFile, data: &[u8], offset: Option<u64>) -> Result<usize, Errno> {
    if !file.writable {
        return Err(Errno::EBADF);
    }
    match &file.node {
        Node::Console => Ok(crate::console::terminal::write(data)),
        Node::Pipe(end) => end.pipe.write(data, nonblocking(file)),
        Node::Socket(s) => super::socket::write(s, data, nonblocking(file)),
        Node::Epoll(_) => Err(Errno::EINVAL),
        Node::Path(loc) => {
            let dev = loc.inode().device();
            let mut pos = file.offset.lock();
            let at = match offset {
                Some(o) => o,
                None if *file.status.lock() & O_APPEND != 0 => loc.metadata()?.size,
                None => *pos,
            };
            let n = match dev {
                Some(d) => d.write(at, data)?,
                None => {
                    let regular = loc.kind()? == vfs::FileKind::Regular;
                    let data = if regular { &data[..crate::task::rlimits::fsize_allows(at, data.len())?] } else { data };
                    let n = loc.inode().write_at(at, data)?;
                    crate::mm::filemap::wrote(loc.inode(), at, &data[..n.min(data.len())]);
                    n
                }
            };
            if offset.is_none() {
                *pos = at + n as u64;
            }
            Ok(n)
        }
    }
}

/// `addr + off` for a piece of a transfer at user address `addr`.
fn user_at(addr: u64, off: usize) -> Result<u64, Errno> {
    addr.checked_add(off as u64).ok_or(Errno::EFAULT)
}

fn do_read(p: &mut Task, fd: u64, addr: u64, len: u64, offset: Option<u64>) -> SysResult {
    let file = p.files.get(fd as i64)?;
    if let (Node::Pipe(end), true) = (&file.node, file.readable) {
        // Straight from the pipe's ring into user memory.
        let space = &p.space;
        return end.pipe.read_to(len as usize, nonblocking(&file), &mut |off, piece| space.copy_out(user_at(addr, off)?, piece));
    }
    let mut buf = vec![0u8; (len as usize).min(CHUNK)];
    let n = read_file(&file, &mut buf, offset)?;
    p.space.copy_out(addr, &buf[..n])?;
    Ok(n)
}

fn do_write(p: &mut Task, file: &Arc<OpenFile>, addr: u64, len: u64, offset: Option<u64>) -> SysResult {
    let len = len as usize;
    if let (Node::Pipe(end), true) = (&file.node, file.writable) {
        // Straight from user memory into the pipe's ring.
        let space = &p.space;
        return end.pipe.write_from(len, nonblocking(file), &mut |off, piece| space.copy_in(user_at(addr, off)?, piece));
    }
    let mut buf = vec![0u8; len.min(CHUNK)];
    let mut done = 0usize;
    while done < len {
        let n = (len - done).min(CHUNK);
        p.space.copy_in(addr + done as u64, &mut buf[..n])?;
        let wrote = write_file(file, &buf[..n], offset.map(|o| o + done as u64))?;
        done += wrote;
        if wrote < n {
            break;
        }
    }
    Ok(done)
}

pub fn read(p: &mut Task, a: [u64; 6]) -> SysResult {
    do_read(p, a[0], a[1], a[2], None)
}

pub fn pread64(p: &mut Task, a: [u64; 6]) -> SysResult {
    do_read(p, a[0], a[1], a[2], Some(i64::try_from(a[3]).map_err(|_| Errno::EINVAL)? as u64))
}

pub fn write(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = p.files.get(a[0] as i64)?;
    do_write(p, &file, a[1], a[2], None)
}

pub fn pwrite64(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = p.files.get(a[0] as i64)?;
    do_write(p, &file, a[1], a[2], Some(i64::try_from(a[3]).map_err(|_| Errno::EINVAL)? as u64))
}

/// The (base, len) pairs of a user iovec array.
fn iovecs(p: &Task, iov: u64, count: u64) -> Result<alloc::vec::Vec<(u64, u64)>, Errno> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    let mut out = alloc::vec::Vec::with_capacity(count as usize);
    for i in 0..count {
        let mut raw = [0u8; 16];
        p.space.copy_in(iov + 16 * i, &mut raw)?;
        let [b0, b1, b2, b3, b4, b5, b6, b7, l0, l1, l2, l3, l4, l5, l6, l7] = raw;
        out.push((u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]), u64::from_le_bytes([l0, l1, l2, l3, l4, l5, l6, l7])));
    }
    Ok(out)
}

pub fn writev(p: &mut Task, a: [u64; 6]) -> SysResult {
    let file = p.files.get(a[0] as i64)?;
    let mut total = 0;
    for (base, len) in iovecs(p, a[1], a[2])? {
        let n = do_write(p, &file, base, len, None)?;
        total += n;
        if (n as u64) < len {
            break;
        }
    }
    Ok(total)
}

pub fn readv(p: &mut Task, a: [u64; 6]) -> SysResult {
    let mut total = 0;
    for (base, len) in iovecs(p, a[1], a[2])? {
        let n = do_read(p, a[0], base, len, None)?;
        total += n;
        if (n as u64) < len {
            break;
        }
    }
    Ok(total)
}

pub fn lseek(p: &mut Task, a: [u64; 6]) -> SysResult {
    const SEEK_SET: u64 = 0;
    const SEEK_CUR: u64 = 1;
    const SEEK_END: u64 = 2;
    let file = p.files.get(a[0] as i64)?;
    let Node::Path(loc) = &file.node else { return Err(Errno::ESPIPE) };
    let mut pos = file.offset.lock();
    let base = match a[2] {
        SEEK_SET => 0i64,
        SEEK_CUR => *pos as i64,
        SEEK_END => loc.metadata()?.size as i64,
        _ => return Err(Errno::EINVAL),
    };
    let new = base.checked_add(a[1] as i64).filter(|n| *n >= 0).ok_or(Errno::EINVAL)?;
    *pos = new as u64;
    Ok(new as usize)
}

/// True if `file` is the console (the descriptor the shell handed over, or
/// /dev/console, /dev/tty, /dev/ttyS0 opened by path).
fn is_console(file: &OpenFile) -> bool {
    match &file.node {
        Node::Console => true,
        Node::Path(loc) => loc.metadata().is_ok_and(|m| {
            m.kind == vfs::FileKind::CharDevice && matches!((m.rdev.major, m.rdev.minor), (5, 0) | (5, 1) | (4, 64))
        }),
        _ => false,
    }
}

pub fn ioctl(p: &mut Task, a: [u64; 6]) -> SysResult {
    const FIONBIO: u64 = 0x5421;
    const FIOCLEX: u64 = 0x5451;
    const FIONCLEX: u64 = 0x5450;
    let fd = a[0] as i32 as i64;
    let file = p.files.get(fd)?;
    if let Node::Socket(s) = &file.node {
        return super::socket::ioctl(p, &file, s, a);
    }
    const FIONREAD: u64 = 0x541b;
    if let (Node::Pipe(end), FIONREAD) = (&file.node, a[1]) {
        p.space.copy_out(a[2], &(end.pipe.available() as u32).to_le_bytes())?;
        return Ok(0);
    }
    match a[1] {
        FIONBIO => {
            let mut on = [0u8; 4];
            p.space.copy_in(a[2], &mut on)?;
            let mut status = file.status.lock();
            if u32::from_le_bytes(on) != 0 {
                *status |= O_NONBLOCK;
            } else {
                *status &= !O_NONBLOCK;
            }
            return Ok(0);
        }
        FIOCLEX | FIONCLEX => return p.files.set_cloexec(fd, a[1] == FIOCLEX).map(|_| 0),
        _ => {}
    }
    if !is_console(&file) {
        return Err(Errno::ENOTTY);
    }
    crate::console::terminal::ioctl(&p.proc, &p.space, a[1], a[2])
}

pub fn fcntl(p: &mut Task, a: [u64; 6]) -> SysResult {
    const F_DUPFD: u64 = 0;
    const F_GETFD: u64 = 1;
    const F_SETFD: u64 = 2;
    const F_GETFL: u64 = 3;
    const F_SETFL: u64 = 4;
    const F_DUPFD_CLOEXEC: u64 = 1030;
    const F_SETPIPE_SZ: u64 = 1031;
    const F_GETPIPE_SZ: u64 = 1032;
    const FD_CLOEXEC: u64 = 1;
    /// The status flags F_SETFL may change (as Linux: O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME).
    const SETTABLE: u32 = 0o2000 | 0o4000 | 0o20000 | 0o40000 | 0o1000000;
    let fd = a[0] as i64;
    let file = p.files.get(fd)?;
    match a[1] {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let min = usize::try_from(a[2]).map_err(|_| Errno::EINVAL)?;
            if min >= crate::task::files::MAX_FDS {
                return Err(Errno::EINVAL);
            }
            p.files.insert(file, a[1] == F_DUPFD_CLOEXEC, min)
        }
        F_GETFD => Ok(usize::from(p.files.cloexec(fd)?)),
        F_GETPIPE_SZ | F_SETPIPE_SZ => match &file.node {
            Node::Pipe(end) if a[1] == F_GETPIPE_SZ => Ok(end.pipe.capacity()),
            Node::Pipe(end) => end.pipe.set_capacity(a[2] as usize),
            _ => Err(Errno::EBADF),
        },
        F_SETFD => p.files.set_cloexec(fd, a[2] & FD_CLOEXEC != 0).map(|_| 0),
        F_GETFL => {
            let access = match (file.readable, file.writable) {
                (true, true) => 2,
                (false, true) => 1,
                _ => 0,
            };
            Ok((*file.status.lock() & !3 | access) as usize)
        }
        F_SETFL => {
            let mut status = file.status.lock();
            *status = (*status & !SETTABLE) | (a[2] as u32 & SETTABLE);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// Ready events of one descriptor for poll/select.
pub fn ready_events(file: &OpenFile, events: u16) -> u16 {
    const POLLIN: u16 = 0x1;
    const POLLOUT: u16 = 0x4;
    const POLLERR: u16 = 0x8;
    const POLLHUP: u16 = 0x10;
    match &file.node {
        Node::Console => (events & POLLOUT) | if crate::console::terminal::readable() { events & POLLIN } else { 0 },
        Node::Path(_) => events & (POLLIN | POLLOUT),
        Node::Socket(s) => super::socket::poll_events(s, events),
        Node::Epoll(ep) => ep.poll_events(events),
        Node::Pipe(end) => {
            let (r, w, hup) = end.pipe.poll(end.write);
            let mut out = 0;
            if r {
                out |= events & POLLIN;
            }
            if w {
                out |= events & POLLOUT;
            }
            if hup {
                out |= if end.write { POLLERR } else { POLLHUP };
            }
            out
        }
    }
}

/// poll(7) and ppoll(271) over descriptors. Files are always ready; pipes
/// and the console by their state. Waiting sleeps on the readiness queue
/// (woken by any pipe or console change) until something is ready, a
/// signal arrives or the timeout passes.
pub fn poll(p: &mut Task, fds_addr: u64, nfds: u64, timeout_ms: Option<u64>) -> SysResult {
    const POLLIN: u16 = 0x1;
    const POLLOUT: u16 = 0x4;
    const POLLNVAL: u16 = 0x20;
    if nfds > p.rlimit(creds::Resource::NOFILE).min(crate::task::files::MAX_FDS as u64) {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; nfds as usize * 8];
    p.space.copy_in(fds_addr, &mut raw)?;
    let _ = (POLLIN, POLLOUT);
    let deadline = timeout_ms.map(|t| crate::time::ticks().saturating_add(t * u64::from(crate::time::HZ) / 1000));
    let files = p.files.clone();
    let scan = |raw: &mut [u8]| -> usize {
        let mut ready = 0;
        for entry in raw.chunks_mut(8) {
            let fd = i32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let events = u16::from_le_bytes([entry[4], entry[5]]);
            let revents = if fd < 0 {
                0
            } else {
                match files.get(i64::from(fd)) {
                    Err(_) => POLLNVAL,
                    Ok(file) => ready_events(&file, events),
                }
            };
            entry[6..8].copy_from_slice(&revents.to_le_bytes());
            if revents != 0 {
                ready += 1;
            }
        }
        ready
    };
    let result = crate::task::files::READINESS.wait_interruptible(
        || {
            let n = scan(&mut raw);
            (n > 0 || timeout_ms == Some(0)).then_some(n)
        },
        deadline,
    );
    let n = match result {
        Ok(n) => n,
        Err(crate::sched::wait::Interrupted::TimedOut) => 0,
        Err(crate::sched::wait::Interrupted::Signal) => return Err(Errno::EINTR),
    };
    p.space.copy_out(fds_addr, &raw)?;
    Ok(n)
}

pub fn poll_ms(p: &mut Task, a: [u64; 6]) -> SysResult {
    let timeout = if (a[2] as i32) < 0 { None } else { Some(u64::from(a[2] as u32)) };
    poll(p, a[0], a[1], timeout)
}

pub fn ppoll(p: &mut Task, a: [u64; 6]) -> SysResult {
    let timeout = super::timeout_ms(p, a[2])?;
    poll(p, a[0], a[1], timeout)
}
