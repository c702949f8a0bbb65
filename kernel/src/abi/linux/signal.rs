//! Signal syscalls: kill/tgkill/tkill, rt_sigqueueinfo/rt_tgsigqueueinfo,
//! rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigreturn,
//! rt_sigsuspend, pause, sigaltstack, rt_sigtimedwait, and the ITIMER_REAL
//! timer (alarm, setitimer, getitimer). Argument checks follow Linux's order
//! (kernel/signal.c, kernel/time/itimer.c); the state lives in
//! `task::signal` and `task::timer`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use errno::Errno;
use linux_abi::signal::{Siginfo, SigAction, SigSet, Signal, StackT, SI_TKILL, SI_USER, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK};
use linux_abi::structs::{Itimerval, Timespec, Timeval, ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL};
use linux_abi::UserPtr;

use super::SysResult;
use crate::abi::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::sched;
use crate::task::signal;
use crate::task::{Process, Task};

/// A signal argument: `None` for 0 (only check the target), EINVAL past 64.
pub(super) fn signal_arg(raw: i32) -> Result<Option<Signal>, Errno> {
    match raw {
        0 => Ok(None),
        n => Signal::from_arg(n).map(Some),
    }
}

/// A user `sigset_t` of rt_sig* calls (whose size argument must be 8).
fn read_sigset(p: &Task, set: UserPtr<u64>) -> Result<SigSet, Errno> {
    Ok(SigSet(p.space.read(set)?))
}

