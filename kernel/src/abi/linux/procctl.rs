//! Process and thread controls beyond names, seccomp and credentials:
//! the common prctl(2) options (parent-death signal, dumpable, child
//! subreaper, timer slack, the clear-tid address, THP, timing, VMA names),
//! membarrier(2) and rseq(2).
//! May call: `task` (process and thread state, `task::rseq`).

use core::sync::atomic::Ordering;
use errno::Errno;
use linux_abi::flags::{
    MEMBARRIER_CMD_FLAG_CPU, MEMBARRIER_CMD_GET_REGISTRATIONS, MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_GLOBAL_EXPEDITED,
    MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
    MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
    PR_GET_CHILD_SUBREAPER, PR_GET_DUMPABLE, PR_GET_PDEATHSIG, PR_GET_THP_DISABLE, PR_GET_TID_ADDRESS,
    PR_GET_TIMERSLACK, PR_GET_TIMING, PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_PDEATHSIG, PR_SET_THP_DISABLE,
    PR_SET_TIMERSLACK, PR_SET_TIMING, PR_SET_VMA, PR_TASK_PERF_EVENTS_DISABLE, PR_TASK_PERF_EVENTS_ENABLE,
    PR_TIMING_STATISTICAL, SUID_DUMP_DISABLE, SUID_DUMP_USER,
};
use linux_abi::UserPtr;

use super::SysResult;
use crate::task::Task;

/// The prctl options of this module (`None`: not one of them), with
/// Linux's argument checks. `a` holds arg2..arg5.
pub fn prctl(p: &mut Task, option: i32, a: [u64; 4]) -> Option<SysResult> {
    let [arg2, arg3, arg4, arg5] = a;
    Some(match option {
        PR_SET_PDEATHSIG => {
            if arg2 > u64::from(linux_abi::signal::NSIG) {
                return Some(Err(Errno::EINVAL));
            }
            p.proc.pdeath_signal.store(arg2 as u32, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let sig = p.proc.pdeath_signal.load(Ordering::Relaxed) as i32;
            p.space.write(UserPtr::<i32>::new(arg2), &sig).map(|_| 0)
        }
        PR_GET_DUMPABLE => Ok(p.proc.dumpable.load(Ordering::Relaxed) as usize),
        PR_SET_DUMPABLE => {
            if arg2 != SUID_DUMP_DISABLE && arg2 != SUID_DUMP_USER {
                return Some(Err(Errno::EINVAL));
            }
            p.proc.dumpable.store(arg2 as u32, Ordering::Relaxed);
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            p.proc.child_subreaper.store(arg2 != 0, Ordering::Release);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let on = i32::from(p.proc.child_subreaper.load(Ordering::Acquire));
            p.space.write(UserPtr::<i32>::new(arg2), &on).map(|_| 0)
        }
        PR_SET_TIMERSLACK => {
            // Real-time threads have no slack; the call changes nothing for them.
            if !schedattr::rt_policy(crate::sched::current().sched_attr.lock().policy()) {
                p.timer_slack_ns.0 = if arg2 == 0 { p.timer_slack_ns.1 } else { arg2 };
            }
            Ok(0)
        }
        PR_GET_TIMERSLACK => Ok(p.timer_slack_ns.0 as usize),
        PR_GET_TID_ADDRESS => {
            let addr = p.clear_child_tid.value();
            p.space.write(UserPtr::<u64>::new(arg2), &addr).map(|_| 0)
        }
        PR_SET_THP_DISABLE => {
            if arg3 | arg4 | arg5 != 0 {
                return Some(Err(Errno::EINVAL));
            }
            p.proc.thp_disable.store(arg2 != 0, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_THP_DISABLE => {
            if arg2 | arg3 | arg4 | arg5 != 0 {
                return Some(Err(Errno::EINVAL));
            }
            Ok(usize::from(p.proc.thp_disable.load(Ordering::Relaxed)))
        }
        PR_GET_TIMING => Ok(PR_TIMING_STATISTICAL),
        PR_SET_TIMING => {
            if arg2 != PR_TIMING_STATISTICAL as u64 {
                return Some(Err(Errno::EINVAL));
            }
            Ok(0)
        }
        // No performance counters exist to switch.
        PR_TASK_PERF_EVENTS_DISABLE | PR_TASK_PERF_EVENTS_ENABLE => Ok(0),
        // Anonymous mapping names are not kept: Linux without
        // CONFIG_ANON_VMA_NAME answers EINVAL.
        PR_SET_VMA => Err(Errno::EINVAL),
        _ => return None,
    })
}

/// Every command membarrier(2) offers (MEMBARRIER_CMD_QUERY's answer).
const MEMBARRIER_COMMANDS: i32 = MEMBARRIER_CMD_GLOBAL
    | MEMBARRIER_CMD_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
    | MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ
    | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ
    | MEMBARRIER_CMD_GET_REGISTRATIONS;

/// membarrier(cmd, flags, cpu_id). One CPU: while this thread runs no
/// other thread of any process is inside user code, and entering the
/// kernel is a full barrier, so every barrier is complete when the call
/// returns; the expedited RSEQ barrier's restart of critical sections
/// happens when those threads next return from a preemption (`task::rseq`).
/// Registrations belong to the memory: a fork keeps them, an exec starts without.
pub fn membarrier(p: &mut Task, cmd: i32, flags: u32, _cpu_id: i32) -> SysResult {
    let allowed = if cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ { MEMBARRIER_CMD_FLAG_CPU } else { 0 };
    if flags & !allowed != 0 {
        return Err(Errno::EINVAL);
    }
    let state = &p.space.membarrier;
    let registered = |bit: i32| state.load(Ordering::Acquire) & bit as u32 != 0;
    let need = |bit: i32| if registered(bit) { Ok(0) } else { Err(Errno::EPERM) };
    match cmd {
        MEMBARRIER_CMD_QUERY => Ok(MEMBARRIER_COMMANDS as usize),
        MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED => Ok(0),
        MEMBARRIER_CMD_PRIVATE_EXPEDITED => need(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED),
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE => need(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE),
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ => need(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ),
        MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ => {
            state.fetch_or(cmd as u32, Ordering::AcqRel);
            Ok(0)
        }
        MEMBARRIER_CMD_GET_REGISTRATIONS => Ok(state.load(Ordering::Acquire) as usize),
        _ => Err(Errno::EINVAL),
    }
}

/// rseq(rseq, rseq_len, flags, sig): registers or unregisters the calling
/// thread's area (`task::rseq`).
pub fn rseq(p: &mut Task, area: u64, len: u32, flags: i32, sig: u32) -> SysResult {
    crate::task::rseq::register(p, area, len, flags, sig).map(|_| 0)
}
