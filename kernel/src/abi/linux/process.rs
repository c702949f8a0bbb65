//! Processes, threads, sleeping and pipes: fork/vfork/clone, execve,
//! wait4/waitid, process groups and sessions, nanosleep, futex, pipe2.
//! (Signals are in `signal.rs`.)

use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use errno::Errno;
use linux_abi::flags::{
    CloneFlags, OpenFlags, WaitOptions, CLOCK_REALTIME, FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_CMP_REQUEUE,
    FUTEX_REQUEUE, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP, P_ALL, P_PGID, P_PID, P_PIDFD,
    PATH_MAX, PR_GET_NAME, PR_GET_SECCOMP, PR_SET_NAME, PR_SET_SECCOMP, RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD, TASK_COMM_LEN, TIMER_ABSTIME,
};
use linux_abi::signal::{Siginfo, CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED};
use linux_abi::structs::{Abi, CloneArgs, Rusage, Timespec, Timeval, Tms, CLONE_ARGS_SIZE_VER0};
use linux_abi::{FlagArg, IoctlArg, UserCStr, UserPtr, PAGE_SIZE};

use super::SysResult;
use crate::abi::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::sched;
use crate::task::exit::{self, Which};
use crate::task::signal::Signal;
use crate::task::{fork, futex, pipe, Task};

/// Total bytes of argv + envp execve accepts (as Linux's ARG_MAX-ish limit).
const ARGS_MAX: usize = 2 * 1024 * 1024;

pub fn fork(p: &mut Task, frame: &mut TrapFrame) -> SysResult {
    fork::fork(p, frame)
}

pub fn vfork(p: &mut Task, frame: &mut TrapFrame) -> SysResult {
    fork::vfork(p, frame)
}

/// clone(flags, stack, parent_tid, child_tid, tls) (x86_64 order).
pub fn clone(
    p: &mut Task,
    frame: &mut TrapFrame,
    flags: u64,
    stack: u64,
    parent_tid: UserPtr<u32>,
    child_tid: UserPtr<u32>,
    tls: u64,
) -> SysResult {
    fork::clone(p, frame, fork::CloneArgs { flags, stack, parent_tid, child_tid, tls })
}

