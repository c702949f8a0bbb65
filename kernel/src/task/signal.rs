//! Signals: dispositions per process, pending sets per process and thread,
//! the mask per thread, sending (kill, tgkill, the terminal, the kernel) and
//! delivery on the way back to user mode.
//!
//! Generation follows Linux: a signal whose disposition is "ignore" (and
//! that is not blocked) is discarded when sent; SIGKILL and SIGSTOP can be
//! neither caught nor blocked; SIGCONT resumes a stopped process when sent.
//! Delivery happens in [`handle_pending`]: default actions (terminate, core,
//! stop, continue, ignore) or a user handler entered through an rt_sigframe.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use super::exit::{self, ExitStatus};
use super::Process;
use crate::arch::usermode::TrapFrame;
use crate::sched::{self, Thread};

pub const SIGHUP: u32 = 1;
pub const SIGINT: u32 = 2;
pub const SIGQUIT: u32 = 3;
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGABRT: u32 = 6;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGSEGV: u32 = 11;
pub const SIGPIPE: u32 = 13;
pub const SIGTERM: u32 = 15;
pub const SIGCHLD: u32 = 17;
pub const SIGCONT: u32 = 18;
pub const SIGSTOP: u32 = 19;
pub const SIGTSTP: u32 = 20;
pub const SIGTTIN: u32 = 21;
pub const SIGTTOU: u32 = 22;
pub const NSIG: u32 = 64;

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
pub const SA_NOCLDSTOP: u64 = 1;
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_SIGINFO: u64 = 4;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// What a signal does by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    Terminate,
    Core,
    Ignore,
    Stop,
    Continue,
}

pub fn default_action(sig: u32) -> Default {
    match sig {
        SIGCHLD | 23 /* SIGURG */ | 28 /* SIGWINCH */ => Default::Ignore,
        SIGCONT => Default::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Default::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | 24 | 25 | 31 => Default::Core,
        _ => Default::Terminate,
    }
}

/// `struct sigaction` as rt_sigaction passes it on x86_64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Action {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

impl Action {
    pub fn from_bytes(b: &[u8; 32]) -> Action {
        let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        Action { handler: w(0), flags: w(1), restorer: w(2), mask: w(3) }
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, v) in [self.handler, self.flags, self.restorer, self.mask].iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

/// A process's signal dispositions (index = signal - 1).
#[derive(Clone)]
pub struct Dispositions {
    pub actions: [Action; NSIG as usize],
}

impl core::default::Default for Dispositions {
    fn default() -> Self {
        Dispositions { actions: [Action::default(); NSIG as usize] }
    }
}

impl Dispositions {
    pub fn get(&self, sig: u32) -> Action {
        self.actions[(sig - 1) as usize]
    }

    /// True if sending `sig` now would be discarded.
    fn ignores(&self, sig: u32) -> bool {
        let a = self.get(sig);
        a.handler == SIG_IGN || (a.handler == SIG_DFL && default_action(sig) == Default::Ignore)
    }

    /// execve: handled signals go back to their default.
    pub fn reset_for_exec(&mut self) {
        for a in self.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = Action::default();
            }
        }
    }
}

/// sigaltstack state of a thread.
#[derive(Clone, Copy, Debug, core::default::Default)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    pub flags: u32,
}

pub const fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can never be blocked.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);

/// Sends `sig` to process `p` (kill). 0 only checks existence.
pub fn send_to_process(p: &Arc<Process>, sig: u32) {
    if sig == 0 || sig > NSIG || p.is_zombie() {
        return;
    }
    if sig == SIGKILL {
        kill_process(p, ExitStatus::Signaled(SIGKILL as u8, false));
        return;
    }
    if sig == SIGCONT {
        p.sig_pending.fetch_and(!(bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU)), Ordering::AcqRel);
        exit::continue_process(p);
    }
    if default_action(sig) == Default::Stop {
        p.sig_pending.fetch_and(!bit(SIGCONT), Ordering::AcqRel);
    }
    if p.signals.lock().ignores(sig) && sig != SIGCONT {
        return;
    }
    p.sig_pending.fetch_or(bit(sig), Ordering::AcqRel);
    // Wake a thread that does not block it (any, if all do: it stays pending).
    for t in p.live_threads() {
        if t.sig_mask.load(Ordering::Acquire) & bit(sig) == 0 {
            sched::wake(&t);
            break;
        }
    }
}

