//! Data through descriptors: read/write and friends, lseek, terminal ioctls, fcntl.
//! Pipes are read and written straight between user memory and the pipe's
//! ring; other files go through a kernel buffer of at most `CHUNK` bytes.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::flags::{
    OpenFlags, PollEvents, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETOWN, F_GETOWN_EX, F_GETPIPE_SZ, F_SETFD, F_SETFL, F_SETOWN,
    F_SETOWN_EX, F_SETPIPE_SZ, FD_CLOEXEC, FIOASYNC,
    FIOCLEX, FIONBIO, FIONCLEX, FIONREAD, MAX_RW_COUNT, SEEK_CUR, SEEK_END, SEEK_SET,
};
use linux_abi::structs::{Abi, Iovec, Pollfd, Timespec, UIO_MAXIOV};
use linux_abi::{Fd, IoctlArg, UserPtr, UserSlice};

use super::SysResult;
use crate::task::files::{Node, OpenFile};
use crate::task::Task;

/// The largest kernel buffer one read or write goes through.
const CHUNK: usize = 64 * 1024;
const O_APPEND: u32 = OpenFlags::O_APPEND.bits();
const O_NONBLOCK: u32 = OpenFlags::O_NONBLOCK.bits();
const O_ACCMODE: u32 = OpenFlags::O_ACCMODE.bits();
const O_RDONLY: u32 = OpenFlags::O_RDONLY.bits();
const O_WRONLY: u32 = OpenFlags::O_WRONLY.bits();
const O_RDWR: u32 = OpenFlags::O_RDWR.bits();
const POLLIN: u16 = PollEvents::POLLIN.bits();
const POLLOUT: u16 = PollEvents::POLLOUT.bits();
const POLLERR: u16 = PollEvents::POLLERR.bits();
const POLLHUP: u16 = PollEvents::POLLHUP.bits();
const POLLNVAL: i16 = PollEvents::POLLNVAL.bits() as i16;

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

/// The file of a read: EBADF unless open for reading, then `access_ok`
/// (EFAULT), as Linux's `vfs_read` checks them.
fn readable_file(p: &Task, fd: Fd, buf: UserPtr<u8>, count: usize) -> Result<(Arc<OpenFile>, UserSlice), Errno> {
    let file = p.files.get(fd.into())?;
    if !file.readable {
        return Err(Errno::EBADF);
    }
    Ok((file, buf.array(count)?))
}

/// read/pread64 into `dst` (checked): at most `MAX_RW_COUNT` bytes.
pub(super) fn do_read(p: &mut Task, file: &OpenFile, dst: UserSlice, offset: Option<u64>) -> SysResult {
    if let Some(pos) = offset {
        verify_area(pos, dst.len())?;
    }
    let dst = dst.prefix(dst.len().min(MAX_RW_COUNT))?;
    if let (Node::Pipe(end), None) = (&file.node, offset) {
        // Straight from the pipe's ring into user memory.
        let space = &p.space;
        return end.pipe.read_to(dst.len(), nonblocking(file), &mut |off, piece| space.copy_out(dst.sub(off, piece.len())?, piece));
    }
    let mut kbuf = vec![0u8; dst.len().min(CHUNK)];
    let n = read_file(file, &mut kbuf, offset)?;
    p.space.copy_out(dst, &kbuf[..n])?;
    Ok(n)
}

/// write/pwrite64 of the bytes in `src` (already checked by `access_ok`).
pub(super) fn do_write(p: &mut Task, file: &Arc<OpenFile>, src: UserSlice, offset: Option<u64>) -> SysResult {
    let len = src.len().min(MAX_RW_COUNT);
    if let (Node::Pipe(end), true, None) = (&file.node, file.writable, offset) {
        // Straight from user memory into the pipe's ring.
        let space = &p.space;
        return end.pipe.write_from(len, nonblocking(file), &mut |off, piece| space.copy_in(src.sub(off, piece.len())?, piece));
    }
    let mut buf = vec![0u8; len.min(CHUNK)];
    let mut done = 0usize;
    while done < len {
        let n = (len - done).min(CHUNK);
        p.space.copy_in(src.sub(done, n)?, &mut buf[..n])?;
        let at = match offset {
            Some(o) => Some(o.checked_add(done as u64).ok_or(Errno::EFBIG)?),
            None => None,
        };
        let wrote = write_file(file, &buf[..n], at)?;
        done += wrote;
        if wrote < n || crate::task::signal_pending() {
            break;
        }
        crate::sched::cond_resched();
    }
    Ok(done)
}

/// The file of a write: EBADF unless open for writing, then `access_ok`.
fn writable_file(p: &Task, fd: Fd, buf: UserPtr<u8>, count: usize) -> Result<(Arc<OpenFile>, UserSlice), Errno> {
    let file = p.files.get(fd.into())?;
    if !file.writable {
        return Err(Errno::EBADF);
    }
    Ok((file, buf.array(count)?))
}

