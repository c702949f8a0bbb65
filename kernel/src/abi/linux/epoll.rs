//! epoll(7): epoll_create(213)/epoll_create1(291), epoll_ctl(233),
//! epoll_wait(232), epoll_pwait(281), epoll_pwait2(441).
//!
//! An epoll instance is a file (`Node::Epoll`) holding an interest list of
//! (descriptor, open file) entries. Readiness is poll's (`io::ready_events`)
//! and waiting is poll's too: sleep on `task::files::READINESS`, which pipes,
//! the console, the network thread and the in-kernel socket queues wake.
//! Semantics kept from Linux: level-triggered by default; `EPOLLONESHOT`
//! disarms an entry after one report until `EPOLL_CTL_MOD`; an entry goes
//! away when its open file is closed for good (not when one of several
//! descriptors for it is); regular files and directories cannot be added
//! (`EPERM`); an epoll cannot watch itself (`EINVAL`); nested epolls are
//! readable while they have a ready entry (nesting beyond 4 reads as not ready).
//! `EPOLLET` approximation: input, hang-up and error bits are reported while
//! present (edge-triggered users read until `EAGAIN`, so this only adds
//! spurious wake-ups); `EPOLLOUT` is reported on a not-writable -> writable
//! change seen between scans, or on the first scan.
//! May call: `io` (readiness), the descriptor table, `task::signal`, `sched`, `time`.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use errno::Errno;
use linux_abi::flags::{EpollEvents, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD};
use linux_abi::structs::{Abi, EpollEvent, Timespec};
use linux_abi::{Fd, UserPtr};
use spin::Mutex;

use super::io::ready_events;
use super::SysResult;
use crate::sched::wait::Interrupted;
use crate::task::files::{Node, OpenFile, READINESS};
use crate::task::Task;

const EPOLLIN: u32 = EpollEvents::EPOLLIN.bits();
const EPOLLOUT: u32 = EpollEvents::EPOLLOUT.bits();
const EPOLLERR: u32 = EpollEvents::EPOLLERR.bits();
const EPOLLHUP: u32 = EpollEvents::EPOLLHUP.bits();
const EPOLLET: u32 = EpollEvents::EPOLLET.bits();
const EPOLLONESHOT: u32 = EpollEvents::EPOLLONESHOT.bits();
/// The poll bits `ready_events` understands (they fit its u16).
const POLL_BITS: u32 = 0x3fff;
/// Most events one epoll_wait returns (Linux: INT_MAX / sizeof(epoll_event)).
const MAX_EVENTS: usize = (i32::MAX as usize) / EpollEvent::SIZE;
/// Deepest nesting of epolls whose readiness is looked into.
const MAX_DEPTH: u32 = 4;

static DEPTH: AtomicU32 = AtomicU32::new(0);

struct Entry {
    fd: i32,
    file: Weak<OpenFile>,
    events: u32,
    data: u64,
    /// False after a one-shot report, until EPOLL_CTL_MOD.
    armed: bool,
    /// Bits seen by the last scan (EPOLLET's edge detection).
    last: u32,
}

pub struct Epoll {
    interest: Mutex<Vec<Entry>>,
}

impl Epoll {
    fn new() -> Epoll {
        Epoll { interest: Mutex::new(Vec::new()) }
    }

    /// Up to `max` (events, data) pairs ready now; updates one-shot and
    /// edge state for what it reports. Entries of closed files are dropped.
    fn scan(&self, max: usize) -> Vec<(u32, u64)> {
        let files: Vec<(usize, Arc<OpenFile>)> = {
            let mut list = self.interest.lock();
            list.retain(|e| e.file.strong_count() > 0);
            list.iter().enumerate().filter(|(_, e)| e.armed).filter_map(|(i, e)| Some((i, e.file.upgrade()?))).collect()
        };
        // Readiness outside the lock: it may look into sockets and nested epolls.
        let bits: Vec<(usize, u32)> = files.iter().map(|(i, f)| (*i, file_events(f))).collect();
        drop(files);
        let mut out = Vec::new();
        let mut list = self.interest.lock();
        for (i, now) in bits {
            let Some(e) = list.get_mut(i) else { continue };
            let mut bits = now & (e.events | EPOLLERR | EPOLLHUP);
            if e.events & EPOLLET != 0 && bits & EPOLLOUT != 0 && e.last & EPOLLOUT != 0 {
                bits &= !EPOLLOUT;
            }
            e.last = now;
            if bits == 0 || out.len() >= max {
                continue;
            }
            if e.events & EPOLLONESHOT != 0 {
                e.armed = false;
            }
            out.push((bits, e.data));
        }
        out
    }

