//! Signals: sending (kill, tgkill, sigqueue, the terminal, the kernel),
//! faults forced on the running thread, and delivery on the way back to
//! user mode. The types and pure rules are `linux_abi::signal`'s
//! (`Signal`, `Siginfo`, `SigActions`, `Pending`, `next_signal`); this
//! module adds the kernel state: a process's actions and pending set, each
//! thread's pending set and mask.
//!
//! Generation follows Linux: a signal whose disposition is "ignore" and
//! that the receiving thread does not block is discarded when sent; SIGKILL
//! kills at once; SIGCONT resumes a stopped process when sent and discards
//! pending stop signals (and a stop signal discards a pending SIGCONT).
//! Standard signals coalesce; real-time ones queue with their info, at most
//! `SIGQUEUE_MAX` entries per process. Delivery happens in
//! [`handle_pending`]: the thread's own signals before the process's, a
//! fault before anything else, then the lowest number.
//! May call: sched, task (exit, sigframe), arch (the trap frame).

use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use errno::{Errno, KResult};
use linux_abi::signal::{
    next_signal, ChildStatus, DefaultAction, Disposition, Handler, Pending, SaFlags, SigAction, SigSet, Siginfo, SIGQUEUE_MAX,
    SI_KERNEL, SI_USER,
};

pub use linux_abi::signal::Signal;

use super::exit::{self, ExitStatus};
use super::Process;
use crate::arch::usermode::TrapFrame;
use crate::sched::{self, Thread};

/// A pending set behind its lock: one per process (kill, sigqueue) and one
/// per thread (tgkill, faults).
pub struct PendingSignals(spin::Mutex<Pending>);

impl Default for PendingSignals {
    fn default() -> Self {
        PendingSignals::new()
    }
}

impl PendingSignals {
    pub const fn new() -> PendingSignals {
        PendingSignals(spin::Mutex::new(Pending::new()))
    }

    /// The signals pending here.
    pub fn set(&self) -> SigSet {
        self.0.lock().set()
    }

    fn queued(&self) -> usize {
        self.0.lock().queued()
    }

    fn take_next(&self, blocked: SigSet) -> Option<Siginfo> {
        let mut pending = self.0.lock();
        let signal = next_signal(pending.set(), blocked)?;
        pending.take(signal)
    }

    fn discard(&self, set: SigSet) {
        self.0.lock().discard(set);
    }
}

/// The blocked set of `t`.
pub fn blocked(t: &Thread) -> SigSet {
    SigSet(t.sig_mask.load(Ordering::Acquire))
}

/// Sets `t`'s blocked set (SIGKILL and SIGSTOP can never be blocked).
pub fn set_blocked(t: &Thread, set: SigSet) {
    t.sig_mask.store(set.blockable().0, Ordering::Release);
}

/// The set `t` waits for in rt_sigtimedwait (empty otherwise).
fn waiting(t: &Thread) -> SigSet {
    SigSet(t.sig_waiting.load(Ordering::Acquire))
}

/// True if `t` would take `signal` now: it does not block it, or it waits
/// for it in rt_sigtimedwait (Linux's `wants_signal`).
fn wants(t: &Thread, signal: Signal) -> bool {
    !blocked(t).contains(signal) || waiting(t).contains(signal)
}

/// Stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU), whatever their action.
fn is_stop(signal: Signal) -> bool {
    signal.default_action() == DefaultAction::Stop
}

const STOP_SIGNALS: SigSet = SigSet(
    Signal::SIGSTOP.mask() | Signal::SIGTSTP.mask() | Signal::SIGTTIN.mask() | Signal::SIGTTOU.mask(),
);

/// Drops `set` from the process's and every thread's pending sets.
fn discard_everywhere(p: &Process, set: SigSet) {
    p.sig_pending.discard(set);
    for t in p.live_threads() {
        t.sig_pending.discard(set);
    }
}

/// Queued entries held by `p` and its threads (the `SIGQUEUE_MAX` budget).
fn queued(p: &Process) -> usize {
    p.sig_pending.queued() + p.live_threads().iter().map(|t| t.sig_pending.queued()).sum::<usize>()
}

