//! epoll(7): epoll_create(213)/epoll_create1(291), epoll_ctl(233),
//! epoll_wait(232), epoll_pwait(281), epoll_pwait2(441).
//!
//! The instance is `file::epoll` (interest set, ready list, per-file
//! observers, nesting checks); this layer decodes arguments and checks them
//! in Linux's order: epoll_ctl reads the event first (EFAULT, every op but
//! DEL), then EBADF for either descriptor, EPERM for a file without
//! readiness of its own (regular files, directories), EINVAL for a
//! non-epoll or the epoll itself, then the instance's own errors
//! (EXCLUSIVE misuse EINVAL, ELOOP, EEXIST, ENOENT). epoll_wait checks the
//! descriptor (EBADF), `maxevents` (EINVAL), the buffer (EFAULT), then that
//! it is an epoll (EINVAL).
//! May call: `file` (the instance), the descriptor table, `task::signal`, `time`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::flags::{EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD};
use linux_abi::structs::{Abi, EpollEvent, Timespec};
use linux_abi::{Fd, UserPtr};

use super::SysResult;
use crate::file::epoll::EpollFile;
use crate::sched::wait::Interrupted;
use crate::task::files::OpenFile;
use crate::task::Task;

/// Linux's limit on maxevents (INT_MAX / sizeof(epoll_event)).
const MAX_EVENTS: usize = (i32::MAX as usize) / EpollEvent::SIZE;

fn create(p: &mut Task, cloexec: bool) -> SysResult {
    let ep = EpollFile::new();
    let file = OpenFile::new(ep.clone(), true, true, linux_abi::flags::OpenFlags::O_RDWR.bits());
    ep.opened(&file);
    p.files.insert(file, cloexec, 0)
}

/// epoll_create(size): `size` must be positive and is otherwise ignored.
pub fn epoll_create(p: &mut Task, size: i32) -> SysResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    create(p, false)
}

pub fn epoll_create1(p: &mut Task, flags: i32) -> SysResult {
    let flags = flags as u32;
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    create(p, flags & EPOLL_CLOEXEC != 0)
}

/// epoll_ctl(epfd, op, fd, event).
pub fn epoll_ctl(p: &mut Task, epfd: Fd, op: i32, fd: Fd, uevent: UserPtr<EpollEvent>) -> SysResult {
    let event = if op == EPOLL_CTL_DEL { EpollEvent::default() } else { p.space.read(uevent)? };
    let epfile = p.files.get(epfd.into())?;
    let target = p.files.get(fd.into())?;
    if !target.inner().can_poll() {
        return Err(Errno::EPERM);
    }
    let ep = epfile.downcast::<EpollFile>().ok_or(Errno::EINVAL)?;
    if Arc::ptr_eq(&epfile, &target) {
        return Err(Errno::EINVAL);
    }
    let (events, data) = ({ event.events }, { event.data });
    let inst = ep.instance();
    match op {
        EPOLL_CTL_ADD => inst.add(&target, fd.raw(), events, data)?,
        EPOLL_CTL_MOD => inst.modify(&target, fd.raw(), events, data)?,
        EPOLL_CTL_DEL => inst.delete(&target, fd.raw())?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// The shared body of the epoll_wait family; `timeout_ms` None waits for ever.
fn wait(p: &mut Task, epfd: Fd, events: UserPtr<EpollEvent>, max: i32, timeout_ms: Option<u64>) -> SysResult {
    let file = p.files.get(epfd.into())?;
    let max = usize::try_from(max).map_err(|_| Errno::EINVAL)?;
    if max == 0 || max > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let dst = events.array(max)?;
    let ep = file.downcast::<EpollFile>().ok_or(Errno::EINVAL)?;
    let hz = u64::from(crate::time::HZ);
    let deadline = timeout_ms.map(|t| crate::time::ticks().saturating_add(t.saturating_mul(hz) / 1000));
    let ready = match ep.instance().wait(max, timeout_ms == Some(0), deadline) {
        Ok(r) => r,
        Err(Interrupted::TimedOut) => Vec::new(),
        Err(Interrupted::Signal) => return Err(Errno::EINTR),
    };
    let mut out = Vec::with_capacity(ready.len() * EpollEvent::SIZE);
    for r in &ready {
        out.extend_from_slice(&EpollEvent { events: r.events, data: r.data }.to_bytes());
    }
    p.space.copy_out(dst.prefix(out.len())?, &out)?;
    Ok(ready.len())
}

pub fn epoll_wait(p: &mut Task, epfd: Fd, events: UserPtr<EpollEvent>, max: i32, timeout: i32) -> SysResult {
    wait(p, epfd, events, max, u64::try_from(timeout).ok())
}

pub fn epoll_pwait(p: &mut Task, epfd: Fd, events: UserPtr<EpollEvent>, max: i32, timeout: i32, mask: UserPtr<u64>, size: usize) -> SysResult {
    super::with_sigmask(p, mask, size, |p| wait(p, epfd, events, max, u64::try_from(timeout).ok()))
}

/// epoll_pwait2: the timeout is a `struct timespec` (NULL: for ever).
pub fn epoll_pwait2(
    p: &mut Task,
    epfd: Fd,
    events: UserPtr<EpollEvent>,
    max: i32,
    timeout: UserPtr<Timespec>,
    mask: UserPtr<u64>,
    size: usize,
) -> SysResult {
    let timeout = super::timeout_ms(p, timeout)?;
    super::with_sigmask(p, mask, size, |p| wait(p, epfd, events, max, timeout))
}