/// clone3(struct clone_args *, size): the struct is read as Linux's
/// `copy_struct_from_user` does (EINVAL below version 0, E2BIG above a
/// page or with unknown non-zero trailing bytes), then checked as
/// `clone3_args_valid` does.
pub fn clone3(p: &mut Task, frame: &mut TrapFrame, uargs: UserPtr<CloneArgs>, size: usize) -> SysResult {
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if size as u64 > PAGE_SIZE {
        return Err(Errno::E2BIG);
    }
    let known = size.min(CloneArgs::SIZE);
    let mut raw = alloc::vec![0u8; size];
    p.space.copy_in(uargs.cast::<u8>().array(size)?, &mut raw)?;
    if raw[known..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let a = CloneArgs::read_from(&raw[..known]);
    let flags = CloneFlags::from_bits_retain(a.flags);
    let reused = CloneFlags::CLONE_DETACHED.bits() | (CloneFlags::CSIGNAL.bits() & !CloneFlags::CLONE_NEWTIME.bits());
    let allowed = 0xffff_ffff | CloneFlags::CLONE_CLEAR_SIGHAND.bits() | CloneFlags::CLONE_INTO_CGROUP.bits();
    if a.flags & !allowed != 0
        || a.flags & reused != 0
        || flags.contains(CloneFlags::CLONE_SIGHAND | CloneFlags::CLONE_CLEAR_SIGHAND)
        || (flags.intersects(CloneFlags::CLONE_THREAD | CloneFlags::CLONE_PARENT) && a.exit_signal != 0)
        || a.exit_signal > u64::from(linux_abi::signal::NSIG)
        || (a.stack == 0 && a.stack_size != 0)
        || (a.stack != 0 && a.stack_size == 0)
    {
        return Err(Errno::EINVAL);
    }
    if a.set_tid_size != 0 || flags.intersects(CloneFlags::CLONE_INTO_CGROUP | CloneFlags::CLONE_CLEAR_SIGHAND) {
        return Err(super::unimplemented_op("clone3", a.flags));
    }
    let top = match a.stack {
        0 => 0,
        stack => {
            let len = usize::try_from(a.stack_size).map_err(|_| Errno::EINVAL)?;
            UserPtr::<u8>::new(stack).array(len).map_err(|_| Errno::EINVAL)?.end()
        }
    };
    let (parent_tid, child_tid) = (UserPtr::new(a.parent_tid), UserPtr::new(a.child_tid));
    fork::clone(p, frame, fork::CloneArgs { flags: a.flags | a.exit_signal, stack: top, parent_tid, child_tid, tls: a.tls })
}

pub fn execve(p: &mut Task, frame: &mut TrapFrame, path: UserCStr, argv: UserPtr<u64>, envp: UserPtr<u64>) -> Outcome {
    let result = (|| {
        let path = p.space.read_cstr(path, PATH_MAX - 1)?;
        let argv = p.space.read_cstr_array(argv, ARGS_MAX)?;
        let envp = p.space.read_cstr_array(envp, ARGS_MAX)?;
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        crate::task::execve(p, frame, &path, &argv, &envp)
    })();
    match result {
        Ok(()) => Outcome::Replaced,
        Err(e) => Outcome::Return(Err(e)),
    }
}

/// exit(code): this thread ends (the low byte of `code` is the status).
pub fn exit(_p: &mut Task, code: i32) -> Outcome {
    Outcome::ExitThread(code & 0xff)
}

/// exit_group(code): the process ends.
pub fn exit_group(_p: &mut Task, code: i32) -> Outcome {
    Outcome::ExitGroup(code & 0xff)
}

fn which(p: &Task, pid: i32) -> Which {
    match pid {
        -1 => Which::Any,
        0 => Which::Group(p.proc.pgid.load(Ordering::Acquire)),
        n if n < 0 => Which::Group(n.unsigned_abs()),
        n => Which::Pid(n.unsigned_abs()),
    }
}

/// A `struct timeval` of `ticks` CPU time.
fn timeval_of_ticks(ticks: u64) -> Timeval {
    let ms = ticks.saturating_mul(1000) / u64::from(crate::time::HZ);
    Timeval { tv_sec: (ms / 1000) as i64, tv_usec: ((ms % 1000) * 1000) as i64 }
}

/// The rusage of `ticks` CPU time (all counted as user time).
fn rusage_of(ticks: u64) -> Rusage {
    Rusage { ru_utime: timeval_of_ticks(ticks), ..Rusage::default() }
}

/// wait4(pid, status, options, rusage): EINVAL for options wait4 does not
/// take; the status and rusage are written after the child is collected.
pub fn wait4(p: &mut Task, pid: i32, status: UserPtr<i32>, options: FlagArg<WaitOptions>, rusage: UserPtr<Rusage>) -> SysResult {
    let options = options.within(WaitOptions::WAIT4_VALID)?;
    let me = p.proc.clone();
    match exit::wait_child(&me, which(p, pid), options)? {
        None => Ok(0),
        Some((vpid, word, ticks)) => {
            if !status.is_null() {
                p.space.write(status, &(word as i32))?;
            }
            if !rusage.is_null() {
                p.space.write(rusage, &rusage_of(ticks))?;
            }
            Ok(vpid as usize)
        }
    }
}

/// waitid(idtype, id, siginfo *, options, rusage *): options are checked
/// first (EINVAL), then the id type and id, as Linux's `kernel_waitid`.
/// P_PIDFD waits for the pidfd's process (which must be a child).
pub fn waitid(p: &mut Task, idtype: i32, id: i32, infop: UserPtr<Siginfo>, options: FlagArg<WaitOptions>, _rusage: UserPtr<Rusage>) -> SysResult {
    let options = options.within(WaitOptions::WAITID_VALID)?;
    if !options.intersects(WaitOptions::WEXITED | WaitOptions::WSTOPPED | WaitOptions::WCONTINUED) {
        return Err(Errno::EINVAL);
    }
    let mut nonblocking_pidfd = false;
    let w = match u32::try_from(idtype) {
        Ok(P_ALL) => Which::Any,
        Ok(P_PID) if id > 0 => Which::Pid(id.unsigned_abs()),
        Ok(P_PGID) if id == 0 => Which::Group(p.proc.pgid.load(Ordering::Acquire)),
        Ok(P_PGID) if id > 0 => Which::Group(id.unsigned_abs()),
        Ok(P_PIDFD) if id >= 0 => Which::Pid(pidfd_target(p, id, &mut nonblocking_pidfd)?),
        _ => return Err(Errno::EINVAL),
    };
    let me = p.proc.clone();
    let mut options = options;
    if nonblocking_pidfd && !options.contains(WaitOptions::WNOHANG) {
        options = options.union(WaitOptions::WNOHANG);
    } else {
        nonblocking_pidfd = false;
    }
    let found = exit::wait_child(&me, w, options.difference(WaitOptions::WEXITED))?;
    // A non-blocking pidfd makes the wait non-blocking: EAGAIN, as Linux's.
    if found.is_none() && nonblocking_pidfd {
        return Err(Errno::EAGAIN);
    }
    if !infop.is_null() {
        let info = match found {
            None => Siginfo::read_from(&[]),
            Some((vpid, status, _)) => {
                let (code, value) = if status & 0x7f == 0 {
                    (CLD_EXITED, (status >> 8) & 0xff)
                } else if status & 0xff == 0x7f {
                    (CLD_STOPPED, (status >> 8) & 0xff)
                } else if status == linux_abi::flags::WAIT_STATUS_CONTINUED as u32 {
                    (CLD_CONTINUED, u32::from(Signal::SIGCONT.number()))
                } else if status & 0x80 != 0 {
                    (CLD_DUMPED, status & 0x7f)
                } else {
                    (CLD_KILLED, status & 0x7f)
                };
                Siginfo::child(code, vpid as i32, 0, value as i32, 0, 0)
            }
        };
        p.space.write(infop, &info)?;
    }
    Ok(0)
}

/// The pid in the caller's namespace of the process pidfd `fd` refers to
/// (EBADF for another kind of file); notes whether the pidfd is
/// non-blocking.
fn pidfd_target(p: &Task, fd: i32, nonblocking: &mut bool) -> Result<u32, Errno> {
    let file = p.files.get(i64::from(fd))?;
    let pidfd = file.downcast::<crate::file::pidfd::PidFd>().ok_or(Errno::EBADF)?;
    *nonblocking = file.nonblocking();
    let target = pidfd.process();
    // Not in the caller's namespace: no child of its (ECHILD from the wait).
    Ok(if Arc::ptr_eq(&target.ns, &p.proc.ns) { target.vpid } else { u32::MAX })
}

/// A user timespec in timer ticks, rounded up (sleeping less than asked is not allowed).
pub(super) fn ticks_from_timespec(p: &Task, ts: UserPtr<Timespec>) -> Result<u64, Errno> {
    Ok(super::timespec_ms(p, ts)?.saturating_mul(u64::from(crate::time::HZ)) / 1000)
}

fn sleep_ticks(p: &Task, ticks: u64, rem: UserPtr<Timespec>) -> SysResult {
    let deadline = crate::time::ticks().saturating_add(ticks);
    let q = sched::WaitQueue::new();
    match q.wait_interruptible(|| None::<()>, Some(deadline)) {
        Err(sched::wait::Interrupted::Signal) => {
            if !rem.is_null() {
                let left_ms = deadline.saturating_sub(crate::time::ticks()).saturating_mul(1000) / u64::from(crate::time::HZ);
                let ts = Timespec { tv_sec: (left_ms / 1000) as i64, tv_nsec: ((left_ms % 1000) * 1_000_000) as i64 };
                p.space.write(rem, &ts)?;
            }
            Err(Errno::EINTR)
        }
        _ => Ok(0),
    }
}

pub fn nanosleep(p: &mut Task, req: UserPtr<Timespec>, rem: UserPtr<Timespec>) -> SysResult {
    let ticks = ticks_from_timespec(p, req)?;
    sleep_ticks(p, ticks, rem)
}

/// The current time of `clock` in milliseconds (CLOCK_REALTIME, else
/// the monotonic clock).
fn clock_now_ms(realtime: bool) -> u64 {
    if realtime {
        let (s, ns) = crate::time::now();
        (s.max(0) as u64).saturating_mul(1000).saturating_add(u64::from(ns) / 1_000_000)
    } else {
        crate::time::uptime_ms()
    }
}

pub fn clock_nanosleep(p: &mut Task, clock: i32, flags: i32, req: UserPtr<Timespec>, rem: UserPtr<Timespec>) -> SysResult {
    if !(0..=7).contains(&clock) {
        return Err(Errno::EINVAL);
    }
    let ticks = ticks_from_timespec(p, req)?;
    let hz = u64::from(crate::time::HZ);
    if flags & TIMER_ABSTIME != 0 {
        let target_ms = ticks.saturating_mul(1000) / hz;
        let left = target_ms.saturating_sub(clock_now_ms(clock == CLOCK_REALTIME)).saturating_mul(hz) / 1000;
        return sleep_ticks(p, left, UserPtr::null());
    }
    sleep_ticks(p, ticks, rem)
}

/// futex(uaddr, op, val, timeout or val2, uaddr2, val3). A timeout is read
/// before the operation runs, as Linux does; REQUEUE's second count is the
/// fourth argument as a number.
pub fn futex(p: &mut Task, uaddr: UserPtr<u32>, op: i32, val: u32, timeout: IoctlArg, uaddr2: UserPtr<u32>, val3: u32) -> SysResult {
    let cmd = op as u32 & FUTEX_CMD_MASK;
    let realtime = op as u32 & FUTEX_CLOCK_REALTIME != 0;
    if realtime && cmd != FUTEX_WAIT_BITSET {
        return Err(Errno::ENOSYS);
    }
    let val2 = timeout.value() as u32 as usize;
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let ts = timeout.ptr::<Timespec>();
            let deadline = if ts.is_null() {
                None
            } else {
                let ticks = ticks_from_timespec(p, ts)?;
                Some(if cmd == FUTEX_WAIT_BITSET {
                    // Absolute: against CLOCK_MONOTONIC, or REALTIME if asked.
                    let hz = u64::from(crate::time::HZ);
                    let target_ms = ticks.saturating_mul(1000) / hz;
                    crate::time::ticks().saturating_add(target_ms.saturating_sub(clock_now_ms(realtime)).saturating_mul(hz) / 1000)
                } else {
                    crate::time::ticks().saturating_add(ticks)
                })
            };
            futex::wait(&p.space, uaddr, val, deadline).map(|_| 0)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => futex::wake(&p.space, uaddr, val as usize),
        FUTEX_REQUEUE => futex::requeue(&p.space, uaddr, val as usize, val2, uaddr2, None),
        FUTEX_CMP_REQUEUE => futex::requeue(&p.space, uaddr, val as usize, val2, uaddr2, Some(val3)),
        FUTEX_WAKE_OP => futex::wake_op(&p.space, uaddr, val as usize, uaddr2, val2, val3),
        _ => Err(super::unimplemented_op("futex", u64::from(cmd))),
    }
}