/// Generation (Linux's `send_signal_locked`): `info` for process `p`, or
/// for its thread `to`. Ok also when the signal is discarded; EAGAIN when a
/// real-time signal finds the queue full.
fn send(p: &Arc<Process>, to: Option<&Arc<Thread>>, info: Siginfo) -> KResult<()> {
    let signal = Signal::new(info.si_signo).ok_or(Errno::EINVAL)?;
    if p.is_zombie() || p.exiting.load(Ordering::Acquire) || init_ignores(p, signal) {
        return Ok(());
    }
    if signal == Signal::SIGKILL {
        kill_process(p, ExitStatus::Signaled(signal.number(), false));
        return Ok(());
    }
    if signal == Signal::SIGCONT {
        discard_everywhere(p, STOP_SIGNALS);
        exit::continue_process(p);
    } else if is_stop(signal) {
        discard_everywhere(p, SigSet::EMPTY.with(Signal::SIGCONT));
    }
    // Linux checks the thread the signal is sent to; for a process, its leader.
    let leader = p.live_threads().into_iter().next();
    let receiver = to.or(leader.as_ref());
    let is_blocked = receiver.is_some_and(|t| blocked(t).union(waiting(t)).contains(signal));
    let disposition = p.signals.lock().disposition(signal);
    if !is_blocked && matches!(disposition, Disposition::Ignore | Disposition::Continue) {
        return Ok(());
    }
    let room = queued(p) < SIGQUEUE_MAX;
    match to {
        Some(t) => {
            t.sig_pending.0.lock().send(info, room)?;
            sched::wake(t);
        }
        None => {
            p.sig_pending.0.lock().send(info, room)?;
            // Wake a thread that does not block it (if all do, it stays pending).
            if let Some(t) = p.live_threads().into_iter().find(|t| wants(t, signal)) {
                sched::wake(&t);
            }
        }
    }
    // signalfd readers and pollers (Linux's `signalfd_notify`).
    p.sig_pollee.notify(crate::file::ev::IN | crate::file::ev::RDNORM);
    Ok(())
}

/// Linux's SIGNAL_UNKILLABLE: a PID namespace's init gets only the signals
/// it catches, plus SIGKILL and SIGSTOP when they come from outside its
/// namespace (the runtime, the host); whatever the sender (kill, tgkill,
/// sigqueue, the terminal, an orphaned group's SIGHUP, its own SIGPIPE).
/// CPU faults do not come this way (`force`).
fn init_ignores(p: &Arc<Process>, signal: Signal) -> bool {
    if p.vpid != 1 || p.ns.is_host() || p.signals.lock().catches(signal) {
        return false;
    }
    let from_inside = sched::current().process.as_ref().is_some_and(|q| Arc::ptr_eq(&q.ns, &p.ns));
    from_inside || !(signal == Signal::SIGKILL || signal == Signal::SIGSTOP)
}

/// Linux's `check_kill_permission` for a signal (`None`: the kill(pid, 0)
/// probe) a user process sends: to its own process, or to one whose real
/// or saved uid is its real or effective uid, or with `CAP_KILL`; SIGCONT
/// also within its session. `EPERM` otherwise.
pub fn check_permission(sender: &super::Task, target: &Process, signal: Option<Signal>) -> KResult<()> {
    if core::ptr::eq(&*sender.proc, target) || creds::policy::may_signal(&sender.cred, &target.cred.lock()) {
        return Ok(());
    }
    let same_session = Arc::ptr_eq(&sender.proc.ns, &target.ns)
        && sender.proc.sid.load(Ordering::Acquire) == target.sid.load(Ordering::Acquire);
    if signal == Some(Signal::SIGCONT) && same_session {
        return Ok(());
    }
    Err(Errno::EPERM)
}

/// Sends `signal` to process `p` from the kernel (SI_KERNEL): the
/// terminal, timers, the shell's and the runtime's kill.
pub fn send_to_process(p: &Arc<Process>, signal: Signal) {
    let _ = send(p, None, Siginfo::new(signal, SI_KERNEL));
}

/// Sends `info` to process `p` (kill, sigqueue, SIGCHLD).
pub fn send_info_to_process(p: &Arc<Process>, info: Siginfo) -> KResult<()> {
    send(p, None, info)
}

/// Sends `info` to one thread (tgkill, rt_tgsigqueueinfo).
pub fn send_info_to_thread(t: &Arc<Thread>, info: Siginfo) -> KResult<()> {
    match t.process.clone() {
        Some(p) => send(&p, Some(t), info),
        None => Ok(()),
    }
}

/// A signal the kernel raises against the running thread (SIGPIPE):
/// SI_USER from the thread's own process, as Linux's `send_sig` does.
pub fn send_to_current(signal: Signal) {
    let t = sched::current();
    let pid = t.process.as_ref().map_or(0, |p| p.vpid as i32);
    let uid = sched::with_task(|task| task.cred.ruid).unwrap_or(0);
    let _ = send_info_to_thread(&t, Siginfo::kill(signal, SI_USER, pid, uid));
}