fn check_sigset_size(size: usize) -> Result<(), Errno> {
    if size == SigSet::SIZE {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// The processes kill(pid) names in the caller's namespace.
fn kill_targets(p: &Task, pid: i32) -> Vec<Arc<Process>> {
    let ns = &p.proc.ns;
    match pid {
        n if n > 0 => ns.get(n as u32).filter(|t| t.vpid == n as u32).into_iter().collect(),
        0 => ns.group(p.proc.pgid.load(Ordering::Acquire)),
        -1 => ns.processes().into_iter().filter(|t| t.vpid != 1 && !Arc::ptr_eq(t, &p.proc)).collect(),
        n => ns.group(n.unsigned_abs()),
    }
}

/// Sends `info` (None: only check) to the processes kill(`pid`) names,
/// each subject to the permission check (`EPERM`). As Linux: one target's
/// error is the result; a group succeeds if any member did, else the last
/// error; kill(-1) gives the result of the last target that was not
/// `EPERM` (`ESRCH` with no target).
fn kill_info(p: &mut Task, pid: i32, info: Option<Siginfo>) -> SysResult {
    let targets = kill_targets(p, pid);
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let host = p.proc.ns.is_host();
    let sig = match info {
        Some(i) => Some(Signal::new(i.si_signo).ok_or(Errno::EINVAL)?),
        None => None,
    };
    let (mut any_ok, mut last_err, mut last_not_eperm) = (false, None, Ok(()));
    for t in &targets {
        let sent = signal::check_permission(p, t, sig).and_then(|()| match (info, sig) {
            // A namespace's init only gets the signals it handles (Linux's
            // SIGNAL_UNKILLABLE), SIGKILL and SIGSTOP only from outside.
            (Some(info), Some(sig)) if !(t.vpid == 1 && !host && !t.signals.lock().catches(sig)) => {
                signal::send_info_to_process(t, info)
            }
            _ => Ok(()),
        });
        if sent != Err(Errno::EPERM) {
            last_not_eperm = sent;
        }
        match sent {
            Ok(()) => any_ok = true,
            Err(e) => last_err = Some(e),
        }
    }
    let result = match (pid, last_err) {
        (_, None) => Ok(0),
        (-1, _) => last_not_eperm.map(|()| 0),
        (n, Some(e)) if n > 0 || !any_ok => Err(e),
        _ => Ok(0),
    };
    // Let the woken targets act before the sender goes on, as wake-up
    // preemption does on Linux (a killed child is gone when kill returns).
    if targets.iter().any(|t| !Arc::ptr_eq(t, &p.proc)) {
        sched::yield_now();
    }
    result
}

/// kill(pid, sig): SI_USER with the sender's pid and uid.
pub fn kill(p: &mut Task, pid: i32, sig: i32) -> SysResult {
    let signal = signal_arg(sig)?;
    let info = signal.map(|s| Siginfo::kill(s, SI_USER, p.pid() as i32, p.cred.ruid));
    kill_info(p, pid, info)
}

/// The thread `tid` of the caller's namespace (of process `tgid` if given).
fn find_thread(p: &Task, tgid: Option<u32>, tid: u32) -> Result<Arc<sched::Thread>, Errno> {
    let proc = p.proc.ns.get(tid).ok_or(Errno::ESRCH)?;
    if tgid.is_some_and(|g| g != proc.vpid) {
        return Err(Errno::ESRCH);
    }
    let thread = proc.threads.lock().iter().find(|(v, _)| *v == tid).and_then(|(_, t)| t.upgrade());
    thread.ok_or(Errno::ESRCH)
}

/// tgkill(tgid, tid, sig) / tkill(tid, sig): SI_TKILL.
fn do_tkill(p: &mut Task, tgid: Option<i32>, tid: i32, sig: i32) -> SysResult {
    if tid <= 0 || tgid.is_some_and(|g| g <= 0) {
        return Err(Errno::EINVAL);
    }
    let signal = signal_arg(sig)?;
    let thread = find_thread(p, tgid.map(i32::unsigned_abs), tid.unsigned_abs())?;
    if let Some(target) = thread.process.clone() {
        signal::check_permission(p, &target, signal)?;
    }
    if let Some(s) = signal {
        signal::send_info_to_thread(&thread, Siginfo::kill(s, SI_TKILL, p.pid() as i32, p.cred.ruid))?;
    }
    Ok(0)
}

pub fn tgkill(p: &mut Task, tgid: i32, tid: i32, sig: i32) -> SysResult {
    do_tkill(p, Some(tgid), tid, sig)
}

pub fn tkill(p: &mut Task, tid: i32, sig: i32) -> SysResult {
    do_tkill(p, None, tid, sig)
}

/// The siginfo of rt_sigqueueinfo/rt_tgsigqueueinfo: the caller's own, with
/// `si_signo` set. Another process may not be told it came from kill() or
/// the kernel (EPERM for a non-negative si_code or SI_TKILL).
fn queued_info(p: &Task, target_pid: i32, signal: Signal, uinfo: UserPtr<Siginfo>) -> Result<Siginfo, Errno> {
    let mut info = p.space.read(uinfo)?;
    if (info.si_code >= 0 || info.si_code == SI_TKILL) && target_pid != p.pid() as i32 {
        return Err(Errno::EPERM);
    }
    info.si_signo = i32::from(signal.number());
    Ok(info)
}

/// rt_sigqueueinfo(tgid, sig, info): sigqueue(3).
pub fn rt_sigqueueinfo(p: &mut Task, pid: i32, sig: i32, uinfo: UserPtr<Siginfo>) -> SysResult {
    let signal = signal_arg(sig)?;
    let info = match signal {
        Some(s) => Some(queued_info(p, pid, s, uinfo)?),
        None => None,
    };
    // Linux sends to exactly one process here (no groups).
    if pid <= 0 {
        return Err(Errno::ESRCH);
    }
    kill_info(p, pid, info)
}

/// rt_tgsigqueueinfo(tgid, tid, sig, info).
pub fn rt_tgsigqueueinfo(p: &mut Task, tgid: i32, tid: i32, sig: i32, uinfo: UserPtr<Siginfo>) -> SysResult {
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let signal = signal_arg(sig)?;
    let info = match signal {
        Some(s) => Some(queued_info(p, tgid, s, uinfo)?),
        None => None,
    };
    let thread = find_thread(p, Some(tgid.unsigned_abs()), tid.unsigned_abs())?;
    if let Some(target) = thread.process.clone() {
        signal::check_permission(p, &target, signal)?;
    }
    if let Some(info) = info {
        signal::send_info_to_thread(&thread, info)?;
    }
    Ok(0)
}

/// rt_sigaction(sig, new, old, sigsetsize).
pub fn rt_sigaction(p: &mut Task, sig: i32, new: UserPtr<[u8; 32]>, old: UserPtr<[u8; 32]>, size: usize) -> SysResult {
    check_sigset_size(size)?;
    let new_action = if new.is_null() { None } else { Some(SigAction::decode(&p.space.read(new)?)?) };
    let signal = signal_arg(sig)?.ok_or(Errno::EINVAL)?;
    if new_action.is_some() {
        SigAction::check_settable(signal)?;
    }
    let previous = match new_action {
        Some(action) => signal::set_action(&p.proc, signal, action),
        None => p.proc.signals.lock().get(signal),
    };
    if !old.is_null() {
        p.space.write(old, &previous.encode())?;
    }
    Ok(0)
}

/// rt_sigprocmask(how, set, oldset, sigsetsize).
pub fn rt_sigprocmask(p: &mut Task, how: i32, set: UserPtr<u64>, oldset: UserPtr<u64>, size: usize) -> SysResult {
    check_sigset_size(size)?;
    let t = sched::current();
    let old = signal::blocked(&t);
    if !set.is_null() {
        let set = read_sigset(p, set)?;
        let new = match how {
            SIG_BLOCK => old.union(set),
            SIG_UNBLOCK => old.difference(set),
            SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL),
        };
        signal::set_blocked(&t, new);
    }
    if !oldset.is_null() {
        p.space.write(oldset, &old.0)?;
    }
    Ok(0)
}

/// rt_sigpending(set, sigsetsize): the blocked signals that are pending
/// (sigsetsize may be smaller than 8, not larger).
pub fn rt_sigpending(p: &mut Task, set: UserPtr<u8>, size: usize) -> SysResult {
    if size > SigSet::SIZE {
        return Err(Errno::EINVAL);
    }
    let t = sched::current();
    let pending = signal::pending_of(&t).intersection(signal::blocked(&t));
    p.space.copy_out(set.array(size)?, &pending.0.to_le_bytes()[..size])?;
    Ok(0)
}

/// rt_sigreturn: back to the context the signal frame saved. A corrupt
/// frame forces SIGSEGV (Linux's `badframe`).
pub fn rt_sigreturn(p: &mut Task, frame: &mut TrapFrame) -> Outcome {
    match crate::task::sigframe::restore(p, frame) {
        Ok(()) => Outcome::Replaced,
        Err(()) => {
            signal::force(Siginfo::new(Signal::SIGSEGV, linux_abi::signal::SI_KERNEL));
            Outcome::Return(Ok(0))
        }
    }
}

/// rt_sigsuspend(mask, sigsetsize): sleeps with `mask` until a signal is
/// delivered. The old mask comes back after the handler (saved in the
/// signal frame).
pub fn rt_sigsuspend(p: &mut Task, mask: UserPtr<u64>, size: usize) -> SysResult {
    check_sigset_size(size)?;
    let mask = read_sigset(p, mask)?;
    let t = sched::current();
    let old = signal::blocked(&t);
    signal::set_blocked(&t, mask);
    signal::set_saved_mask(&t, old.0);
    let q = sched::WaitQueue::new();
    let _ = q.wait_interruptible(|| None::<()>, None);
    Err(Errno::EINTR)
}

pub fn pause(_p: &mut Task) -> SysResult {
    let q = sched::WaitQueue::new();
    let _ = q.wait_interruptible(|| None::<()>, None);
    Err(Errno::EINTR)
}

/// sigaltstack(new, old) for the thread at its user stack pointer (rules
/// in `linux_abi::signal::AltStack`).
pub fn sigaltstack(p: &mut Task, frame: &mut TrapFrame, new: UserPtr<StackT>, old: UserPtr<StackT>) -> SysResult {
    use linux_abi::signal::MINSIGSTKSZ;
    let sp = frame.rsp;
    let new = if new.is_null() { None } else { Some(p.altstack.set(&p.space.read(new)?, sp, MINSIGSTKSZ as u64)?) };
    if !old.is_null() {
        p.space.write(old, &p.altstack.query(sp))?;
    }
    if let Some(alt) = new {
        p.altstack = alt;
    }
    Ok(0)
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal
/// of `set` (normally blocked by the caller), waiting for one if needed.
/// While it waits, the set counts as blocked for "is it ignored?" and as
/// wanted for wake-ups (Linux's `real_blocked`).
pub fn rt_sigtimedwait(p: &mut Task, set: UserPtr<u64>, uinfo: UserPtr<Siginfo>, timeout: UserPtr<Timespec>, size: usize) -> SysResult {
    check_sigset_size(size)?;
    let set = read_sigset(p, set)?.blockable();
    let deadline = match timeout.is_null() {
        true => None,
        false => Some(crate::time::ticks().saturating_add(super::process::ticks_from_timespec(p, timeout)?)),
    };
    let t = sched::current();
    t.sig_waiting.store(set.0, Ordering::Release);
    let q = sched::WaitQueue::new();
    let r = q.wait_interruptible(|| signal::take_from_set(set), deadline);
    t.sig_waiting.store(0, Ordering::Release);
    match r {
        Ok(info) => {
            if !uinfo.is_null() {
                p.space.write(uinfo, &info)?;
            }
            Ok(info.si_signo as usize)
        }
        Err(sched::wait::Interrupted::TimedOut) => Err(Errno::EAGAIN),
        Err(sched::wait::Interrupted::Signal) => Err(Errno::EINTR),
    }
}

const US_PER_TICK: u64 = 1_000_000 / crate::time::HZ as u64;

fn ticks_of(tv: Timeval) -> u64 {
    tv.as_micros().div_ceil(US_PER_TICK)
}

fn timeval_of(ticks: u64) -> Timeval {
    Timeval::from_micros(ticks.saturating_mul(US_PER_TICK))
}

/// The itimerval of a timer: an armed one never shows 0 left (that would
/// mean "off"), as on Linux.
fn itimerval_of(left: crate::task::timer::Left) -> Itimerval {
    match left {
        None => Itimerval::default(),
        Some((0, interval)) => Itimerval { it_interval: timeval_of(interval), it_value: Timeval { tv_sec: 0, tv_usec: 1 } },
        Some((ticks, interval)) => Itimerval { it_interval: timeval_of(interval), it_value: timeval_of(ticks) },
    }
}

/// `which` of setitimer/getitimer: only ITIMER_REAL is offered; the CPU-time
/// timers are ENOSYS (logged once), anything else EINVAL.
fn check_which(name: &str, which: i32) -> Result<(), Errno> {
    match which {
        ITIMER_REAL => Ok(()),
        ITIMER_VIRTUAL | ITIMER_PROF => Err(super::unimplemented_op(name, which as u64)),
        _ => Err(Errno::EINVAL),
    }
}

/// alarm(seconds): SIGALRM after that long (replacing ITIMER_REAL, periodic
/// or not); returns what was left of the previous one in whole seconds.
pub fn alarm(p: &mut Task, seconds: u32) -> SysResult {
    let old = crate::task::timer::set(&p.proc, u64::from(seconds) * u64::from(crate::time::HZ), 0);
    Ok(itimerval_of(old).it_value.alarm_seconds() as usize)
}

/// setitimer(ITIMER_REAL, new, old); a NULL `new` disarms, as on Linux.
pub fn setitimer(p: &mut Task, which: i32, new: UserPtr<Itimerval>, old: UserPtr<Itimerval>) -> SysResult {
    check_which("setitimer", which)?;
    let new = if new.is_null() { Itimerval::default() } else { p.space.read(new)? };
    let (value, interval) = (new.it_value.validate()?, new.it_interval.validate()?);
    let previous = crate::task::timer::set(&p.proc, ticks_of(value), ticks_of(interval));
    if !old.is_null() {
        p.space.write(old, &itimerval_of(previous))?;
    }
    Ok(0)
}

pub fn getitimer(p: &mut Task, which: i32, cur: UserPtr<Itimerval>) -> SysResult {
    check_which("getitimer", which)?;
    let now = itimerval_of(crate::task::timer::get(&p.proc));
    p.space.write(cur, &now)?;
    Ok(0)
}
