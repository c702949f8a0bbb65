//! fork, vfork and clone: new processes (copy-on-write memory, a copy of the
//! descriptor table) and new threads (shared memory and descriptors).

use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use errno::{Errno, KResult};
use linux_abi::flags::CloneFlags;
use linux_abi::signal::Signal;
use linux_abi::UserPtr;

use super::{new_process, Task};
use crate::arch::usermode::{FpuState, TrapFrame};
use crate::sched;

const CLONE_VM: u64 = CloneFlags::CLONE_VM.bits();
const CLONE_FILES: u64 = CloneFlags::CLONE_FILES.bits();
const CLONE_SIGHAND: u64 = CloneFlags::CLONE_SIGHAND.bits();
const CLONE_VFORK: u64 = CloneFlags::CLONE_VFORK.bits();
const CLONE_PARENT: u64 = CloneFlags::CLONE_PARENT.bits();
const CLONE_THREAD: u64 = CloneFlags::CLONE_THREAD.bits();
const CLONE_SETTLS: u64 = CloneFlags::CLONE_SETTLS.bits();
const CLONE_PARENT_SETTID: u64 = CloneFlags::CLONE_PARENT_SETTID.bits();
const CLONE_CHILD_CLEARTID: u64 = CloneFlags::CLONE_CHILD_CLEARTID.bits();
const CLONE_CHILD_SETTID: u64 = CloneFlags::CLONE_CHILD_SETTID.bits();
/// Namespace flags we do not offer to Linux programs.
const CLONE_NEW_ANY: u64 = CloneFlags::CLONE_NEWNS.bits()
    | CloneFlags::CLONE_NEWCGROUP.bits()
    | CloneFlags::CLONE_NEWUTS.bits()
    | CloneFlags::CLONE_NEWIPC.bits()
    | CloneFlags::CLONE_NEWUSER.bits()
    | CloneFlags::CLONE_NEWPID.bits()
    | CloneFlags::CLONE_NEWNET.bits();

/// What clone(2) and clone3(2) give: the flags with the exit signal in the
/// low byte, the new stack top (0: the caller's), the tid words, the TLS.
pub struct CloneArgs {
    pub flags: u64,
    pub stack: u64,
    pub parent_tid: UserPtr<u32>,
    pub child_tid: UserPtr<u32>,
    pub tls: u64,
}

