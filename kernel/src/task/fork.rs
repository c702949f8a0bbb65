//! fork, vfork and clone: new processes (copy-on-write memory, a copy of the
//! descriptor table) and new threads (shared memory and descriptors).

use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use errno::{Errno, KResult};

use super::{new_process, Task};
use crate::arch::usermode::{FpuState, TrapFrame};
use crate::sched;

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_PARENT: u64 = 0x8000;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;
/// Namespace flags we do not offer to Linux programs.
const CLONE_NEW_ANY: u64 = 0x7e02_0000;

pub struct CloneArgs {
    pub flags: u64,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
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
    let space = if f & CLONE_VM != 0 { t.space.clone() } else { Arc::new(t.space.fork()?) };
    let files = if f & CLONE_FILES != 0 { t.files.clone() } else { Arc::new(t.files.duplicate()) };

    let (proc, tid) = if f & CLONE_THREAD != 0 {
        let pid = super::NEXT_PID.fetch_add(1, Ordering::Relaxed);
        let tid = me.ns.alloc(pid)?;
        me.ns.insert(tid, &me);
        (me.clone(), tid)
    } else {
        let parent = if f & CLONE_PARENT != 0 { me.parent() } else { Some(me.clone()) };
        let pg = (me.pgid.load(Ordering::Acquire), me.sid.load(Ordering::Acquire));
        let child = new_process(&me.ns, me.container.clone(), &me.name.lock(), parent.as_ref(), Some(pg), me.signals.lock().clone(), &me.uts, me.abi)?;
        if parent.is_none() {
            child.autoreap.store(true, Ordering::Release);
        }
        *child.cmdline.lock() = me.cmdline.lock().clone();
        *child.exe.lock() = me.exe.lock().clone();
        *child.mm.lock() = Arc::downgrade(&space);
        *child.files.lock() = Arc::downgrade(&files);
        *child.cwd.lock() = me.cwd.lock().clone();
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
        clear_child_tid: if f & CLONE_CHILD_CLEARTID != 0 { a.child_tid } else { 0 },
        robust_list: 0,
        altstack: if f & CLONE_VM != 0 && f & CLONE_VFORK == 0 { linux_abi::signal::AltStack::DISABLED } else { t.altstack },
        trap: t.trap,
    };
    // The child exists from here on: nothing may fail any more (an error
    // would leave a process that never runs and is never reaped). As on
    // Linux, a bad address for the tid stores is ignored.
    if f & CLONE_PARENT_SETTID != 0 {
        let _ = t.space.write_u32(a.parent_tid, tid);
    }
    if f & CLONE_CHILD_SETTID != 0 {
        let _ = space.write_u32(a.child_tid, tid);
    }
    let mut fpu = FpuState::initial();
    fpu.save();
    let me_thread = sched::current();
    let name = proc.name.lock().clone();
    let thread = sched::spawn_user(&name, &child_frame, task, Some(&fpu), Some(proc.clone()));
    thread.sig_mask.store(me_thread.sig_mask.load(Ordering::Acquire), Ordering::Release);
    thread.group.store(me_thread.group.load(Ordering::Relaxed), Ordering::Relaxed);
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

/// fork(): a copy-on-write child process.
pub fn fork(t: &mut Task, frame: &TrapFrame) -> KResult<usize> {
    clone(t, frame, CloneArgs { flags: 17, stack: 0, parent_tid: 0, child_tid: 0, tls: 0 })
}

/// vfork(): the child borrows our memory until it execs or exits.
pub fn vfork(t: &mut Task, frame: &TrapFrame) -> KResult<usize> {
    clone(t, frame, CloneArgs { flags: CLONE_VM | CLONE_VFORK | 17, stack: 0, parent_tid: 0, child_tid: 0, tls: 0 })
}
