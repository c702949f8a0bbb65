//! The descriptor-creating calls of the anonymous kinds: eventfd(284) /
//! eventfd2(290), timerfd_create(283) / timerfd_settime(286) /
//! timerfd_gettime(287), signalfd(282) / signalfd4(289), pidfd_open(434) /
//! pidfd_send_signal(424), memfd_create(319), inotify_init(253) /
//! inotify_init1(294) / inotify_add_watch(254) / inotify_rm_watch(255). The objects are `file::{eventfd, timerfd,
//! signalfd, pidfd}`; this layer checks arguments in Linux's order.
//! May call: `file`, the descriptor table, `task::signal`.

use alloc::sync::Arc;
use errno::Errno;
use linux_abi::flags::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, EFD_CLOEXEC,
    EFD_NONBLOCK, EFD_SEMAPHORE, FD_O_CLOEXEC, FD_O_NONBLOCK, MFD_ALLOW_SEALING, MFD_CLOEXEC, MFD_EXEC, MFD_HUGETLB,
    IN_ALL_EVENTS, IN_CLOEXEC, IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_NONBLOCK, IN_ONLYDIR, MFD_NAME_MAX,
    MFD_NOEXEC_SEAL, PIDFD_NONBLOCK, SFD_CLOEXEC, SFD_NONBLOCK, TFD_CLOEXEC,
    TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET,
};
use linux_abi::signal::{SigSet, Siginfo, SI_TKILL, SI_USER};
use linux_abi::structs::Itimerspec;
use linux_abi::{Fd, UserCStr, UserPtr};

use super::SysResult;
use crate::file::eventfd::EventFd;
use crate::file::inotify::InotifyFile;
use crate::file::pidfd::PidFd;
use crate::file::signalfd::SignalFd;
use crate::file::timerfd::TimerFd;
use crate::file::FileLike;
use crate::task::files::OpenFile;
use crate::task::{signal, Task};

/// A new read-write descriptor for `obj`; `flags` may hold `O_CLOEXEC`
/// and `O_NONBLOCK` (the latter becomes a status flag).
fn install(p: &mut Task, obj: Arc<dyn FileLike>, flags: u32) -> SysResult {
    let status = linux_abi::flags::OpenFlags::O_RDWR.bits() | (flags & FD_O_NONBLOCK);
    let file = OpenFile::new(obj, true, true, status);
    p.files.insert(file, flags & FD_O_CLOEXEC != 0, 0)
}

pub fn eventfd(p: &mut Task, initval: u32) -> SysResult {
    install(p, EventFd::new(initval, false), 0)
}

