//! seccomp(2), prctl(PR_SET_SECCOMP/PR_GET_SECCOMP), and the check every
//! Linux syscall passes before dispatch ([`entry`]), with Linux's
//! outcomes: ERRNO skips the call with `-data`; TRAP skips it and forces
//! SIGSYS (`SYS_SECCOMP`, the call's address, number and arch, the data in
//! `si_errno`), `rax` holding the number again as after Linux's rollback;
//! KILL_PROCESS, and KILL_THREAD of a process's last thread, end the
//! process as SIGSYS with a core dump would; KILL_THREAD of one of several
//! threads ends that thread; TRACE with no tracer and USER_NOTIF with no
//! listener (Cyrius has neither) are ENOSYS; LOG logs and runs the call.
//! Strict mode allows read, write, exit and rt_sigreturn and kills the
//! thread with SIGKILL on anything else (the process, when it is the last).

use core::sync::atomic::{AtomicBool, Ordering};

use errno::Errno;
use linux_abi::signal::{Siginfo, Signal};
use seccomp::action::{action_available, strict_allows, Action};
use seccomp::compile::{
    SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_TSYNC,
    SECCOMP_FILTER_FLAG_TSYNC_ESRCH, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
};
use linux_abi::UserPtr;
use seccomp::{bpf, Program, SeccompData};

use super::SysResult;
use crate::abi::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::sched::{self, Thread};
use crate::task::seccomp::{self as state, MODE_DISABLED, MODE_FILTER, MODE_STRICT};
use crate::task::{ExitStatus, Task};

const SECCOMP_SET_MODE_STRICT: u64 = 0;
const SECCOMP_SET_MODE_FILTER: u64 = 1;
const SECCOMP_GET_ACTION_AVAIL: u64 = 2;
const SECCOMP_GET_NOTIF_SIZES: u64 = 3;
/// `si_code` of a seccomp SIGSYS.
const SYS_SECCOMP: i32 = 1;

/// Checks the running thread's mode and filters for the call in `frame`.
/// `None`: dispatch it; `Some`: what happens instead.
pub fn entry(t: &mut Task, frame: &mut TrapFrame) -> Option<Outcome> {
    let mode = sched::with_current(|th| th.seccomp.mode())?;
    match mode {
        MODE_DISABLED => None,
        MODE_STRICT if strict_allows(frame.nr()) => None,
        MODE_STRICT => {
            // Linux's do_exit(SIGKILL): this thread; the process if it is the last.
            state::log_action(format_args!("pid {} killed in strict mode by syscall {}", t.pid(), frame.nr()));
            if t.proc.live_threads().len() <= 1 {
                Some(kill(ExitStatus::Signaled(Signal::SIGKILL.number(), false)))
            } else {
                Some(Outcome::ExitThread(i32::from(Signal::SIGKILL.number())))
            }
        }
        _ => filter(t, frame),
    }
}

fn filter(t: &mut Task, frame: &mut TrapFrame) -> Option<Outcome> {
    let nr = frame.nr();
    let data = SeccompData::x86_64(nr as i32, frame.args(), frame.rip);
    let verdict = sched::with_current(|th| th.seccomp.evaluate(&data))?;
    let action = verdict.action();
    let name = || usize::try_from(nr).ok().and_then(linux_abi::sysno::name).unwrap_or("?");
    match action {
        Action::Allow => None,
        Action::Log => {
            state::log_action(format_args!("pid {} syscall {nr} ({}) logged", t.pid(), name()));
            None
        }
        Action::Errno(e) => {
            if verdict.log {
                state::log_action(format_args!("pid {} syscall {nr} ({}) errno {e}", t.pid(), name()));
            }
            // The raw value: ERRNO(0) "succeeds" with 0, unknown numbers pass through.
            frame.rax = (-i64::from(e)) as u64;
            // A filter's answer is final: never restarted like an interrupted call.
            frame.orig_rax = u64::MAX;
            Some(Outcome::Replaced)
        }
        Action::Trace(_) | Action::UserNotif => {
            // No tracer / no listener: Linux answers ENOSYS.
            Some(Outcome::Return(Err(Errno::ENOSYS)))
        }
        Action::Trap(d) => {
            if verdict.log {
                state::log_action(format_args!("pid {} syscall {nr} ({}) trapped", t.pid(), name()));
            }
            frame.rax = nr;
            let mut info = Siginfo::fault(Signal::SIGSYS, SYS_SECCOMP, frame.rip);
            info.si_errno = i32::from(d);
            info.fields[8..12].copy_from_slice(&(nr as i32).to_le_bytes());
            info.fields[12..16].copy_from_slice(&seccomp::AUDIT_ARCH_X86_64.to_le_bytes());
            crate::task::signal::force(info);
            Some(Outcome::Replaced)
        }
        Action::KillThread | Action::KillProcess => {
            state::log_action(format_args!("pid {} killed by syscall {nr} ({})", t.pid(), name()));
            let whole = action == Action::KillProcess || t.proc.live_threads().len() <= 1;
            if whole {
                Some(kill(ExitStatus::Signaled(Signal::SIGSYS.number(), true)))
            } else {
                Some(Outcome::ExitThread(i32::from(Signal::SIGSYS.number())))
            }
        }
    }
}

/// The process ends with `status` (SIGKILL in strict mode, SIGSYS with a core dump).
fn kill(status: ExitStatus) -> Outcome {
    Outcome::Killed(status)
}