    /// True if some armed entry is ready (a nested epoll's readiness).
    fn has_ready(&self) -> bool {
        if DEPTH.fetch_add(1, Ordering::AcqRel) >= MAX_DEPTH {
            DEPTH.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        let files: Vec<(u32, Arc<OpenFile>)> =
            self.interest.lock().iter().filter(|e| e.armed).filter_map(|e| Some((e.events, e.file.upgrade()?))).collect();
        let ready = files.iter().any(|(events, f)| file_events(f) & (events | EPOLLERR | EPOLLHUP) != 0);
        DEPTH.fetch_sub(1, Ordering::AcqRel);
        ready
    }

    /// poll's view of the epoll file itself.
    pub fn poll_events(&self, events: u16) -> u16 {
        if self.has_ready() {
            events & EPOLLIN as u16
        } else {
            0
        }
    }
}

/// Every poll bit that holds for `file` now.
fn file_events(file: &OpenFile) -> u32 {
    u32::from(ready_events(file, POLL_BITS as u16))
}

fn create(p: &mut Task, cloexec: bool) -> SysResult {
    let file = OpenFile::new(Node::Epoll(Epoll::new()), true, false, 2);
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
/// The event is read first (EFAULT), as Linux does for every op but DEL.
pub fn epoll_ctl(p: &mut Task, epfd: Fd, op: i32, fd: Fd, uevent: UserPtr<EpollEvent>) -> SysResult {
    let event = if op == EPOLL_CTL_DEL { EpollEvent::default() } else { p.space.read(uevent)? };
    let epfile = p.files.get(epfd.into())?;
    let target = p.files.get(fd.into())?;
    let fd = fd.raw();
    let Node::Epoll(ep) = &epfile.node else { return Err(Errno::EINVAL) };
    if Arc::ptr_eq(&epfile, &target) {
        return Err(Errno::EINVAL);
    }
    if let Node::Path(loc) = &target.node {
        if loc.inode().device().is_none() {
            return Err(Errno::EPERM);
        }
    }
    let events = { event.events };
    let data = { event.data };
    if events & EpollEvents::EPOLLEXCLUSIVE.bits() != 0 && op == EPOLL_CTL_MOD {
        return Err(Errno::EINVAL);
    }
    let mut list = ep.interest.lock();
    list.retain(|e| e.file.strong_count() > 0);
    let existing = list.iter().position(|e| e.fd == fd && e.file.as_ptr() == Arc::as_ptr(&target));
    match op {
        EPOLL_CTL_ADD => {
            if existing.is_some() {
                return Err(Errno::EEXIST);
            }
            list.push(Entry { fd, file: Arc::downgrade(&target), events, data, armed: true, last: 0 });
        }
        EPOLL_CTL_MOD => {
            let e = existing.and_then(|i| list.get_mut(i)).ok_or(Errno::ENOENT)?;
            e.events = events;
            e.data = data;
            e.armed = true;
            e.last = 0;
        }
        EPOLL_CTL_DEL => {
            list.remove(existing.ok_or(Errno::ENOENT)?);
        }
        _ => return Err(Errno::EINVAL),
    }
    drop(list);
    // A waiter may have something new to look at.
    crate::task::files::readiness_changed();
    Ok(0)
}

/// The shared body of the epoll_wait family; `timeout_ms` None waits for ever.
fn wait(p: &mut Task, epfd: Fd, events: UserPtr<EpollEvent>, max: i32, timeout_ms: Option<u64>) -> SysResult {
    let max = usize::try_from(max).map_err(|_| Errno::EINVAL)?;
    if max == 0 || max > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let dst = events.array(max)?;
    let file = p.files.get(epfd.into())?;
    let Node::Epoll(ep) = &file.node else { return Err(Errno::EINVAL) };
    let hz = u64::from(crate::time::HZ);
    let deadline = timeout_ms.map(|t| crate::time::ticks().saturating_add(t.saturating_mul(hz) / 1000));
    let ready = READINESS.wait_interruptible(
        || {
            let found = ep.scan(max);
            (!found.is_empty() || timeout_ms == Some(0)).then_some(found)
        },
        deadline,
    );
    let ready = match ready {
        Ok(r) => r,
        Err(Interrupted::TimedOut) => Vec::new(),
        Err(Interrupted::Signal) => return Err(Errno::EINTR),
    };
    let mut out = Vec::with_capacity(ready.len() * EpollEvent::SIZE);
    for (events, data) in &ready {
        out.extend_from_slice(&EpollEvent { events: *events, data: *data }.to_bytes());
    }
    p.space.copy_out(dst, &out)?;
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
