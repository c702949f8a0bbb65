//! Data through descriptors: read/write and friends, lseek, ioctl, fcntl,
//! poll/ppoll. Every kind of file answers through `file::FileLike`: this
//! layer checks descriptors, access modes and user buffers (`access_ok`),
//! and hands the file a `UserBuf` (readv/writev's buffers are one run of
//! bytes, so a datagram or a pipe's contents spread over them in one call).

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::flags::{
    OpenFlags, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETOWN, F_GETOWN_EX, F_GETPIPE_SZ, F_SETFD, F_SETFL, F_SETOWN,
    F_SETOWN_EX, F_SETPIPE_SZ, FD_CLOEXEC, FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, MAX_RW_COUNT,
};
use linux_abi::structs::{Abi, Iovec, Pollfd, Timespec, UIO_MAXIOV};
use linux_abi::{Fd, IoctlArg, UserPtr, UserSlice};

use super::SysResult;
use crate::file::{ev, Poller, UserBuf};
use crate::task::files::OpenFile;
use crate::task::pipe::PipeEnd;
use crate::task::Task;

const O_NONBLOCK: u32 = OpenFlags::O_NONBLOCK.bits();
const O_ACCMODE: u32 = OpenFlags::O_ACCMODE.bits();
const O_RDONLY: u32 = OpenFlags::O_RDONLY.bits();
const O_WRONLY: u32 = OpenFlags::O_WRONLY.bits();
const O_RDWR: u32 = OpenFlags::O_RDWR.bits();
const POLLNVAL: i16 = linux_abi::flags::PollEvents::POLLNVAL.bits() as i16;

/// The file of a read: EBADF unless open for reading.
fn readable_file(p: &Task, fd: Fd) -> Result<Arc<OpenFile>, Errno> {
    let file = p.files.get(fd.into())?;
    if !file.readable {
        return Err(Errno::EBADF);
    }
    Ok(file)
}

/// The file of a write: EBADF unless open for writing.
fn writable_file(p: &Task, fd: Fd) -> Result<Arc<OpenFile>, Errno> {
    let file = p.files.get(fd.into())?;
    if !file.writable {
        return Err(Errno::EBADF);
    }
    Ok(file)
}

/// Reads up to `buf.len()` bytes from `file` at `offset` (None: the file's
/// own) into a kernel buffer (sendfile).
pub(super) fn read_file(file: &OpenFile, buf: &mut [u8], offset: Option<u64>) -> Result<usize, Errno> {
    if !file.readable {
        return Err(Errno::EBADF);
    }
    file.inner().read(file, &mut crate::file::buf::KernelBuf(buf), offset)
}

/// Writes kernel bytes to `file` (sendfile).
pub(super) fn write_file(file: &OpenFile, data: &[u8], offset: Option<u64>) -> Result<usize, Errno> {
    if !file.writable {
        return Err(Errno::EBADF);
    }
    file.inner().write(file, &mut crate::file::buf::Bytes(data), offset)
}

/// Reads into the user buffers `segs` (checked) at `offset` (None: the
/// file's own).
pub(super) fn do_read(p: &Task, file: &OpenFile, segs: Vec<UserSlice>, offset: Option<u64>) -> SysResult {
    let mut dst = UserBuf::new(&p.space, segs);
    file.inner().read(file, &mut dst, offset)
}

pub(super) fn do_write(p: &Task, file: &OpenFile, segs: Vec<UserSlice>, offset: Option<u64>) -> SysResult {
    let mut src = UserBuf::new(&p.space, segs);
    file.inner().write(file, &mut src, offset)
}

