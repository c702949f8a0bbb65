//! Processes, threads, sleeping and pipes: fork/vfork/clone, execve,
//! wait4/waitid, process groups and sessions, nanosleep, futex, pipe2.
//! (Signals are in `signal.rs`.)

use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use errno::Errno;
use linux_abi::structs;

use super::SysResult;
use crate::abi::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::sched;
use crate::task::exit::{self, Which};
use crate::task::files::{Node, OpenFile};
use crate::task::signal::Signal;
use crate::task::{fork, futex, pipe, Task};

const PATH_MAX: usize = 4096;
/// Total bytes of argv + envp execve accepts (as Linux's ARG_MAX-ish limit).
const ARGS_MAX: usize = 2 * 1024 * 1024;

pub fn fork(p: &mut Task, frame: &TrapFrame) -> SysResult {
    fork::fork(p, frame)
}

pub fn vfork(p: &mut Task, frame: &TrapFrame) -> SysResult {
    fork::vfork(p, frame)
}

pub fn clone(p: &mut Task, frame: &TrapFrame, a: [u64; 6]) -> SysResult {
    fork::clone(p, frame, fork::CloneArgs { flags: a[0], stack: a[1], parent_tid: a[2], child_tid: a[3], tls: a[4] })
}

/// clone3(struct clone_args *, size).
pub fn clone3(p: &mut Task, frame: &TrapFrame, a: [u64; 6]) -> SysResult {
    if a[1] < 64 || a[1] > 4096 {
        return Err(Errno::EINVAL);
    }
    let mut raw = [0u8; 64];
    p.space.copy_in(a[0], &mut raw)?;
    let w = |i: usize| u64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let (flags, _pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls) =
        (w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7));
    let top = if stack != 0 { stack + stack_size } else { 0 };
    fork::clone(p, frame, fork::CloneArgs { flags: flags | (exit_signal & 0xff), stack: top, parent_tid, child_tid, tls })
}