/// Sends `sig` to one thread (tgkill).
pub fn send_to_thread(t: &Arc<Thread>, sig: u32) {
    let Some(p) = t.process.clone() else { return };
    if sig == 0 || sig > NSIG {
        return;
    }
    if sig == SIGKILL || sig == SIGCONT || p.signals.lock().ignores(sig) {
        send_to_process(&p, sig);
        return;
    }
    t.sig_pending.fetch_or(bit(sig), Ordering::AcqRel);
    sched::wake(t);
}

/// A signal the kernel raises against the running thread (SIGPIPE, ...).
pub fn send_to_current(sig: u32) {
    let t = sched::current();
    send_to_thread(&t, sig);
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

/// Signals deliverable to the running thread now.
fn deliverable(t: &Thread, p: &Process) -> u64 {
    let pending = t.sig_pending.load(Ordering::Acquire) | p.sig_pending.load(Ordering::Acquire);
    pending & !(t.sig_mask.load(Ordering::Acquire) & !UNBLOCKABLE)
}

/// True if the running thread's wait should end (signal or kill).
pub fn pending_for_current() -> bool {
    let t = sched::current();
    if t.killed.load(Ordering::Acquire) {
        return true;
    }
    match t.process.as_ref() {
        Some(p) => deliverable(&t, p) != 0 || p.stopped.load(Ordering::Acquire),
        None => false,
    }
}

/// Takes the lowest deliverable signal off the pending sets.
fn dequeue(t: &Thread, p: &Process) -> Option<u32> {
    let ready = deliverable(t, p);
    if ready == 0 {
        return None;
    }
    let sig = ready.trailing_zeros() + 1;
    if t.sig_pending.fetch_and(!bit(sig), Ordering::AcqRel) & bit(sig) == 0 {
        p.sig_pending.fetch_and(!bit(sig), Ordering::AcqRel);
    }
    Some(sig)
}

/// Handles what is pending for the running thread before it returns to
/// user mode with `frame`. Returns true if it should look again (after a stop).
/// Does not return if the thread or process dies.
pub fn handle_pending(frame: &mut TrapFrame) -> bool {
    let t = sched::current();
    let Some(p) = t.process.clone() else { return false };
    if t.killed.load(Ordering::Acquire) {
        drop(t);
        exit::exit_thread(None);
    }
    if p.stopped.load(Ordering::Acquire) {
        drop(t);
        exit::stop_current(&p);
        return true;
    }
    let Some(sig) = dequeue(&t, &p) else { return false };
    let action = p.signals.lock().get(sig);
    match action.handler {
        SIG_IGN => true,
        SIG_DFL => match default_action(sig) {
            Default::Ignore | Default::Continue => true,
            Default::Stop => {
                exit::stop_process(&p, sig);
                true
            }
            Default::Terminate => {
                drop(t);
                exit::exit_group(ExitStatus::Signaled(sig as u8, false))
            }
            Default::Core => {
                drop(t);
                exit::exit_group(ExitStatus::Signaled(sig as u8, true))
            }
        },
        _ => {
            drop(t);
            if let Err(()) = deliver_to_handler(sig, &action, frame) {
                // The frame could not be written (bad stack): as Linux, SIGSEGV.
                exit::exit_group(ExitStatus::Signaled(SIGSEGV as u8, true));
            }
            if action.flags & SA_RESETHAND != 0 {
                p.signals.lock().actions[(sig - 1) as usize] = Action::default();
            }
            true
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

/// Rewrites `frame` to run the handler for `sig` on the user stack.
fn deliver_to_handler(sig: u32, action: &Action, frame: &mut TrapFrame) -> Result<(), ()> {
    let t = sched::current();
    let saved = t.saved_mask.swap(u64::MAX, Ordering::AcqRel);
    let old_mask = if saved != u64::MAX { saved } else { t.sig_mask.load(Ordering::Acquire) };
    let frame_result = sched::with_task(|task| super::sigframe::push(task, sig, action, frame, old_mask)).ok_or(())?;
    frame_result?;
    let mut mask = old_mask | action.mask;
    if action.flags & SA_NODEFER == 0 {
        mask |= bit(sig);
    }
    t.sig_mask.store(mask & !UNBLOCKABLE, Ordering::Release);
    Ok(())
}