/// A signal the running thread cannot refuse (a CPU fault, a frame that
/// cannot be written): Linux's `force_sig_info`. If the thread blocks it or
/// the process ignores it, it goes back to SIG_DFL and is unblocked. Returns
/// the action it will be delivered with.
pub fn force(info: Siginfo) -> SigAction {
    let t = sched::current();
    let (Some(p), Some(signal)) = (t.process.clone(), Signal::new(info.si_signo)) else {
        return SigAction::DEFAULT;
    };
    let is_blocked = blocked(&t).contains(signal);
    let action = p.signals.lock().force(signal, is_blocked);
    if is_blocked {
        set_blocked(&t, blocked(&t).without(signal));
    }
    let _ = t.sig_pending.0.lock().send(info, true);
    action
}

/// SIGKILL semantics: every thread dies at its next chance, now-blocked ones
/// are woken; the process's status is `status`.
pub fn kill_process(p: &Arc<Process>, status: ExitStatus) {
    exit::begin_exit(p, status);
    p.stopped.store(false, Ordering::Release);
    p.state_event.wake_all();
    for t in p.live_threads() {
        t.killed.store(true, Ordering::Release);
        sched::wake(&t);
    }
}

/// The signals pending for the running thread: its own and its process's
/// (rt_sigpending reports them intersected with the blocked set).
pub fn pending_of(t: &Thread) -> SigSet {
    let shared = t.process.as_ref().map_or(SigSet::EMPTY, |p| p.sig_pending.set());
    t.sig_pending.set().union(shared)
}

/// True if the running thread's wait should end (signal or kill).
pub fn pending_for_current() -> bool {
    let t = sched::current();
    if t.killed.load(Ordering::Acquire) {
        return true;
    }
    match t.process.as_ref() {
        Some(p) => next_signal(pending_of(&t), blocked(&t)).is_some() || p.stopped.load(Ordering::Acquire),
        None => false,
    }
}

/// Takes the next deliverable signal: the thread's own first (Linux's
/// `dequeue_signal`), then the process's.
fn dequeue(t: &Thread, p: &Process, blocked: SigSet) -> Option<Siginfo> {
    t.sig_pending.take_next(blocked).or_else(|| p.sig_pending.take_next(blocked))
}

/// Takes a pending signal of `set` (blocked or not) for rt_sigtimedwait.
pub fn take_from_set(set: SigSet) -> Option<Siginfo> {
    let t = sched::current();
    let p = t.process.clone()?;
    dequeue(&t, &p, SigSet(!set.blockable().0))
}

/// Drops a pending `signal` everywhere in `p` (its action became "ignore").
pub fn discard(p: &Process, signal: Signal) {
    discard_everywhere(p, SigSet::EMPTY.with(signal));
}

/// rt_sigaction: installs `action` for `signal`, returns the old one.
/// Setting an action that ignores the signal discards it where pending.
pub fn set_action(p: &Process, signal: Signal, action: SigAction) -> SigAction {
    let old = p.signals.lock().set(signal, action);
    if matches!(action.disposition(signal), Disposition::Ignore | Disposition::Continue) {
        discard(p, signal);
    }
    old
}

/// Syscalls that are never restarted after a handler ran (Linux's
/// ERESTARTNOHAND and friends): the sleeps and the waits for events.
fn never_restarted(nr: u64) -> bool {
    matches!(nr, 7 | 23 | 34 | 35 | 130 | 230 | 232 | 270 | 271 | 281 | 128)
}

/// After an interrupted syscall: restart it (rewind to the `syscall`
/// instruction) if no handler ran, or the handler asked for SA_RESTART.
fn maybe_restart(frame: &mut TrapFrame, handler: Option<&SigAction>) {
    let eintr = Errno::EINTR.as_syscall_ret() as u64;
    if frame.orig_rax == u64::MAX || frame.rax != eintr {
        return;
    }
    // No handler ran (a stop and continue, an ignored signal): the call
    // goes on as if nothing happened. After a handler: only with SA_RESTART,
    // and never the sleeps and event waits.
    let restart = match handler {
        None => true,
        Some(a) => a.restarts_syscalls() && !never_restarted(frame.orig_rax),
    };
    if restart {
        frame.rax = frame.orig_rax;
        frame.rip -= 2;
        frame.orig_rax = u64::MAX;
    }
}