pub fn eventfd2(p: &mut Task, initval: u32, flags: i32) -> SysResult {
    let flags = flags as u32;
    if flags & !(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    install(p, EventFd::new(initval, flags & EFD_SEMAPHORE != 0), flags)
}

pub fn timerfd_create(p: &mut Task, clock: i32, flags: i32) -> SysResult {
    let flags = flags as u32;
    if flags & !(TFD_CLOEXEC | TFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    match clock {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME => {}
        // Linux asks for CAP_WAKE_ALARM first; Cyrius has no alarm clocks.
        CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM => return Err(Errno::EINVAL),
        _ => return Err(Errno::EINVAL),
    }
    let clock = if clock == CLOCK_REALTIME { CLOCK_REALTIME } else { CLOCK_MONOTONIC };
    install(p, TimerFd::new(clock), flags)
}

fn timer_of(p: &Task, fd: Fd) -> Result<Arc<OpenFile>, Errno> {
    let file = p.files.get(fd.into())?;
    file.downcast::<TimerFd>().ok_or(Errno::EINVAL)?;
    Ok(file)
}

/// timerfd_settime(fd, flags, new, old): the new value is read first
/// (EFAULT), then the flags and values checked (EINVAL), then the
/// descriptor (EBADF, EINVAL for another kind), as Linux's order.
pub fn timerfd_settime(p: &mut Task, fd: Fd, flags: i32, new: UserPtr<Itimerspec>, old: UserPtr<Itimerspec>) -> SysResult {
    let new = p.space.read(new)?;
    let flags = flags as u32;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    new.it_value.validate()?;
    new.it_interval.validate()?;
    let file = timer_of(p, fd)?;
    let timer = file.downcast::<TimerFd>().ok_or(Errno::EINVAL)?;
    let previous = timer.set(flags, &new)?;
    if !old.is_null() {
        p.space.write(old, &previous)?;
    }
    Ok(0)
}

pub fn timerfd_gettime(p: &mut Task, fd: Fd, cur: UserPtr<Itimerspec>) -> SysResult {
    let file = timer_of(p, fd)?;
    let value = file.downcast::<TimerFd>().ok_or(Errno::EINVAL)?.get();
    p.space.write(cur, &value)?;
    Ok(0)
}

/// signalfd4(fd, mask, sizemask, flags): -1 makes a new one, another
/// descriptor must be a signalfd, whose mask is replaced.
pub fn signalfd4(p: &mut Task, fd: i32, mask: UserPtr<u64>, size: usize, flags: i32) -> SysResult {
    if size != SigSet::SIZE {
        return Err(Errno::EINVAL);
    }
    let set = SigSet(p.space.read(mask)?);
    let flags = flags as u32;
    if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    if fd == -1 {
        return install(p, SignalFd::new(set), flags);
    }
    let file = p.files.get(i64::from(fd))?;
    file.downcast::<SignalFd>().ok_or(Errno::EINVAL)?.set_mask(set);
    Ok(fd as usize)
}

pub fn signalfd(p: &mut Task, fd: i32, mask: UserPtr<u64>, size: usize) -> SysResult {
    signalfd4(p, fd, mask, size, 0)
}

/// pidfd_open(pid, flags): a process of the caller's namespace; always
/// close-on-exec.
pub fn pidfd_open(p: &mut Task, pid: i32, flags: u32) -> SysResult {
    if flags & !PIDFD_NONBLOCK != 0 || pid <= 0 {
        return Err(Errno::EINVAL);
    }
    let target = p.proc.ns.get(pid as u32).ok_or(Errno::ESRCH)?;
    // A thread that is not its process's leader names no process.
    if target.vpid != pid as u32 {
        return Err(Errno::EINVAL);
    }
    install(p, PidFd::new(target), flags | FD_O_CLOEXEC)
}

/// pidfd_send_signal(pidfd, sig, info, flags): kill(2) through a pidfd
/// (with `info`: rt_sigqueueinfo's rules).
pub fn pidfd_send_signal(p: &mut Task, pidfd: Fd, sig: i32, uinfo: UserPtr<Siginfo>, flags: u32) -> SysResult {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let file = p.files.get(pidfd.into())?;
    let pidfd = file.downcast::<PidFd>().ok_or(Errno::EBADF)?;
    let target = pidfd.process().clone();
    let signal = super::signal::signal_arg(sig)?;
    let info = match signal {
        None => None,
        Some(s) if uinfo.is_null() => Some(Siginfo::kill(s, SI_USER, p.pid() as i32, p.cred.ruid)),
        Some(s) => {
            let mut info = p.space.read(uinfo)?;
            if info.si_signo != sig {
                return Err(Errno::EINVAL);
            }
            if (info.si_code >= 0 || info.si_code == SI_TKILL) && !Arc::ptr_eq(&target, &p.proc) {
                return Err(Errno::EPERM);
            }
            info.si_signo = i32::from(s.number());
            Some(info)
        }
    };
    // A zombie still takes (and drops) signals; a reaped process is gone.
    if pidfd.reaped() {
        return Err(Errno::ESRCH);
    }
    signal::check_permission(p, &target, signal)?;
    if let Some(info) = info {
        signal::send_info_to_process(&target, info)?;
    }
    Ok(0)
}

/// memfd_create(name, flags): an unlinked regular file `memfd:NAME` on a
/// tmpfs of its own (under the tmpfs memory budget), owned by the caller,
/// mode 0777; readable, writable, mmap-able, resizable with ftruncate.
pub fn memfd_create(p: &mut Task, name: UserCStr, flags: u32) -> SysResult {
    let raw = p.space.read_cstr_prefix(name, MFD_NAME_MAX + 1)?;
    if raw.len() > MFD_NAME_MAX {
        return Err(Errno::EINVAL);
    }
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC) != 0
        || flags & MFD_HUGETLB != 0
        || flags & (MFD_NOEXEC_SEAL | MFD_EXEC) == (MFD_NOEXEC_SEAL | MFD_EXEC)
    {
        return Err(Errno::EINVAL);
    }
    // The name is for /proc only; '/' cannot be part of a file name here.
    let shown: alloc::string::String =
        alloc::string::String::from_utf8_lossy(&raw).chars().map(|c| if c == '/' { '_' } else { c }).collect();
    let options = vfs::TmpFsOptions { root_perm: 0o1777, ..crate::fs::tmpfs_options() };
    let space = vfs::Vfs::new(vfs::TmpFs::new(Arc::new(crate::fs::KernelClock), options));
    let root = space.root();
    let path = alloc::format!("/memfd:{shown}");
    let loc = space.create(&p.cred, &root, &path, 0o777)?;
    space.unlink(&p.cred, &root, &path)?;
    let status = linux_abi::flags::OpenFlags::O_RDWR.bits() | linux_abi::flags::OpenFlags::O_LARGEFILE.bits();
    let file = OpenFile::new(crate::file::inode::open(loc), true, true, status);
    p.files.insert(file, flags & MFD_CLOEXEC != 0, 0)
}

pub fn inotify_init1(p: &mut Task, flags: i32) -> SysResult {
    let flags = flags as u32;
    if flags & !(IN_CLOEXEC | IN_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    install(p, InotifyFile::new(), flags)
}

pub fn inotify_init(p: &mut Task) -> SysResult {
    inotify_init1(p, 0)
}

/// inotify_add_watch(fd, path, mask): the mask is checked first (EINVAL
/// for no event, or MASK_ADD with MASK_CREATE), then the descriptor
/// (EBADF; EINVAL for another kind), then the path (read permission on
/// it, ENOTDIR for IN_ONLYDIR on a non-directory).
pub fn inotify_add_watch(p: &mut Task, fd: Fd, path: UserCStr, mask: u32) -> SysResult {
    if mask & IN_ALL_EVENTS == 0 || mask & (IN_MASK_ADD | IN_MASK_CREATE) == (IN_MASK_ADD | IN_MASK_CREATE) {
        return Err(Errno::EINVAL);
    }
    let file = p.files.get(fd.into())?;
    let ino = file.downcast::<InotifyFile>().ok_or(Errno::EINVAL)?;
    let path = super::fs::user_path(p, path)?;
    let loc = p.vfs.resolve_as(&p.cred, &p.cwd, &path, mask & IN_DONT_FOLLOW == 0)?;
    if mask & IN_ONLYDIR != 0 && loc.kind()? != vfs::FileKind::Directory {
        return Err(Errno::ENOTDIR);
    }
    vfs::check_access(&loc.metadata()?, &p.cred, vfs::Access::READ)?;
    ino.add_watch(&loc, mask).map(|wd| wd as usize)
}

pub fn inotify_rm_watch(p: &mut Task, fd: Fd, wd: i32) -> SysResult {
    let file = p.files.get(fd.into())?;
    file.downcast::<InotifyFile>().ok_or(Errno::EINVAL)?.rm_watch(wd)?;
    Ok(0)
}
