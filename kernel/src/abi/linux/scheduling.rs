//! Scheduling attributes: sched_{get,set}scheduler, sched_{get,set}param,
//! sched_get_priority_{min,max}, sched_rr_get_interval,
//! sched_{get,set}affinity, getpriority/setpriority, getcpu.
//!
//! The rules (which values are valid, who may change what, what fork
//! does) are the `schedattr` crate's; this file finds the threads a call
//! names and applies them. Attributes are per thread, as on Linux: a pid
//! argument is a thread id, 0 the caller. The scheduler honours the nice
//! value (its weight scales the thread's slice) and RR's quantum; it has no
//! priority preemption for the real-time policies.
//! May call: `task` (namespaces, credentials, limits), `sched`.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use errno::Errno;
use linux_abi::structs::Timespec;
use linux_abi::UserPtr;
use schedattr::cpumask::{self, CpuMask};
use schedattr::{SchedAttr, Target, PRIO_PGRP, PRIO_PROCESS, PRIO_USER};

use super::SysResult;
use crate::sched::{self, Thread, NR_CPUS};
use crate::task::{Process, Task};

/// The thread `tid` names in the caller's namespace (0: the caller), with
/// its process: ESRCH if none.
fn thread_of(p: &Task, tid: i32) -> Result<(Arc<Process>, Arc<Thread>), Errno> {
    if tid == 0 {
        return Ok((p.proc.clone(), sched::current()));
    }
    let vtid = u32::try_from(tid).map_err(|_| Errno::ESRCH)?;
    let proc = p.proc.ns.get(vtid).ok_or(Errno::ESRCH)?;
    let thread = proc
        .threads
        .lock()
        .iter()
        .find(|(id, _)| *id == vtid)
        .and_then(|(_, t)| t.upgrade())
        .filter(|t| !t.is_dead())
        .ok_or(Errno::ESRCH)?;
    Ok((proc, thread))
}

/// The credentials a thread is judged by: the caller's own, or what its
/// process shows others.
fn cred_of(p: &Task, proc: &Process, thread: &Thread) -> creds::Cred {
    if thread.id == sched::current_id() {
        p.cred.clone()
    } else {
        proc.cred.lock().clone()
    }
}

