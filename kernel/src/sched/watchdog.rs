//! The lockup watchdog and the thread dump.
//!
//! Kernel code is not preempted, so a kernel path that never blocks, yields
//! or returns to user mode holds the CPU for good. Progress is noted at every
//! thread switch, at every idle halt and whenever the CPU arrives from user
//! mode (syscall, exception, timer); the timer interrupt, when it finds the
//! CPU in the kernel, checks how long ago that was. Past [`STALL_MS`] it
//! prints `watchdog: CPU stuck in the kernel` and every thread's state and
//! kernel stack ([`dump`]) once, and `watchdog: progress again` when the
//! stall ends (a slow legitimate path then shows as such).
//!
//! [`dump`] is also what an NMI (QEMU monitor `nmi`: the test harness sends
//! one when a command times out) and the console's BREAK + `t` print. It runs
//! in interrupt context: it never waits for a lock (a lock held by the
//! interrupted code is skipped and said so) and prints through the console's
//! emergency path. A stall with interrupts off never sees the timer; the NMI
//! still gets through.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::{Thread, BLOCKED, DEAD, RUNNABLE, RUNNING, SCHED};
use crate::arch::backtrace;
use crate::console::emergency_print;

/// How long the CPU may stay in the kernel without progress.
pub const STALL_MS: u64 = 5000;

/// Tick of the last progress.
static LAST_PROGRESS: AtomicU64 = AtomicU64::new(0);
/// A stall was reported and has not ended yet.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// The CPU made progress (a switch, an idle halt, an arrival from user mode).
#[inline]
pub fn progress() {
    LAST_PROGRESS.store(crate::time::ticks(), Ordering::Relaxed);
    if REPORTED.load(Ordering::Relaxed) {
        REPORTED.store(false, Ordering::Relaxed);
        emergency_print(format_args!("watchdog: progress again\n"));
    }
}

/// The longest stretch in the kernel a timer tick saw (ticks), and where.
static LONGEST: AtomicU64 = AtomicU64::new(0);
static LONGEST_RIP: AtomicU64 = AtomicU64::new(0);

/// The longest time (ms) the timer found the CPU in the kernel since the
/// last progress, and the RIP it was at then; since boot or the last reset.
pub fn longest_stretch(reset: bool) -> (u64, u64) {
    let r = (LONGEST.load(Ordering::Relaxed) * 1000 / u64::from(crate::time::HZ), LONGEST_RIP.load(Ordering::Relaxed));
    if reset {
        LONGEST.store(0, Ordering::Relaxed);
    }
    r
}

/// The timer interrupted kernel code at `rip` with frame pointer `rbp`.
pub fn check(rip: u64, rbp: u64) {
    let since = crate::time::ticks().saturating_sub(LAST_PROGRESS.load(Ordering::Relaxed));
    if since > LONGEST.load(Ordering::Relaxed) {
        LONGEST.store(since, Ordering::Relaxed);
        LONGEST_RIP.store(rip, Ordering::Relaxed);
    }
    if since < STALL_MS || REPORTED.swap(true, Ordering::Relaxed) {
        return;
    }
    emergency_print(format_args!(
        "\nwatchdog: CPU stuck in the kernel for {}.{:03} s (no switch, no return to user) at RIP {rip:#x}\n",
        since / 1000,
        since % 1000
    ));
    dump(rip, rbp);
}

fn state_name(t: &Thread) -> &'static str {
    match t.state.load(Ordering::Acquire) {
        RUNNING => "running",
        RUNNABLE => "runnable",
        BLOCKED => "blocked",
        DEAD => "dead",
        _ => "?",
    }
}

/// Prints one line per thread and its kernel stack: the running one from
/// (`rip`, `rbp`), the others from the context saved at their last switch.
pub fn dump(rip: u64, rbp: u64) {
    let Some(s) = SCHED.try_lock() else {
        emergency_print(format_args!("threads: the scheduler lock is held; the running thread only:\n"));
        backtrace::header();
        backtrace::walk(rip, rbp, None);
        return;
    };
    let current = s.current.as_ref().map_or(0, |t| t.id);
    emergency_print(format_args!(
        "threads ({} live, {} runnable queued, uptime {} ms):\n",
        s.all.len(),
        s.run.len(),
        crate::time::uptime_ms()
    ));
    backtrace::header();
    for t in s.all.values() {
        let name = t.name.try_lock();
        let name = name.as_deref().map_or("?", |n| n.as_str());
        let (pid, comm) = match &t.process {
            Some(p) => (p.pid, p.name.try_lock().map(|n| alloc::string::String::clone(&n))),
            None => (0, None),
        };
        emergency_print(format_args!(
            "thread {} '{}' {}{} pid {} ({}) cpu {} ms{}\n",
            t.id,
            name,
            state_name(t),
            if t.id == current { " (on the CPU)" } else { "" },
            pid,
            comm.as_deref().unwrap_or("kernel"),
            t.ticks.load(Ordering::Relaxed),
            if t.killed.load(Ordering::Relaxed) { " killed" } else { "" },
        ));
        let stack = t.kstack_bounds();
        let stack = (stack.1 > stack.0).then_some(stack);
        if t.id == current {
            backtrace::walk(rip, rbp, stack);
            continue;
        }
        // SAFETY: a thread that is not running does not change its saved
        // context; `ctx` is the stack pointer `cyrius_switch` saved (or
        // `prepare_stack` made), pointing at six saved registers and the
        // return address, checked to lie inside the thread's stack.
        let saved = unsafe { *t.ctx.get() };
        if !backtrace::on_stack(saved, 56, stack) {
            continue;
        }
        // SAFETY: as above: [saved, saved + 56) is inside the thread's stack.
        let (saved_rbp, ret) = unsafe { (*((saved + 40) as *const u64), *((saved + 48) as *const u64)) };
        backtrace::walk(ret, saved_rbp, stack);
    }
}
