//! Ending threads and processes, job-control stops, and collecting children
//! (wait4/waitid).
//!
//! A process ends when its last thread ends. Its status is fixed by the first
//! cause (exit_group code or killing signal). Then its children go to the
//! namespace's init (or to the kernel, which reaps them), it becomes a zombie,
//! and its parent gets SIGCHLD and a wake-up; a kernel-owned process wakes
//! whoever waits in [`super::wait_exit`]. A container's init ending kills the
//! rest of its namespace, as on Linux.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;
use errno::{Errno, KResult};

use linux_abi::flags::{wait_status_stopped, WaitOptions, WAIT_STATUS_CONTINUED};
use linux_abi::signal::ChildStatus;

use super::signal::{self, Signal};
use super::{ProcState, Process};
use crate::sched::{self, wait::Interrupted};

/// Notified when any process exits (the host agent's poll watches it).
pub static EXITS: spin::LazyLock<crate::file::Pollee> = spin::LazyLock::new(crate::file::Pollee::new);

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    /// Killed by a signal (and whether it dumped core).
    Signaled(u8, bool),
}

impl ExitStatus {
    /// As the parent sees it (wait status, SIGCHLD's siginfo).
    pub fn child_status(self) -> ChildStatus {
        match self {
            ExitStatus::Exited(code) => ChildStatus::Exited(code as u8),
            ExitStatus::Signaled(sig, core) => match Signal::new(i32::from(sig)) {
                Some(signal) => ChildStatus::Killed { signal, core },
                None => ChildStatus::Exited(0),
            },
        }
    }

    /// The wait status word (as wait4 stores it).
    pub fn wait_status(self) -> u32 {
        self.child_status().wait_status() as u32
    }

    /// The shell's `$?` for it.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => code & 0xff,
            ExitStatus::Signaled(sig, _) => 128 + i32::from(sig),
        }
    }
}

/// A stop or continue a parent has not collected yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    Stopped(u8),
    Continued,
}

/// Records `status` as the process's end if it is the first cause.
pub fn begin_exit(p: &Process, status: ExitStatus) {
    if !p.exiting.swap(true, Ordering::AcqRel) {
        *p.exit_status.lock() = Some(status);
    }
}

/// exit_group / a fatal signal: every thread of the running process ends.
pub fn exit_group(status: ExitStatus) -> ! {
    if let Some(p) = super::current_process() {
        begin_exit(&p, status);
        let me = sched::current_id();
        for t in p.live_threads() {
            if t.id != me {
                t.killed.store(true, Ordering::Release);
                sched::wake(&t);
            }
        }
    }
    exit_thread(None)
}

/// Ends the running thread (`exit`). The last thread ends the process, with
/// `code` if nothing else decided its status.
pub fn exit_thread(code: Option<i32>) -> ! {
    let thread = sched::current();
    let task = sched::take_task();
    let Some(task) = task else {
        drop(thread);
        sched::exit_current()
    };
    let p = task.proc.clone();
    if !task.clear_child_tid.is_null() {
        // CLONE_CHILD_CLEARTID: zero the tid word and wake a joiner.
        if task.space.write(task.clear_child_tid, &0u32).is_ok() {
            let _ = super::futex::wake(&task.space, task.clear_child_tid, 1);
        }
    }
    p.dead_ticks.fetch_add(thread.ticks.load(Ordering::Relaxed), Ordering::Relaxed);
    let last = {
        let mut threads = p.threads.lock();
        threads.retain(|(_, t)| t.upgrade().is_some_and(|t| t.id != thread.id && !t.is_dead()));
        threads.is_empty()
    };
    if last {
        begin_exit(&p, super::ExitStatus::Exited(code.unwrap_or(0)));
    }
    // A thread's own id (not the process's) is free once it ends, also when
    // the whole process is ending (else it would hold a slot of the
    // namespace, counted against its pids limit, forever).
    if task.tid != p.vpid {
        p.ns.remove(task.tid);
    }
    drop(thread);
    crate::mm::user::activate_kernel_table();
    drop(task); // memory and descriptors (pipe ends wake their peers)
    if last {
        finish(&p);
    }
    drop(p);
    sched::exit_current()
}