pub fn execve(p: &mut Task, frame: &mut TrapFrame, a: [u64; 6]) -> Outcome {
    let result = (|| {
        let path = p.space.copy_in_str(a[0], PATH_MAX)?;
        let argv = p.space.copy_in_str_array(a[1], ARGS_MAX)?;
        let envp = p.space.copy_in_str_array(a[2], ARGS_MAX)?;
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

fn which(p: &Task, pid: i64) -> Which {
    match pid {
        -1 => Which::Any,
        0 => Which::Group(p.proc.pgid.load(Ordering::Acquire)),
        n if n < 0 => Which::Group(n.unsigned_abs() as u32),
        n => Which::Pid(n as u32),
    }
}

fn rusage_bytes(ticks: u64) -> [u8; 144] {
    let mut r = [0u8; 144];
    let ms = ticks * 1000 / u64::from(crate::time::HZ);
    r[0..8].copy_from_slice(&((ms / 1000) as i64).to_le_bytes());
    r[8..16].copy_from_slice(&(((ms % 1000) * 1000) as i64).to_le_bytes());
    r
}

pub fn wait4(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (pid, status_addr, options, rusage) = (a[0] as i32 as i64, a[1], a[2] as u32, a[3]);
    if options & !(exit::WNOHANG | exit::WUNTRACED | exit::WCONTINUED | 0x4000_0000 | 0x8000_0000 | 0x2000_0000) != 0 {
        return Err(Errno::EINVAL);
    }
    let me = p.proc.clone();
    match exit::wait_child(&me, which(p, pid), options)? {
        None => Ok(0),
        Some((vpid, status, ticks)) => {
            if status_addr != 0 {
                p.space.write_u32(status_addr, status)?;
            }
            if rusage != 0 {
                p.space.copy_out(rusage, &rusage_bytes(ticks))?;
            }
            Ok(vpid as usize)
        }
    }
}

/// waitid(idtype, id, siginfo *, options, rusage *).
pub fn waitid(p: &mut Task, a: [u64; 6]) -> SysResult {
    const P_ALL: u64 = 0;
    const P_PID: u64 = 1;
    const P_PGID: u64 = 2;
    const WEXITED: u32 = 4;
    let options = a[3] as u32;
    let w = match a[0] {
        P_ALL => Which::Any,
        P_PID => Which::Pid(a[1] as u32),
        P_PGID if a[1] == 0 => Which::Group(p.proc.pgid.load(Ordering::Acquire)),
        P_PGID => Which::Group(a[1] as u32),
        _ => return Err(Errno::EINVAL),
    };
    if options & (WEXITED | exit::WUNTRACED | exit::WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let me = p.proc.clone();
    let found = exit::wait_child(&me, w, options & !WEXITED)?;
    if a[2] != 0 {
        let mut info = [0u8; 128];
        if let Some((vpid, status, _)) = found {
            let (code, value) = if status & 0x7f == 0 {
                (1, (status >> 8) & 0xff) // CLD_EXITED
            } else if status & 0xff == 0x7f {
                (5, (status >> 8) & 0xff) // CLD_STOPPED
            } else if status == 0xffff {
                (6, 18) // CLD_CONTINUED
            } else if status & 0x80 != 0 {
                (3, status & 0x7f) // CLD_DUMPED
            } else {
                (2, status & 0x7f) // CLD_KILLED
            };
            info[0..4].copy_from_slice(&i32::from(Signal::SIGCHLD.number()).to_le_bytes());
            info[8..12].copy_from_slice(&(code as i32).to_le_bytes());
            info[16..20].copy_from_slice(&vpid.to_le_bytes());
            info[24..28].copy_from_slice(&value.to_le_bytes());
        }
        p.space.copy_out(a[2], &info)?;
    }
    Ok(0)
}

/// A user timespec in timer ticks, rounded up (sleeping less than asked is not allowed).
pub(super) fn ticks_from_timespec(p: &Task, addr: u64) -> Result<u64, Errno> {
    Ok(super::timespec_ms(p, addr)? * u64::from(crate::time::HZ) / 1000)
}

fn sleep_ticks(p: &Task, ticks: u64, rem_addr: u64) -> SysResult {
    let deadline = crate::time::ticks() + ticks;
    let q = sched::WaitQueue::new();
    match q.wait_interruptible(|| None::<()>, Some(deadline)) {
        Err(sched::wait::Interrupted::Signal) => {
            if rem_addr != 0 {
                let left_ms = deadline.saturating_sub(crate::time::ticks()) * 1000 / u64::from(crate::time::HZ);
                let ts = structs::Timespec { tv_sec: (left_ms / 1000) as i64, tv_nsec: ((left_ms % 1000) * 1_000_000) as i64 };
                p.space.copy_out(rem_addr, &ts.to_bytes())?;
            }
            Err(Errno::EINTR)
        }
        _ => Ok(0),
    }
}

pub fn nanosleep(p: &mut Task, a: [u64; 6]) -> SysResult {
    let ticks = ticks_from_timespec(p, a[0])?;
    sleep_ticks(p, ticks, a[1])
}

pub fn clock_nanosleep(p: &mut Task, a: [u64; 6]) -> SysResult {
    const TIMER_ABSTIME: u64 = 1;
    const CLOCK_REALTIME: u64 = 0;
    if a[0] > 7 {
        return Err(Errno::EINVAL);
    }
    let ticks = ticks_from_timespec(p, a[2])?;
    let ticks = if a[1] & TIMER_ABSTIME != 0 {
        let now_ms = if a[0] == CLOCK_REALTIME {
            let (s, ns) = crate::time::now();
            (s as u64) * 1000 + u64::from(ns) / 1_000_000
        } else {
            crate::time::uptime_ms()
        };
        let target_ms = ticks * 1000 / u64::from(crate::time::HZ);
        target_ms.saturating_sub(now_ms) * u64::from(crate::time::HZ) / 1000
    } else {
        ticks
    };
    sleep_ticks(p, ticks, if a[1] & TIMER_ABSTIME != 0 { 0 } else { a[3] })
}

pub fn futex(p: &mut Task, a: [u64; 6]) -> SysResult {
    const FUTEX_WAIT: u64 = 0;
    const FUTEX_WAKE: u64 = 1;
    const FUTEX_REQUEUE: u64 = 3;
    const FUTEX_CMP_REQUEUE: u64 = 4;
    const FUTEX_WAKE_OP: u64 = 5;
    const FUTEX_WAIT_BITSET: u64 = 9;
    const FUTEX_WAKE_BITSET: u64 = 10;
    const FUTEX_CLOCK_REALTIME: u64 = 256;
    let (addr, op, val, timeout) = (a[0], a[1] & 0x7f, a[2], a[3]);
    match op {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let deadline = if timeout == 0 {
                None
            } else {
                let ticks = ticks_from_timespec(p, timeout)?;
                Some(if op == FUTEX_WAIT_BITSET {
                    // Absolute: against CLOCK_MONOTONIC, or REALTIME if asked.
                    let now_ms = if a[1] & FUTEX_CLOCK_REALTIME != 0 {
                        let (s, ns) = crate::time::now();
                        (s as u64) * 1000 + u64::from(ns) / 1_000_000
                    } else {
                        crate::time::uptime_ms()
                    };
                    let target_ms = ticks * 1000 / u64::from(crate::time::HZ);
                    crate::time::ticks() + target_ms.saturating_sub(now_ms) * u64::from(crate::time::HZ) / 1000
                } else {
                    crate::time::ticks() + ticks
                })
            };
            futex::wait(&p.space, addr, val as u32, deadline).map(|_| 0)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => Ok(futex::wake(&p.space, addr, val as usize)),
        FUTEX_REQUEUE => futex::requeue(&p.space, addr, val as usize, timeout as usize, a[4], None),
        FUTEX_CMP_REQUEUE => futex::requeue(&p.space, addr, val as usize, timeout as usize, a[4], Some(a[5] as u32)),
        FUTEX_WAKE_OP => futex::wake_op(&p.space, addr, val as usize, a[4], timeout as usize, a[5] as u32),
        _ => Err(super::unimplemented_op("futex", op)),
    }
}

pub fn pipe2(p: &mut Task, a: [u64; 6]) -> SysResult {
    const O_CLOEXEC: u64 = 0o2000000;
    const O_NONBLOCK: u64 = 0o4000;
    const O_DIRECT: u64 = 0o40000;
    if a[1] & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    let (r, w) = pipe::new();
    let status = (a[1] & O_NONBLOCK) as u32;
    let cloexec = a[1] & O_CLOEXEC != 0;
    let rf = p.files.insert(OpenFile::new(Node::Pipe(r), true, false, status), cloexec, 0)?;
    let wf = match p.files.insert(OpenFile::new(Node::Pipe(w), false, true, status | 1), cloexec, 0) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = p.files.close(rf as i64);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[0..4].copy_from_slice(&(rf as i32).to_le_bytes());
    out[4..8].copy_from_slice(&(wf as i32).to_le_bytes());
    if let Err(e) = p.space.copy_out(a[0], &out) {
        let _ = p.files.close(rf as i64);
        let _ = p.files.close(wf as i64);
        return Err(e);
    }
    Ok(0)
}

pub fn getppid(p: &mut Task) -> SysResult {
    Ok(p.proc.ppid() as usize)
}

pub fn getpgid(p: &mut Task, pid: u64) -> SysResult {
    let target = if pid == 0 { p.proc.clone() } else { p.proc.ns.get(pid as u32).ok_or(Errno::ESRCH)? };
    Ok(target.pgid.load(Ordering::Acquire) as usize)
}

pub fn getsid(p: &mut Task, pid: u64) -> SysResult {
    let target = if pid == 0 { p.proc.clone() } else { p.proc.ns.get(pid as u32).ok_or(Errno::ESRCH)? };
    Ok(target.sid.load(Ordering::Acquire) as usize)
}

/// setpgid(pid, pgid): the caller or one of its children, within its session.
pub fn setpgid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let pid = a[0] as i32;
    let pgid = a[1] as i32;
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let target = if pid == 0 || pid as u32 == p.proc.vpid {
        p.proc.clone()
    } else {
        let t = p.proc.ns.get(pid as u32).ok_or(Errno::ESRCH)?;
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
pub fn times(p: &mut Task, a: [u64; 6]) -> SysResult {
    let to_clk = |ticks: u64| ticks * 100 / u64::from(crate::time::HZ);
    if a[0] != 0 {
        let mut raw = [0u8; 32];
        raw[0..8].copy_from_slice(&to_clk(p.proc.cpu_ticks()).to_le_bytes());
        raw[16..24].copy_from_slice(&to_clk(p.proc.child_ticks.load(Ordering::Relaxed)).to_le_bytes());
        p.space.copy_out(a[0], &raw)?;
    }
    Ok(to_clk(crate::time::ticks()) as usize)
}

pub fn getrusage(p: &mut Task, a: [u64; 6]) -> SysResult {
    const RUSAGE_SELF: i64 = 0;
    const RUSAGE_CHILDREN: i64 = -1;
    const RUSAGE_THREAD: i64 = 1;
    let ticks = match a[0] as i64 {
        RUSAGE_SELF => p.proc.cpu_ticks(),
        RUSAGE_CHILDREN => p.proc.child_ticks.load(Ordering::Relaxed),
        RUSAGE_THREAD => sched::current().ticks.load(Ordering::Relaxed),
        _ => return Err(Errno::EINVAL),
    };
    p.space.copy_out(a[1], &rusage_bytes(ticks))?;
    Ok(0)
}

pub fn sched_yield(_p: &mut Task) -> SysResult {
    sched::yield_now();
    Ok(0)
}

/// The comm name for prctl(PR_GET_NAME).
pub fn prctl(p: &mut Task, a: [u64; 6]) -> SysResult {
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    match a[0] {
        PR_SET_NAME => {
            let name = p.space.copy_in_str(a[1], 4096).unwrap_or_default();
            let name: String = name.chars().take(15).collect();
            *p.proc.name.lock() = name.clone();
            *sched::current().name.lock() = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut out = [0u8; 16];
            let name = p.proc.name.lock().clone();
            out[..name.len().min(15)].copy_from_slice(&name.as_bytes()[..name.len().min(15)]);
            p.space.copy_out(a[1], &out)?;
            Ok(0)
        }
        op => super::privileges::prctl(p, a).unwrap_or_else(|| Err(super::unimplemented_op("prctl", op))),
    }
}