/// Handles what is pending for the running thread before it returns to
/// user mode with `frame`. Returns true if it should look again.
/// Does not return if the thread or process dies.
pub fn handle_pending(frame: &mut TrapFrame) -> bool {
    // The thread ends only after `next_pending` returned, so no reference it
    // held (the process, the thread) is kept alive by a frame that never
    // returns: an `Arc` left on this stack would leak the process.
    match next_pending(frame) {
        Next::Handled(again) => again,
        Next::Killed => exit::exit_thread(None),
        Next::Terminate(status) => exit::exit_group(status),
    }
}

/// What [`next_pending`] decided.
enum Next {
    /// Delivered, ignored or stopped (true), or nothing pending (false).
    Handled(bool),
    /// The thread was killed.
    Killed,
    /// The process dies of a signal.
    Terminate(ExitStatus),
}

fn next_pending(frame: &mut TrapFrame) -> Next {
    let t = sched::current();
    let Some(p) = t.process.clone() else { return Next::Handled(false) };
    if t.killed.load(Ordering::Acquire) {
        return Next::Killed;
    }
    if p.stopped.load(Ordering::Acquire) {
        drop(t);
        exit::stop_current(&p);
        return Next::Handled(true);
    }
    let Some(info) = dequeue(&t, &p, blocked(&t)) else {
        maybe_restart(frame, None);
        return Next::Handled(false);
    };
    drop(t);
    let Some(signal) = Signal::new(info.si_signo) else { return Next::Handled(true) };
    let action = p.signals.lock().get(signal);
    match action.disposition(signal) {
        Disposition::Ignore | Disposition::Continue => Next::Handled(true),
        Disposition::Stop => {
            exit::stop_process(&p, signal);
            Next::Handled(true)
        }
        Disposition::Terminate { core } => Next::Terminate(ExitStatus::Signaled(signal.number(), core)),
        Disposition::Catch(_) => {
            maybe_restart(frame, Some(&action));
            if deliver_to_handler(signal, &info, &action, frame).is_err() {
                // No frame could be written (bad stack): Linux's force_sigsegv.
                if signal == Signal::SIGSEGV {
                    return Next::Terminate(ExitStatus::Signaled(signal.number(), true));
                }
                force(Siginfo::new(Signal::SIGSEGV, SI_KERNEL));
                return Next::Handled(true);
            }
            let mut actions = p.signals.lock();
            if actions.get(signal) == action {
                actions.set(signal, action.after_delivery());
            }
            Next::Handled(true)
        }
    }
}

/// rt_sigsuspend: `old` comes back after the handler that ends the wait.
pub fn set_saved_mask(t: &Thread, old: u64) {
    t.saved_mask.store(old, Ordering::Release);
}

/// No handler ran after rt_sigsuspend: its temporary mask ends anyway.
pub fn restore_saved_mask() {
    let t = sched::current();
    let saved = t.saved_mask.swap(u64::MAX, Ordering::AcqRel);
    if saved != u64::MAX {
        t.sig_mask.store(saved, Ordering::Release);
    }
}

/// Rewrites `frame` to run the handler for `signal` on the user stack.
fn deliver_to_handler(signal: Signal, info: &Siginfo, action: &SigAction, frame: &mut TrapFrame) -> Result<(), ()> {
    let t = sched::current();
    let saved = t.saved_mask.swap(u64::MAX, Ordering::AcqRel);
    let old = if saved != u64::MAX { SigSet(saved) } else { blocked(&t) };
    sched::with_task(|task| super::sigframe::push(task, info, action, frame, old)).ok_or(())??;
    set_blocked(&t, action.handler_mask(old, signal));
    Ok(())
}

/// SIGCHLD's action in the parent says children are reaped without wait
/// (SIG_IGN or SA_NOCLDWAIT).
pub fn reaps_children(parent: &Process) -> bool {
    let action = parent.signals.lock().get(Signal::SIGCHLD);
    action.handler == Handler::Ignore || action.flags.contains(SaFlags::SA_NOCLDWAIT)
}

/// SIGCHLD's action in the parent asks for no stop/continue reports.
pub fn no_child_stop(parent: &Process) -> bool {
    parent.signals.lock().get(Signal::SIGCHLD).flags.contains(SaFlags::SA_NOCLDSTOP)
}

/// Tells `parent` that its child `pid` changed state (SIGCHLD, CLD_*).
pub fn notify_parent(parent: &Arc<Process>, pid: u32, status: ChildStatus, ticks: u64) {
    let clock = (ticks * procfs::USER_HZ / u64::from(crate::time::HZ)) as i64;
    let _ = send_info_to_process(parent, status.siginfo(pid as i32, 0, clock, 0));
}