/// Creates the child; returns its tid as the parent sees it.
pub fn clone(t: &mut Task, frame: &TrapFrame, a: CloneArgs) -> KResult<usize> {
    let f = a.flags;
    if f & CLONE_THREAD != 0 && f & (CLONE_VM | CLONE_SIGHAND) != (CLONE_VM | CLONE_SIGHAND) {
        return Err(Errno::EINVAL);
    }
    if f & CLONE_SIGHAND != 0 && f & CLONE_VM == 0 {
        return Err(Errno::EINVAL);
    }
    if f & CLONE_NEW_ANY != 0 {
        return Err(Errno::EPERM);
    }
    let me = t.proc.clone();
    check_nproc(t)?;
    let space = if f & CLONE_VM != 0 { t.space.clone() } else { Arc::new(t.space.fork()?) };
    let files = if f & CLONE_FILES != 0 { t.files.clone() } else { Arc::new(t.files.duplicate()) };

    let (proc, tid) = if f & CLONE_THREAD != 0 {
        let pid = super::NEXT_PID.fetch_add(1, Ordering::Relaxed);
        let tid = me.ns.alloc(pid)?;
        me.ns.insert(tid, &me, t.cred.ruid);
        (me.clone(), tid)
    } else {
        let parent = if f & CLONE_PARENT != 0 { me.parent() } else { Some(me.clone()) };
        let pg = (me.pgid.load(Ordering::Acquire), me.sid.load(Ordering::Acquire));
        let rlimits = *me.rlimits.lock();
        let ids = super::Identity { cred: t.cred.clone(), rlimits, umask: t.umask, net_ns: me.net_ns };
        let child = new_process(&me.ns, me.container.clone(), &me.name.lock(), parent.as_ref(), Some(pg), me.signals.lock().clone(), &me.uts, me.abi, ids)?;
        if parent.is_none() {
            child.autoreap.store(true, Ordering::Release);
        }
        *child.cmdline.lock() = me.cmdline.lock().clone();
        *child.exe.lock() = me.exe.lock().clone();
        *child.mm.lock() = Arc::downgrade(&space);
        for a in space.shm.lock().iter_mut() {
            a.set_pid(child.vpid);
        }
        *child.files.lock() = Arc::downgrade(&files);
        *child.cwd.lock() = me.cwd.lock().clone();
        child.dumpable.store(me.dumpable.load(Ordering::Relaxed), Ordering::Relaxed);
        child.thp_disable.store(me.thp_disable.load(Ordering::Relaxed), Ordering::Relaxed);
        let tid = child.vpid;
        (child, tid)
    };

    let mut child_frame = frame.clone();
    child_frame.rax = 0;
    if a.stack != 0 {
        child_frame.rsp = a.stack;
    }
    let task = Task {
        proc: proc.clone(),
        tid,
        space: space.clone(),
        files,
        cwd: t.cwd.clone(),
        vfs: t.vfs.clone(),
        cred: t.cred.clone(),
        umask: t.umask,
        fs_base: if f & CLONE_SETTLS != 0 { a.tls } else { t.fs_base },
        clear_child_tid: if f & CLONE_CHILD_CLEARTID != 0 { a.child_tid } else { UserPtr::null() },
        robust_list: UserPtr::null(),
        altstack: if f & CLONE_VM != 0 && f & CLONE_VFORK == 0 { linux_abi::signal::AltStack::DISABLED } else { t.altstack },
        trap: t.trap,
        // A thread sharing the memory registers its own area; a process copy keeps the parent's.
        rseq: if f & CLONE_VM != 0 { super::rseq::Rseq::default() } else { t.rseq.on_fork() },
        timer_slack_ns: (t.timer_slack_ns.0, t.timer_slack_ns.0),
    };
    // The child exists from here on: nothing may fail any more (an error
    // would leave a process that never runs and is never reaped). As on
    // Linux, a bad address for the tid stores is ignored.
    if f & CLONE_PARENT_SETTID != 0 {
        let _ = t.space.write(a.parent_tid, &tid);
    }
    if f & CLONE_CHILD_SETTID != 0 {
        let _ = space.write(a.child_tid, &tid);
    }
    let mut fpu = FpuState::initial();
    fpu.save();
    let me_thread = sched::current();
    let name = proc.name.lock().clone();
    let thread = sched::spawn_user(&name, &child_frame, task, Some(&fpu), Some(proc.clone()));
    thread.sig_mask.store(me_thread.sig_mask.load(Ordering::Acquire), Ordering::Release);
    thread.group.store(me_thread.group.load(Ordering::Relaxed), Ordering::Relaxed);
    super::seccomp::inherit(&me_thread, &thread);
    let attr = me_thread.sched_attr.lock().on_fork();
    thread.set_sched_attr(attr);
    *thread.affinity.lock() = me_thread.affinity.lock().clone();
    proc.threads.lock().push((tid, Arc::downgrade(&thread)));

    if f & CLONE_VFORK != 0 {
        // The parent sleeps until the child execs or exits (it shares our
        // memory), or until the parent is killed (Linux's killable wait: a
        // stopped child must not make its parent unkillable).
        proc.vfork_pending.store(true, Ordering::Release);
        proc.state_event.wait_for(|| {
            let done = !proc.vfork_pending.load(Ordering::Acquire) || proc.is_zombie();
            (done || me_thread.killed.load(Ordering::Acquire)).then_some(())
        });
    }
    Ok(tid as usize)
}

/// RLIMIT_NPROC: `EAGAIN` once the caller's real uid runs as many
/// processes and threads as its soft limit allows, unless it is uid 0 or
/// has `CAP_SYS_RESOURCE` or `CAP_SYS_ADMIN` (as Linux's copy_process).
/// Counted within the caller's PID namespace (its container).
fn check_nproc(t: &Task) -> KResult<()> {
    let limit = t.rlimit(creds::Resource::NPROC);
    let uid = t.cred.ruid;
    let exempt = uid == 0 || t.cred.capable(creds::Cap::SYS_RESOURCE) || t.cred.capable(creds::Cap::SYS_ADMIN);
    if !exempt && u64::from(t.proc.ns.user_count(uid)) >= limit {
        return Err(Errno::EAGAIN);
    }
    Ok(())
}

/// fork(): a copy-on-write child process.
pub fn fork(t: &mut Task, frame: &TrapFrame) -> KResult<usize> {
    let flags = u64::from(Signal::SIGCHLD.number());
    clone(t, frame, CloneArgs { flags, stack: 0, parent_tid: UserPtr::null(), child_tid: UserPtr::null(), tls: 0 })
}

/// vfork(): the child borrows our memory until it execs or exits.
pub fn vfork(t: &mut Task, frame: &TrapFrame) -> KResult<usize> {
    let flags = CLONE_VM | CLONE_VFORK | u64::from(Signal::SIGCHLD.number());
    clone(t, frame, CloneArgs { flags, stack: 0, parent_tid: UserPtr::null(), child_tid: UserPtr::null(), tls: 0 })
}