/// The offset of pread64/pwrite64: EINVAL if negative (checked first, as
/// Linux does), or if `pos + count` passes the largest `loff_t` (Linux's
/// `rw_verify_area`, once the descriptor is known).
fn position(pos: i64) -> Result<u64, Errno> {
    u64::try_from(pos).map_err(|_| Errno::EINVAL)
}

pub(super) fn verify_area(pos: u64, count: usize) -> Result<(), Errno> {
    let end = i64::try_from(pos).ok().zip(i64::try_from(count).ok()).and_then(|(p, c)| p.checked_add(c));
    end.map(|_| ()).ok_or(Errno::EINVAL)
}

pub(super) fn check_seekable(file: &OpenFile) -> Result<(), Errno> {
    match file.node {
        Node::Path(_) => Ok(()),
        Node::Console | Node::Pipe(_) | Node::Socket(_) | Node::Epoll(_) => Err(Errno::ESPIPE),
    }
}

pub fn read(p: &mut Task, fd: Fd, buf: UserPtr<u8>, count: usize) -> SysResult {
    let (file, dst) = readable_file(p, fd, buf, count)?;
    do_read(p, &file, dst, None)
}

pub fn pread64(p: &mut Task, fd: Fd, buf: UserPtr<u8>, count: usize, pos: i64) -> SysResult {
    let pos = position(pos)?;
    check_seekable(&*p.files.get(fd.into())?)?;
    let (file, dst) = readable_file(p, fd, buf, count)?;
    do_read(p, &file, dst, Some(pos))
}

pub fn write(p: &mut Task, fd: Fd, buf: UserPtr<u8>, count: usize) -> SysResult {
    let (file, src) = writable_file(p, fd, buf, count)?;
    do_write(p, &file, src, None)
}

pub fn pwrite64(p: &mut Task, fd: Fd, buf: UserPtr<u8>, count: usize, pos: i64) -> SysResult {
    let pos = position(pos)?;
    check_seekable(&*p.files.get(fd.into())?)?;
    let (file, src) = writable_file(p, fd, buf, count)?;
    verify_area(pos, count)?;
    do_write(p, &file, src, Some(pos))
}

/// The buffers of readv/writev: at most `UIO_MAXIOV` (EINVAL).
pub(super) fn iovecs(p: &Task, iov: UserPtr<Iovec>, count: u64) -> Result<Vec<UserSlice>, Errno> {
    let count = usize::try_from(count).ok().filter(|&n| n <= UIO_MAXIOV).ok_or(Errno::EINVAL)?;
    super::user_iovecs(p, iov, count)
}

pub fn writev(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64) -> SysResult {
    let file = p.files.get(fd.into())?;
    if !file.writable {
        return Err(Errno::EBADF);
    }
    let mut total = 0;
    for src in iovecs(p, iov, count)? {
        let n = match do_write(p, &file, src, None) {
            Ok(n) => n,
            Err(_) if total > 0 => break,
            Err(e) => return Err(e),
        };
        total += n;
        if n < src.len() {
            break;
        }
    }
    Ok(total)
}

pub fn readv(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64) -> SysResult {
    let file = p.files.get(fd.into())?;
    if !file.readable {
        return Err(Errno::EBADF);
    }
    let mut total = 0;
    for dst in iovecs(p, iov, count)? {
        let n = match do_read(p, &file, dst, None) {
            Ok(n) => n,
            Err(_) if total > 0 => break,
            Err(e) => return Err(e),
        };
        total += n;
        if n < dst.len() {
            break;
        }
    }
    Ok(total)
}

