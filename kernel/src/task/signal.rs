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

pub const SIGQUIT: u32 = 3;
pub const SIGHUP: u32 = 1;
pub const SIGILL: u32 = 4;
pub const SIGTRAP: u32 = 5;
pub const SIGABRT: u32 = 6;
pub const SIGBUS: u32 = 7;
pub const SIGFPE: u32 = 8;
pub const SIGKILL: u32 = 9;
pub const SIGSEGV: u32 = 11;
pub const SIGPIPE: u32 = 13;
pub const SIGALRM: u32 = 14;
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

/// What a handler with SA_SIGINFO learns about a signal (the parts of
/// `siginfo_t` we fill): si_code, the sender (or child) pid and uid, and for
/// SIGCHLD the child's status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    pub code: i32,
    pub pid: u32,
    pub uid: u32,
    pub status: i32,
}

pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_TKILL: i32 = -6;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_STOPPED: i32 = 5;

impl Info {
    pub const fn kernel() -> Info {
        Info { code: SI_KERNEL, pid: 0, uid: 0, status: 0 }
    }

    /// The `siginfo_t` a handler or rt_sigtimedwait sees for `sig`.
    pub fn siginfo(&self, sig: u32) -> Option<linux_abi::signal::Siginfo> {
        use linux_abi::signal::{Siginfo, Signal};
        if sig == SIGCHLD {
            return Some(Siginfo::child(self.code, self.pid as i32, self.uid, self.status, 0, 0));
        }
        Some(Siginfo::kill(Signal::new(sig as i32)?, self.code, self.pid as i32, self.uid))
    }
}

/// Per-signal info of pending signals (the last one sent wins: standard
/// signals do not queue).
pub struct PendingInfo {
    infos: spin::Mutex<[Info; NSIG as usize]>,
}

impl core::default::Default for PendingInfo {
    fn default() -> Self {
        PendingInfo { infos: spin::Mutex::new([Info::default(); NSIG as usize]) }
    }
}

impl PendingInfo {
    pub fn set(&self, sig: u32, info: Info) {
        self.infos.lock()[(sig - 1) as usize] = info;
    }

    pub fn get(&self, sig: u32) -> Info {
        self.infos.lock()[(sig - 1) as usize]
    }
}

pub const fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can never be blocked.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);

/// Sends `sig` to process `p` from the kernel (SI_KERNEL). 0 does nothing.
pub fn send_to_process(p: &Arc<Process>, sig: u32) {
    send_to_process_info(p, sig, Info::kernel());
}

/// Sends `sig` with `info` to process `p` (kill, SIGCHLD).
pub fn send_to_process_info(p: &Arc<Process>, sig: u32, info: Info) {
    if sig == 0 || sig > NSIG || p.is_zombie() {
        return;
    }
    p.sig_info.set(sig, info);
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

/// Sends `sig` to one thread (tgkill: SI_TKILL from `sender`).
pub fn send_to_thread(t: &Arc<Thread>, sig: u32, info: Info) {
    let Some(p) = t.process.clone() else { return };
    if sig == 0 || sig > NSIG {
        return;
    }
    if sig == SIGKILL || sig == SIGCONT || p.signals.lock().ignores(sig) {
        send_to_process_info(&p, sig, info);
        return;
    }
    t.sig_info.set(sig, info);
    t.sig_pending.fetch_or(bit(sig), Ordering::AcqRel);
    sched::wake(t);
}

/// A signal the kernel raises against the running thread (SIGPIPE, ...):
/// SI_USER from the thread's own process, as Linux's send_sig does.
pub fn send_to_current(sig: u32) {
    let t = sched::current();
    let pid = t.process.as_ref().map_or(0, |p| p.vpid);
    send_to_thread(&t, sig, Info { code: SI_USER, pid, uid: 0, status: 0 });
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

/// Takes the lowest signal of `ready` off the pending sets, with its info.
fn take(t: &Thread, p: &Process, ready: u64) -> Option<(u32, Info)> {
    if ready == 0 {
        return None;
    }
    let sig = ready.trailing_zeros() + 1;
    if t.sig_pending.fetch_and(!bit(sig), Ordering::AcqRel) & bit(sig) != 0 {
        return Some((sig, t.sig_info.get(sig)));
    }
    p.sig_pending.fetch_and(!bit(sig), Ordering::AcqRel);
    Some((sig, p.sig_info.get(sig)))
}

/// Takes the lowest deliverable signal off the pending sets.
fn dequeue(t: &Thread, p: &Process) -> Option<(u32, Info)> {
    take(t, p, deliverable(t, p))
}

/// Takes a pending signal of `set` (blocked or not) for rt_sigtimedwait.
pub fn take_from_set(set: u64) -> Option<(u32, Info)> {
    let t = sched::current();
    let p = t.process.clone()?;
    let pending = (t.sig_pending.load(Ordering::Acquire) | p.sig_pending.load(Ordering::Acquire)) & set;
    take(&t, &p, pending)
}

/// Drops a pending `sig` everywhere in `p` (its disposition became "ignore").
pub fn discard(p: &Process, sig: u32) {
    p.sig_pending.fetch_and(!bit(sig), Ordering::AcqRel);
    for t in p.live_threads() {
        t.sig_pending.fetch_and(!bit(sig), Ordering::AcqRel);
    }
}

/// Syscalls that are never restarted after a handler ran (Linux's
/// ERESTARTNOHAND and friends): the sleeps and the waits for events.
fn never_restarted(nr: u64) -> bool {
    matches!(nr, 7 | 23 | 34 | 35 | 130 | 230 | 232 | 270 | 271 | 281 | 128)
}

/// After an interrupted syscall: restart it (rewind to the `syscall`
/// instruction) if no handler ran, or the handler asked for SA_RESTART.
fn maybe_restart(frame: &mut TrapFrame, handler: Option<&Action>) {
    let eintr = errno::Errno::EINTR.as_syscall_ret() as u64;
    if frame.orig_rax == u64::MAX || frame.rax != eintr {
        return;
    }
    // No handler ran (a stop and continue, an ignored signal): the call
    // goes on as if nothing happened. After a handler: only with SA_RESTART,
    // and never the sleeps and event waits.
    let restart = match handler {
        None => true,
        Some(a) => a.flags & SA_RESTART != 0 && !never_restarted(frame.orig_rax),
    };
    if restart {
        frame.rax = frame.orig_rax;
        frame.rip -= 2;
        frame.orig_rax = u64::MAX;
    }
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
    let Some((sig, info)) = dequeue(&t, &p) else {
        maybe_restart(frame, None);
        return false;
    };
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
            maybe_restart(frame, Some(&action));
            if let Err(()) = deliver_to_handler(sig, info, &action, frame) {
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
fn deliver_to_handler(sig: u32, info: Info, action: &Action, frame: &mut TrapFrame) -> Result<(), ()> {
    let t = sched::current();
    let saved = t.saved_mask.swap(u64::MAX, Ordering::AcqRel);
    let old_mask = if saved != u64::MAX { saved } else { t.sig_mask.load(Ordering::Acquire) };
    let frame_result = sched::with_task(|task| super::sigframe::push(task, sig, &info, action, frame, old_mask)).ok_or(())?;
    frame_result?;
    let mut mask = old_mask | action.mask;
    if action.flags & SA_NODEFER == 0 {
        mask |= bit(sig);
    }
    t.sig_mask.store(mask & !UNBLOCKABLE, Ordering::Release);
    Ok(())
}