/// The process's last thread is gone: hand over children, become a zombie,
/// tell the parent.
fn finish(p: &Arc<Process>) {
    crate::abi::linux::locks::process_ended(p.pid);
    crate::abi::linux::ipc::exit_sem(p);
    super::timer::cancel(p);
    let status = p.exit_status.lock().unwrap_or(ExitStatus::Exited(0));
    let children: Vec<Arc<Process>> = core::mem::take(&mut *p.children.lock());
    let child_groups: Vec<u32> = children.iter().map(|c| c.pgid.load(Ordering::Acquire)).collect();
    let is_ns_init = p.vpid == 1 && !p.ns.is_host();
    if is_ns_init {
        // PID 1 of a namespace gone: everyone else in it dies (Linux does the same).
        for other in p.ns.processes() {
            if !Arc::ptr_eq(&other, p) {
                signal::send_to_process(&other, Signal::SIGKILL);
            }
        }
    }
    let reaper = if is_ns_init { None } else { new_reaper(p) };
    for child in children {
        // PR_SET_PDEATHSIG: the child learns that its parent is gone.
        if let Some(sig) = Signal::new(child.pdeath_signal.load(Ordering::Relaxed) as i32) {
            if !child.is_zombie() {
                signal::send_to_process(&child, sig);
            }
        }
        match &reaper {
            Some(r) => {
                *child.parent.lock() = Some(Arc::downgrade(r));
                let zombie = child.exit_status();
                r.children.lock().push(child.clone());
                if let Some(status) = zombie {
                    // An already dead child is reported to its new parent.
                    if signal::reaps_children(r) {
                        reap(&child);
                    } else {
                        signal::notify_parent(r, child.vpid, status.child_status(), child.cpu_ticks());
                    }
                    r.child_event.wake_all();
                }
            }
            None => {
                *child.parent.lock() = None;
                child.autoreap.store(true, Ordering::Release);
                if child.is_zombie() {
                    reap(&child);
                }
            }
        }
    }
    *p.state.lock() = ProcState::Zombie(status);
    p.state_event.wake_all();
    p.exit_pollee.notify(crate::file::ev::IN | crate::file::ev::RDNORM);
    // A host-world agent polls for exits together with its descriptors.
    EXITS.notify(0);
    // Groups this exit may have orphaned: its own and its children's.
    let own = p.pgid.load(Ordering::Acquire);
    hangup_orphaned(&p.ns, own);
    for g in child_groups {
        if g != own {
            hangup_orphaned(&p.ns, g);
        }
    }
    match p.parent() {
        Some(parent) => {
            if signal::reaps_children(&parent) {
                reap(p);
            } else {
                signal::notify_parent(&parent, p.vpid, status.child_status(), p.cpu_ticks());
            }
            parent.child_event.wake_all();
        }
        None => {
            if p.autoreap.load(Ordering::Acquire) {
                reap(p);
            }
        }
    }
}

/// Who adopts the children of `p` (Linux's `find_new_reaper`): the nearest
/// living ancestor in its namespace that is a child subreaper
/// (PR_SET_CHILD_SUBREAPER), else the namespace's init; None on the host,
/// which has no init (the kernel reaps them).
fn new_reaper(p: &Arc<Process>) -> Option<Arc<Process>> {
    let mut up = p.parent();
    while let Some(a) = up {
        if !Arc::ptr_eq(&a.ns, &p.ns) {
            break;
        }
        if a.child_subreaper.load(Ordering::Acquire) && !a.is_zombie() && !a.exiting.load(Ordering::Acquire) {
            return Some(a);
        }
        up = a.parent();
    }
    p.ns.get(1).filter(|r| !r.is_zombie() && !p.ns.is_host())
}

/// POSIX: a group is orphaned if no live member has a parent in another
/// group of the same session (nobody could continue it).
pub fn orphaned(members: &[Arc<Process>], pgid: u32) -> bool {
    !members.iter().filter(|p| !p.is_zombie()).any(|p| {
        p.parent().is_some_and(|q| {
            !q.is_zombie() && q.pgid.load(Ordering::Acquire) != pgid && q.sid.load(Ordering::Acquire) == p.sid.load(Ordering::Acquire)
        })
    })
}