pub fn lseek(p: &mut Task, fd: Fd, offset: i64, whence: u32) -> SysResult {
    let file = p.files.get(fd.into())?;
    let Node::Path(loc) = &file.node else { return Err(Errno::ESPIPE) };
    let mut pos = file.offset.lock();
    let base = match whence {
        SEEK_SET => 0i64,
        SEEK_CUR => i64::try_from(*pos).map_err(|_| Errno::EOVERFLOW)?,
        SEEK_END => i64::try_from(loc.metadata()?.size).map_err(|_| Errno::EOVERFLOW)?,
        _ => return Err(Errno::EINVAL),
    };
    let new = base.checked_add(offset).filter(|n| *n >= 0).ok_or(Errno::EINVAL)?;
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

pub fn ioctl(p: &mut Task, fd: Fd, cmd: u32, arg: IoctlArg) -> SysResult {
    let file = p.files.get(fd.into())?;
    if cmd == FIOASYNC {
        return super::owner::fioasync(p, &file, arg);
    }
    if let Node::Socket(s) = &file.node {
        return super::socket::ioctl(p, &file, s, cmd, arg);
    }
    if let (Node::Pipe(end), FIONREAD) = (&file.node, cmd) {
        let n = u32::try_from(end.pipe.available()).unwrap_or(u32::MAX);
        p.space.write(arg.ptr::<u32>(), &n)?;
        return Ok(0);
    }
    match cmd {
        FIONBIO => {
            let on = p.space.read(arg.ptr::<u32>())?;
            let mut status = file.status.lock();
            if on != 0 {
                *status |= O_NONBLOCK;
            } else {
                *status &= !O_NONBLOCK;
            }
            return Ok(0);
        }
        FIOCLEX | FIONCLEX => return p.files.set_cloexec(fd.into(), cmd == FIOCLEX).map(|_| 0),
        _ => {}
    }
    if !is_console(&file) {
        return Err(Errno::ENOTTY);
    }
    crate::console::terminal::ioctl(&p.proc, &p.space, cmd, arg)
}

pub fn fcntl(p: &mut Task, fd: Fd, cmd: u32, arg: u64) -> SysResult {
    let file = p.files.get(fd.into())?;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let min = usize::try_from(arg as u32 as i32).map_err(|_| Errno::EINVAL)?;
            if min >= crate::task::files::MAX_FDS {
                return Err(Errno::EINVAL);
            }
            p.files.insert(file, cmd == F_DUPFD_CLOEXEC, min)
        }
        F_GETFD => Ok(usize::from(p.files.cloexec(fd.into())?)),
        F_GETPIPE_SZ | F_SETPIPE_SZ => match &file.node {
            Node::Pipe(end) if cmd == F_GETPIPE_SZ => Ok(end.pipe.capacity()),
            Node::Pipe(end) => end.pipe.set_capacity(arg as u32 as usize),
            _ => Err(Errno::EBADF),
        },
        F_SETFD => p.files.set_cloexec(fd.into(), arg as u32 & FD_CLOEXEC != 0).map(|_| 0),
        F_GETFL => {
            let access = match (file.readable, file.writable) {
                (true, true) => O_RDWR,
                (false, true) => O_WRONLY,
                _ => O_RDONLY,
            };
            Ok((*file.status.lock() & !O_ACCMODE | access) as usize)
        }
        F_SETFL => {
            let settable = OpenFlags::SETFL_MASK.bits();
            let mut status = file.status.lock();
            *status = (*status & !settable) | (arg as u32 & settable);
            Ok(0)
        }
        F_SETOWN => super::owner::setown(p, &file, arg as u32 as i32),
        F_GETOWN => super::owner::getown(&file),
        F_SETOWN_EX => super::owner::setown_ex(p, &file, arg),
        F_GETOWN_EX => super::owner::getown_ex(p, &file, arg),
        super::locks::F_GETLK
        | super::locks::F_SETLK
        | super::locks::F_SETLKW
        | super::locks::F_OFD_GETLK
        | super::locks::F_OFD_SETLK
        | super::locks::F_OFD_SETLKW => super::locks::fcntl_lock(p, &file, cmd, UserPtr::new(arg)),
        _ => Err(Errno::EINVAL),
    }
}

/// Ready events of one descriptor for poll/select.
pub fn ready_events(file: &OpenFile, events: u16) -> u16 {
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
fn do_poll(p: &mut Task, fds: UserPtr<Pollfd>, nfds: u32, timeout_ms: Option<u64>) -> SysResult {
    let nfds = nfds as usize;
    if nfds as u64 > p.rlimit(creds::Resource::NOFILE).min(crate::task::files::MAX_FDS as u64) {
        return Err(Errno::EINVAL);
    }
    let range = fds.array(nfds)?;
    let mut raw = vec![0u8; range.len()];
    p.space.copy_in(range, &mut raw)?;
    let deadline = timeout_ms.map(|t| crate::time::ticks().saturating_add(t.saturating_mul(u64::from(crate::time::HZ)) / 1000));
    let files = p.files.clone();
    let scan = |raw: &mut [u8]| -> usize {
        let mut ready = 0;
        for entry in raw.chunks_exact_mut(Pollfd::SIZE) {
            let mut pfd = Pollfd::read_from(entry);
            pfd.revents = if pfd.fd < 0 {
                0
            } else {
                match files.get(i64::from(pfd.fd)) {
                    Err(_) => POLLNVAL,
                    Ok(file) => ready_events(&file, pfd.events as u16) as i16,
                }
            };
            pfd.write_to(entry);
            if pfd.revents != 0 {
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
    p.space.copy_out(range, &raw)?;
    Ok(n)
}

pub fn poll(p: &mut Task, fds: UserPtr<Pollfd>, nfds: u32, timeout: i32) -> SysResult {
    let timeout = u64::try_from(timeout).ok();
    do_poll(p, fds, nfds, timeout)
}

/// ppoll(fds, nfds, timeout, sigmask, sigsetsize): the timeout is read
/// first, then the temporary signal mask is put in force for the wait.
pub fn ppoll(p: &mut Task, fds: UserPtr<Pollfd>, nfds: u32, timeout: UserPtr<Timespec>, mask: UserPtr<u64>, size: usize) -> SysResult {
    let timeout = super::timeout_ms(p, timeout)?;
    super::with_sigmask(p, mask, size, |p| do_poll(p, fds, nfds, timeout))
}