/// Applies `change` to `thread`'s attributes with the target's credentials
/// and limits in hand.
fn change_attr(
    p: &Task,
    proc: &Process,
    thread: &Thread,
    change: impl FnOnce(&SchedAttr, &Target<'_>) -> Result<SchedAttr, Errno>,
) -> Result<(), Errno> {
    let cred = cred_of(p, proc, thread);
    let (nice, rtprio) = {
        let limits = proc.rlimits.lock();
        (limits.cur(creds::Resource::NICE), limits.cur(creds::Resource::RTPRIO))
    };
    let target = Target { cred: &cred, rlimit_nice: nice, rlimit_rtprio: rtprio };
    let current = *thread.sched_attr.lock();
    let new = change(&current, &target)?;
    thread.set_sched_attr(new);
    Ok(())
}

/// sched_setscheduler and sched_setparam (`policy` -1): EINVAL for a NULL
/// param or negative pid, then the param is read (EFAULT), then the thread
/// looked up (ESRCH), then the schedattr rules.
fn setscheduler(p: &mut Task, pid: i32, policy: i32, param: UserPtr<i32>) -> SysResult {
    if param.is_null() || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let priority = p.space.read(param)?;
    let (proc, thread) = thread_of(p, pid)?;
    change_attr(p, &proc, &thread, |a, t| a.setscheduler(&p.cred, t, policy, priority))?;
    Ok(0)
}

pub fn sched_setscheduler(p: &mut Task, pid: i32, policy: i32, param: UserPtr<i32>) -> SysResult {
    if policy < 0 {
        return Err(Errno::EINVAL);
    }
    setscheduler(p, pid, policy, param)
}

pub fn sched_setparam(p: &mut Task, pid: i32, param: UserPtr<i32>) -> SysResult {
    setscheduler(p, pid, -1, param)
}

pub fn sched_getscheduler(p: &mut Task, pid: i32) -> SysResult {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let (_, thread) = thread_of(p, pid)?;
    let policy = thread.sched_attr.lock().getscheduler();
    Ok(policy as usize)
}

pub fn sched_getparam(p: &mut Task, pid: i32, param: UserPtr<i32>) -> SysResult {
    if param.is_null() || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let (_, thread) = thread_of(p, pid)?;
    let priority = thread.sched_attr.lock().rt_priority();
    p.space.write(param, &(priority as i32))?;
    Ok(0)
}

pub fn sched_get_priority_max(_p: &mut Task, policy: i32) -> SysResult {
    schedattr::priority_max(policy).map(|v| v as usize)
}

pub fn sched_get_priority_min(_p: &mut Task, policy: i32) -> SysResult {
    schedattr::priority_min(policy).map(|v| v as usize)
}

/// sched_rr_get_interval(pid, tp): RR's quantum, 0 for FIFO, the slice the
/// scheduler gives for the other policies.
pub fn sched_rr_get_interval(p: &mut Task, pid: i32, tp: UserPtr<Timespec>) -> SysResult {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let (_, thread) = thread_of(p, pid)?;
    let ms = match thread.sched_attr.lock().policy() {
        schedattr::SCHED_FIFO => 0,
        schedattr::SCHED_RR => schedattr::RR_TIMESLICE_MS,
        _ => thread.slice_ms(),
    };
    let ts = Timespec { tv_sec: (ms / 1000) as i64, tv_nsec: ((ms % 1000) * 1_000_000) as i64 };
    p.space.write(tp, &ts)?;
    Ok(0)
}

/// sched_getaffinity(pid, len, mask): the length rule first (EINVAL), then
/// the thread (ESRCH); returns the bytes written.
pub fn sched_getaffinity(p: &mut Task, pid: i32, len: u32, mask: UserPtr<u8>) -> SysResult {
    let n = cpumask::getaffinity_len(NR_CPUS, len)?;
    let (_, thread) = thread_of(p, pid)?;
    let bytes = thread.affinity.lock().and(&CpuMask::all(NR_CPUS)).to_user();
    p.space.copy_out(mask.array(n)?, &bytes[..n.min(bytes.len())])?;
    Ok(n)
}

/// sched_setaffinity(pid, len, mask): the mask is read (`len` bytes, at
/// most a kernel mask's size; CPUs past a short mask are not in it), then the thread found, the owner checked (EPERM without
/// CAP_SYS_NICE), and a mask without any CPU of the machine is EINVAL.
pub fn sched_setaffinity(p: &mut Task, pid: i32, len: u32, mask: UserPtr<u8>) -> SysResult {
    let n = (len as usize).min(cpumask::mask_size(NR_CPUS));
    let mut raw = alloc::vec![0u8; n];
    p.space.copy_in(mask.array(n)?, &mut raw)?;
    let (proc, thread) = thread_of(p, pid)?;
    let target = cred_of(p, &proc, &thread);
    if !schedattr::same_owner(&p.cred, &target) && !p.cred.capable(creds::Cap::SYS_NICE) {
        return Err(Errno::EPERM);
    }
    let m = cpumask::setaffinity(NR_CPUS, &raw)?;
    *thread.affinity.lock() = m;
    Ok(0)
}

/// getcpu(cpu, node, cache): CPU 0 of node 0 (one CPU); either pointer may be NULL.
pub fn getcpu(p: &mut Task, cpu: UserPtr<u32>, node: UserPtr<u32>, _cache: u64) -> SysResult {
    if !cpu.is_null() {
        p.space.write(cpu, &0u32)?;
    }
    if !node.is_null() {
        p.space.write(node, &0u32)?;
    }
    Ok(0)
}

/// The threads getpriority/setpriority's (which, who) names, with their
/// processes: EINVAL for an unknown `which`.
fn prio_targets(p: &Task, which: i32, who: i32) -> Result<Vec<(Arc<Process>, Arc<Thread>)>, Errno> {
    let threads_of = |proc: &Arc<Process>| -> Vec<(Arc<Process>, Arc<Thread>)> {
        proc.live_threads().into_iter().map(|t| (proc.clone(), t)).collect()
    };
    match which {
        PRIO_PROCESS => Ok(thread_of(p, who).map(|x| alloc::vec![x]).unwrap_or_default()),
        PRIO_PGRP => {
            let pgid = if who == 0 { p.proc.pgid.load(Ordering::Acquire) } else { who as u32 };
            let members = p.proc.ns.processes().into_iter().filter(|q| !q.is_zombie() && q.pgid.load(Ordering::Acquire) == pgid);
            Ok(members.flat_map(|q| threads_of(&q)).collect())
        }
        PRIO_USER => {
            let uid = if who == 0 { p.cred.ruid } else { who as u32 };
            let owned = p.proc.ns.processes().into_iter().filter(|q| !q.is_zombie() && q.cred.lock().ruid == uid);
            Ok(owned.flat_map(|q| threads_of(&q)).collect())
        }
        _ => Err(Errno::EINVAL),
    }
}

/// getpriority(which, who): the highest priority among the targets on
/// Linux's 1..=40 scale (20 - nice); ESRCH if there are none.
pub fn getpriority(p: &mut Task, which: i32, who: i32) -> SysResult {
    let targets = prio_targets(p, which, who)?;
    let best = targets.iter().map(|(_, t)| schedattr::nice_to_rlimit(t.sched_attr.lock().nice())).max();
    best.map(|v| v as usize).ok_or(Errno::ESRCH)
}

/// setpriority(which, who, nice): the value clamped to -20..=19, applied to
/// each target; the result is Linux's: ESRCH with no target, else the last
/// target's error (EPERM, EACCES) or 0.
pub fn setpriority(p: &mut Task, which: i32, who: i32, nice: i32) -> SysResult {
    let nice = nice.clamp(schedattr::MIN_NICE, schedattr::MAX_NICE);
    let targets = prio_targets(p, which, who)?;
    let mut result = Err(Errno::ESRCH);
    for (proc, thread) in targets {
        match change_attr(p, &proc, &thread, |a, t| a.setpriority(&p.cred, t, nice)) {
            Ok(()) => {
                if result == Err(Errno::ESRCH) {
                    result = Ok(0);
                }
            }
            Err(e) => result = Err(e),
        }
    }
    result
}