/// One user buffer of `count` bytes, `access_ok` checked, cut at `MAX_RW_COUNT`.
fn user_buffer(buf: UserPtr<u8>, count: usize) -> Result<Vec<UserSlice>, Errno> {
    let slice = buf.array(count)?;
    Ok(vec![slice.prefix(slice.len().min(MAX_RW_COUNT))?])
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

/// pread/pwrite's file: `ESPIPE` for what has no position (checked
/// before the access mode, as Linux's FMODE_PREAD/PWRITE).
fn positional_file(p: &Task, fd: Fd) -> Result<(), Errno> {
    if p.files.get(fd.into())?.inner().positional() {
        Ok(())
    } else {
        Err(Errno::ESPIPE)
    }
}

pub fn read(p: &mut Task, fd: Fd, buf: UserPtr<u8>, count: usize) -> SysResult {
    let file = readable_file(p, fd)?;
    let segs = user_buffer(buf, count)?;
    do_read(p, &file, segs, None)
}

pub fn pread64(p: &mut Task, fd: Fd, buf: UserPtr<u8>, count: usize, pos: i64) -> SysResult {
    let pos = position(pos)?;
    positional_file(p, fd)?;
    let file = readable_file(p, fd)?;
    let segs = user_buffer(buf, count)?;
    verify_area(pos, segs[0].len())?;
    do_read(p, &file, segs, Some(pos))
}

pub fn write(p: &mut Task, fd: Fd, buf: UserPtr<u8>, count: usize) -> SysResult {
    let file = writable_file(p, fd)?;
    let segs = user_buffer(buf, count)?;
    do_write(p, &file, segs, None)
}

pub fn pwrite64(p: &mut Task, fd: Fd, buf: UserPtr<u8>, count: usize, pos: i64) -> SysResult {
    let pos = position(pos)?;
    positional_file(p, fd)?;
    let file = writable_file(p, fd)?;
    let segs = user_buffer(buf, count)?;
    verify_area(pos, count)?;
    do_write(p, &file, segs, Some(pos))
}

/// The buffers of readv/writev: at most `UIO_MAXIOV` (EINVAL).
pub(super) fn iovecs(p: &Task, iov: UserPtr<Iovec>, count: u64) -> Result<Vec<UserSlice>, Errno> {
    let count = usize::try_from(count).ok().filter(|&n| n <= UIO_MAXIOV).ok_or(Errno::EINVAL)?;
    super::user_iovecs(p, iov, count)
}

pub fn writev(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64) -> SysResult {
    let file = writable_file(p, fd)?;
    let segs = iovecs(p, iov, count)?;
    do_write(p, &file, segs, None)
}

pub fn readv(p: &mut Task, fd: Fd, iov: UserPtr<Iovec>, count: u64) -> SysResult {
    let file = readable_file(p, fd)?;
    let segs = iovecs(p, iov, count)?;
    do_read(p, &file, segs, None)
}

pub fn lseek(p: &mut Task, fd: Fd, offset: i64, whence: u32) -> SysResult {
    let file = p.files.get(fd.into())?;
    let new = file.inner().seek(&file, offset, whence)?;
    usize::try_from(new).map_err(|_| Errno::EOVERFLOW)
}

/// ioctl(2): the requests every file answers (FIONBIO, FIOCLEX, FIONCLEX),
/// then the file's own.
pub fn ioctl(p: &mut Task, fd: Fd, cmd: u32, arg: IoctlArg) -> SysResult {
    let file = p.files.get(fd.into())?;
    match cmd {
        FIONBIO => {
            let on = p.space.read(arg.ptr::<u32>())?;
            let mut status = file.status.lock();
            if on != 0 {
                *status |= O_NONBLOCK;
            } else {
                *status &= !O_NONBLOCK;
            }
            Ok(0)
        }
        FIOCLEX | FIONCLEX => p.files.set_cloexec(fd.into(), cmd == FIOCLEX).map(|_| 0),
        FIOASYNC => super::owner::fioasync(p, &file, arg),
        _ => file.inner().ioctl(&file, p, cmd, arg),
    }
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
        F_GETPIPE_SZ | F_SETPIPE_SZ => match file.downcast::<PipeEnd>() {
            Some(end) if cmd == F_GETPIPE_SZ => Ok(end.pipe.capacity()),
            Some(end) => end.pipe.set_capacity(arg as u32 as usize),
            None => Err(Errno::EBADF),
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
            drop(status);
            super::owner::async_changed(&file);
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

/// poll(7) and ppoll(271) over descriptors: each file's own readiness
/// (`FileLike::poll`; files without readiness of their own are always
/// ready). Waiting registers on the pollees of the files asked about, on
/// the first look, and sleeps until one of them notifies, a signal arrives
/// or the timeout passes.
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
    let mut poller = Poller::new();
    let scan = |raw: &mut [u8], mut poller: Option<&mut Poller>| -> usize {
        let mut ready = 0;
        for entry in raw.chunks_exact_mut(Pollfd::SIZE) {
            let mut pfd = Pollfd::read_from(entry);
            pfd.revents = if pfd.fd < 0 {
                0
            } else {
                match files.get(i64::from(pfd.fd)) {
                    Err(_) => POLLNVAL,
                    Ok(file) => {
                        let mask = u32::from(pfd.events as u16) | ev::ALWAYS;
                        (file.poll(mask, poller.as_deref_mut().map(Poller::table)) & mask) as i16
                    }
                }
            };
            pfd.write_to(entry);
            if pfd.revents != 0 {
                ready += 1;
            }
        }
        ready
    };
    let first = scan(&mut raw, (timeout_ms != Some(0)).then_some(&mut poller));
    let n = if first > 0 || timeout_ms == Some(0) {
        first
    } else {
        let result = poller.wait(
            || {
                let n = scan(&mut raw, None);
                (n > 0).then_some(n)
            },
            deadline,
        );
        match result {
            Ok(n) => n,
            Err(crate::sched::wait::Interrupted::TimedOut) => 0,
            Err(crate::sched::wait::Interrupted::Signal) => return Err(Errno::EINTR),
        }
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