pub fn pipe(p: &mut Task, fds: UserPtr<[i32; 2]>) -> SysResult {
    pipe2(p, fds, FlagArg::new(OpenFlags::empty()))
}

pub fn pipe2(p: &mut Task, fds: UserPtr<[i32; 2]>, flags: FlagArg<OpenFlags>) -> SysResult {
    let flags = flags.within(OpenFlags::O_CLOEXEC | OpenFlags::O_NONBLOCK | OpenFlags::O_DIRECT)?;
    let status = (flags & OpenFlags::O_NONBLOCK).bits();
    let (r, w) = pipe::open_files(status);
    let cloexec = flags.contains(OpenFlags::O_CLOEXEC);
    let rf = p.files.insert(r, cloexec, 0)?;
    let wf = match p.files.insert(w, cloexec, 0) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = p.files.close(rf as i64);
            return Err(e);
        }
    };
    if let Err(e) = p.space.write(fds, &[rf as i32, wf as i32]) {
        let _ = p.files.close(rf as i64);
        let _ = p.files.close(wf as i64);
        return Err(e);
    }
    Ok(0)
}

pub fn getpid(p: &mut Task) -> SysResult {
    Ok(p.pid() as usize)
}

pub fn gettid(p: &mut Task) -> SysResult {
    Ok(p.tid as usize)
}