/// Linux's kill_orphaned_pgrp: a group that this exit left orphaned and
/// that has a stopped member gets SIGHUP then SIGCONT (else nobody could
/// ever continue it).
fn hangup_orphaned(ns: &Arc<super::PidNs>, pgid: u32) {
    let members: Vec<Arc<Process>> =
        ns.group(pgid).into_iter().filter(|q| !q.is_zombie()).collect();
    if members.iter().any(|q| q.stopped.load(Ordering::Acquire)) && orphaned(&members, pgid) {
        for q in &members {
            signal::send_to_process(q, Signal::SIGHUP);
            signal::send_to_process(q, Signal::SIGCONT);
        }
    }
}

/// Removes a zombie from every table (its status has been collected).
pub fn reap(p: &Arc<Process>) {
    p.ns.remove(p.vpid);
    super::PROCS.lock().remove(&p.pid);
    if let Some(parent) = p.parent() {
        parent.children.lock().retain(|c| !Arc::ptr_eq(c, p));
        parent.child_ticks.fetch_add(p.cpu_ticks(), Ordering::Relaxed);
    }
}

/// Stops the process (SIGSTOP/SIGTSTP default action) and reports to the parent.
pub fn stop_process(p: &Arc<Process>, sig: Signal) {
    if p.stopped.swap(true, Ordering::AcqRel) {
        return;
    }
    *p.report.lock() = Some(Report::Stopped(sig.number()));
    if let Some(parent) = p.parent() {
        if !signal::no_child_stop(&parent) {
            signal::notify_parent(&parent, p.vpid, ChildStatus::Stopped(sig), p.cpu_ticks());
        }
        parent.child_event.wake_all();
    }
    p.state_event.wake_all();
    for t in p.live_threads() {
        sched::wake(&t);
    }
}

/// SIGCONT: a stopped process runs again.
pub fn continue_process(p: &Arc<Process>) {
    if !p.stopped.swap(false, Ordering::AcqRel) {
        return;
    }
    *p.report.lock() = Some(Report::Continued);
    if let Some(parent) = p.parent() {
        parent.child_event.wake_all();
    }
    p.state_event.wake_all();
}

/// The running thread of a stopped process waits until it continues or dies.
pub fn stop_current(p: &Arc<Process>) {
    let t = sched::current();
    p.state_event.wait_for(|| {
        (!p.stopped.load(Ordering::Acquire) || t.killed.load(Ordering::Acquire)).then_some(())
    });
}

/// Which children a wait accepts (wait4's pid argument).
#[derive(Clone, Copy)]
pub enum Which {
    Any,
    Pid(u32),
    Group(u32),
}

/// What wait4 found: (vpid, wait status word, CPU ticks).
pub type Found = (u32, u32, u64);

/// Waits for a child of `me` to change state.
pub fn wait_child(me: &Arc<Process>, which: Which, options: WaitOptions) -> KResult<Option<Found>> {
    let result = me.child_event.wait_interruptible(
        || {
            let children = me.children.lock().clone();
            let matching: Vec<&Arc<Process>> = children
                .iter()
                .filter(|c| match which {
                    Which::Any => true,
                    Which::Pid(v) => c.vpid == v,
                    Which::Group(g) => c.pgid.load(Ordering::Acquire) == g,
                })
                .collect();
            if matching.is_empty() {
                return Some(Err(Errno::ECHILD));
            }
            for c in &matching {
                if let Some(status) = c.exit_status() {
                    let ticks = c.cpu_ticks();
                    if !options.contains(WaitOptions::WNOWAIT) {
                        reap(c);
                    }
                    return Some(Ok(Some((c.vpid, status.wait_status(), ticks))));
                }
                let mut report = c.report.lock();
                match *report {
                    Some(Report::Stopped(sig)) if options.contains(WaitOptions::WUNTRACED) => {
                        *report = None;
                        return Some(Ok(Some((c.vpid, wait_status_stopped(sig) as u32, 0))));
                    }
                    Some(Report::Continued) if options.contains(WaitOptions::WCONTINUED) => {
                        *report = None;
                        return Some(Ok(Some((c.vpid, WAIT_STATUS_CONTINUED as u32, 0))));
                    }
                    _ => {}
                }
            }
            if options.contains(WaitOptions::WNOHANG) {
                return Some(Ok(None));
            }
            None
        },
        None,
    );
    result.map_err(Interrupted::errno)?
}