/// seccomp(unsigned int op, unsigned int flags, void *uargs).
pub fn seccomp(t: &mut Task, op: u32, flags: u32, uargs: u64) -> SysResult {
    let flags = u64::from(flags);
    match u64::from(op) {
        SECCOMP_SET_MODE_STRICT => {
            if flags != 0 || uargs != 0 {
                return Err(Errno::EINVAL);
            }
            set_strict()
        }
        SECCOMP_SET_MODE_FILTER => set_filter(t, flags, uargs),
        SECCOMP_GET_ACTION_AVAIL => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            let action = t.space.read(UserPtr::<u32>::new(uargs))?;
            if action_available(action) {
                Ok(0)
            } else {
                Err(Errno::EOPNOTSUPP)
            }
        }
        SECCOMP_GET_NOTIF_SIZES => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            // struct seccomp_notif (80), seccomp_notif_resp (24), seccomp_data (64).
            let sizes: [u16; 3] = [80, 24, 64];
            let mut out = [0u8; 6];
            for (i, s) in sizes.iter().enumerate() {
                out[i * 2..i * 2 + 2].copy_from_slice(&s.to_le_bytes());
            }
            t.space.copy_out(UserPtr::<[u8; 6]>::new(uargs).range()?, &out)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// prctl(PR_GET_SECCOMP): the mode.
pub fn prctl_get() -> SysResult {
    Ok(usize::from(sched::with_current(|th| th.seccomp.mode()).unwrap_or(MODE_DISABLED)))
}

/// prctl(PR_SET_SECCOMP, mode, filter): seccomp(2) without flags.
pub fn prctl_set(t: &mut Task, mode: u64, filter: u64) -> SysResult {
    match mode {
        1 => set_strict(),
        2 => set_filter(t, 0, filter),
        _ => Err(Errno::EINVAL),
    }
}

fn set_strict() -> SysResult {
    let th = sched::current();
    if !th.seccomp.may_assign(MODE_STRICT) {
        return Err(Errno::EINVAL);
    }
    th.seccomp.set(MODE_STRICT, th.seccomp.filters());
    Ok(0)
}

/// Whether the caller may attach a filter: Linux wants no_new_privs or
/// CAP_SYS_ADMIN (`EACCES` otherwise).
fn may_attach(t: &Task) -> bool {
    t.cred.no_new_privs || t.cred.capable(creds::Cap::SYS_ADMIN)
}

fn set_filter(t: &mut Task, flags: u64, uargs: u64) -> SysResult {
    const KNOWN: u64 = (SECCOMP_FILTER_FLAG_TSYNC
        | SECCOMP_FILTER_FLAG_LOG
        | SECCOMP_FILTER_FLAG_SPEC_ALLOW
        | SECCOMP_FILTER_FLAG_NEW_LISTENER
        | SECCOMP_FILTER_FLAG_TSYNC_ESRCH
        | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) as u64;
    let has = |f: u32| flags & u64::from(f) != 0;
    if flags & !KNOWN != 0 {
        return Err(Errno::EINVAL);
    }
    if has(SECCOMP_FILTER_FLAG_TSYNC) && has(SECCOMP_FILTER_FLAG_NEW_LISTENER) && !has(SECCOMP_FILTER_FLAG_TSYNC_ESRCH) {
        return Err(Errno::EINVAL);
    }
    if has(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !has(SECCOMP_FILTER_FLAG_NEW_LISTENER) {
        return Err(Errno::EINVAL);
    }
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    let fprog = UserPtr::<u16>::new(uargs);
    let len = usize::from(t.space.read(fprog)?);
    let ptr = t.space.read(fprog.field::<u64>(8)?)?;
    if len == 0 || len > bpf::BPF_MAXINSNS {
        return Err(Errno::EINVAL);
    }
    if !may_attach(t) {
        return Err(Errno::EACCES);
    }
    let mut bytes = alloc::vec![0u8; len * bpf::INSN_SIZE];
    t.space.copy_in(UserPtr::<[u8; bpf::INSN_SIZE]>::new(ptr).array(len)?, &mut bytes)?;
    let prog = Program::new(bpf::insns_from_bytes(&bytes)).map_err(|_| Errno::EINVAL)?;
    if has(SECCOMP_FILTER_FLAG_NEW_LISTENER) {
        // No user-notification listeners (yet): say so once, refuse as an old kernel would.
        static SAID: AtomicBool = AtomicBool::new(false);
        if !SAID.swap(true, Ordering::Relaxed) {
            log::warn!("seccomp: SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported: EINVAL");
        }
        return Err(Errno::EINVAL);
    }
    let me = sched::current();
    if !me.seccomp.may_assign(MODE_FILTER) {
        return Err(Errno::EINVAL);
    }
    let siblings: alloc::vec::Vec<alloc::sync::Arc<Thread>> =
        if has(SECCOMP_FILTER_FLAG_TSYNC) { t.proc.live_threads().into_iter().filter(|th| th.id != me.id).collect() } else { alloc::vec::Vec::new() };
    let mut stack = me.seccomp.filters();
    // TSYNC: every sibling must be unfiltered or on an ancestor of our stack.
    for th in &siblings {
        let mode = th.seccomp.mode();
        if mode == MODE_STRICT || (mode == MODE_FILTER && !stack.extends(&th.seccomp.filters())) {
            if has(SECCOMP_FILTER_FLAG_TSYNC_ESRCH) {
                return Err(Errno::ESRCH);
            }
            return Ok(tid_of(t, th) as usize);
        }
    }
    stack.push(prog, has(SECCOMP_FILTER_FLAG_LOG))?;
    state::install(&me, stack.clone())?;
    for th in &siblings {
        th.seccomp.set(MODE_FILTER, stack.clone());
    }
    Ok(0)
}

/// The thread id `th` has in the caller's namespace.
fn tid_of(t: &Task, th: &Thread) -> u32 {
    t.proc.threads.lock().iter().find(|(_, w)| w.upgrade().is_some_and(|x| x.id == th.id)).map_or(0, |(tid, _)| *tid)
}