pub fn getppid(p: &mut Task) -> SysResult {
    Ok(p.proc.ppid() as usize)
}

/// The process `pid` names (0: the caller); ESRCH if none.
fn process_of(p: &Task, pid: i32) -> Result<Arc<crate::task::Process>, Errno> {
    match pid {
        0 => Ok(p.proc.clone()),
        n => u32::try_from(n).ok().and_then(|n| p.proc.ns.get(n)).ok_or(Errno::ESRCH),
    }
}

pub fn getpgid(p: &mut Task, pid: i32) -> SysResult {
    Ok(process_of(p, pid)?.pgid.load(Ordering::Acquire) as usize)
}

pub fn getpgrp(p: &mut Task) -> SysResult {
    getpgid(p, 0)
}

pub fn getsid(p: &mut Task, pid: i32) -> SysResult {
    Ok(process_of(p, pid)?.sid.load(Ordering::Acquire) as usize)
}

/// setpgid(pid, pgid): the caller or one of its children, within its session.
pub fn setpgid(p: &mut Task, pid: i32, pgid: i32) -> SysResult {
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let target = if pid == 0 || pid as u32 == p.proc.vpid {
        p.proc.clone()
    } else {
        let t = process_of(p, pid)?;
        if t.parent().is_none_or(|par| !Arc::ptr_eq(&par, &p.proc)) {
            return Err(Errno::ESRCH);
        }
        t
    };
    let sid = p.proc.sid.load(Ordering::Acquire);
    if target.sid.load(Ordering::Acquire) != sid {
        return Err(Errno::EPERM);
    }
    if target.sid.load(Ordering::Acquire) == target.vpid {
        return Err(Errno::EPERM); // a session leader cannot move
    }
    let pgid = if pgid == 0 { target.vpid } else { pgid as u32 };
    if pgid != target.vpid {
        let exists = p.proc.ns.processes().iter().any(|q| q.pgid.load(Ordering::Acquire) == pgid && q.sid.load(Ordering::Acquire) == sid);
        if !exists {
            return Err(Errno::EPERM);
        }
    }
    target.pgid.store(pgid, Ordering::Release);
    Ok(0)
}

pub fn setsid(p: &mut Task) -> SysResult {
    let me = &p.proc;
    let leader = me.ns.processes().iter().any(|q| q.vpid != me.vpid && q.pgid.load(Ordering::Acquire) == me.vpid);
    if me.pgid.load(Ordering::Acquire) == me.vpid || leader {
        return Err(Errno::EPERM);
    }
    me.pgid.store(me.vpid, Ordering::Release);
    me.sid.store(me.vpid, Ordering::Release);
    Ok(me.vpid as usize)
}

/// times(struct tms *): user/system CPU of the process and its children, in clock ticks (100 Hz).
pub fn times(p: &mut Task, buf: UserPtr<Tms>) -> SysResult {
    let to_clk = |ticks: u64| (ticks.saturating_mul(100) / u64::from(crate::time::HZ)) as i64;
    if !buf.is_null() {
        let tms = Tms {
            tms_utime: to_clk(p.proc.cpu_ticks()),
            tms_cutime: to_clk(p.proc.child_ticks.load(Ordering::Relaxed)),
            ..Tms::default()
        };
        p.space.write(buf, &tms)?;
    }
    Ok(to_clk(crate::time::ticks()) as usize)
}

pub fn getrusage(p: &mut Task, who: i32, ru: UserPtr<Rusage>) -> SysResult {
    let ticks = match who {
        RUSAGE_SELF => p.proc.cpu_ticks(),
        RUSAGE_CHILDREN => p.proc.child_ticks.load(Ordering::Relaxed),
        RUSAGE_THREAD => sched::current().ticks.load(Ordering::Relaxed),
        _ => return Err(Errno::EINVAL),
    };
    p.space.write(ru, &rusage_of(ticks))?;
    Ok(0)
}

pub fn sched_yield(_p: &mut Task) -> SysResult {
    sched::yield_now();
    Ok(0)
}

/// prctl(option, arg2, ...): the comm name (PR_SET_NAME, PR_GET_NAME) and
/// seccomp (PR_SET_SECCOMP, PR_GET_SECCOMP); the credential options are in
/// `privileges`.
pub fn prctl(p: &mut Task, option: i32, arg2: IoctlArg, arg3: IoctlArg, arg4: u64, arg5: u64) -> SysResult {
    match option {
        PR_GET_SECCOMP => super::seccomp::prctl_get(),
        PR_SET_SECCOMP => super::seccomp::prctl_set(p, arg2.value(), arg3.value()),
        PR_SET_NAME => {
            let raw = p.space.read_cstr_prefix(UserCStr::new(arg2.value()), TASK_COMM_LEN - 1)?;
            let name: String = String::from_utf8_lossy(&raw).chars().take(TASK_COMM_LEN - 1).collect();
            *p.proc.name.lock() = name.clone();
            *sched::current().name.lock() = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut out = [0u8; TASK_COMM_LEN];
            let name = p.proc.name.lock().clone();
            let n = name.len().min(TASK_COMM_LEN - 1);
            out[..n].copy_from_slice(&name.as_bytes()[..n]);
            p.space.write(arg2.ptr::<[u8; TASK_COMM_LEN]>(), &out)?;
            Ok(0)
        }
        op => {
            let args = [arg2.value(), arg3.value(), arg4, arg5];
            super::procctl::prctl(p, op, args)
                .or_else(|| super::privileges::prctl(p, op, args))
                .unwrap_or_else(|| Err(super::unimplemented_op("prctl", op as u64)))
        }
    }
}
