//! User mode belongs to the kernel: the foundation only says why the CPU
//! left it.
//!
//! A user thread's kernel side is the kernel's [`Handlers::user_main`],
//! handed the [`TrapFrame`] at the top of the thread's kernel stack. It
//! loops: `arch::usermode::execute(frame)` enters ring 3 and returns when
//! the CPU comes back, with the reason ([`UserEntry`]) and the user
//! registers in the frame; the kernel acts on it (dispatches the syscall,
//! handles the fault, delivers signals, switches threads) and enters again.
//! The other entries of [`Handlers`] are the few things only the kernel
//! knows how to do from interrupt context.
//! Invariants: [`install`] runs once, before interrupts are enabled and
//! before the first user thread; until then, the timer and NMI hooks are
//! skipped and a user thread's start is a panic.

use core::fmt;
use spin::Once;

use crate::arch::usermode::TrapFrame;

/// Why the CPU entered the kernel from user mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserEntry {
    /// The `syscall` instruction: number in `frame.orig_rax`, arguments in
    /// `frame.args()`, the result goes to `frame.rax`.
    Syscall,
    /// A CPU exception in ring 3. `error_code` is the CPU's (0 when the
    /// vector has none), `cr2` the faulting address of a #PF, `extra` the
    /// si_code of an x87/SIMD exception (#MF, #XM) or DR6 for #DB.
    Exception { vector: u8, error_code: u64, cr2: u64, extra: u64 },
    /// The timer interrupted user code (its tick handlers have run).
    Timer,
}

/// The kernel's side of the entries.
pub struct Handlers {
    /// A user thread's kernel side, from its first run on: it owns the
    /// thread's TrapFrame and enters user mode with `usermode::execute`.
    pub user_main: fn(&mut TrapFrame) -> !,
    /// Every timer interrupt, before the tick handlers run: whether it
    /// came from user mode, and the interrupted RIP and RBP.
    pub timer: fn(from_user: bool, rip: u64, rbp: u64),
    /// An NMI (the thread dump), with the interrupted RIP and RBP.
    pub nmi: fn(rip: u64, rbp: u64),
    /// A fatal exception (one without a full-frame entry: #DF, #MC) taken
    /// in user mode: end the process.
    pub fatal_in_user: fn(vector: u8, rip: u64) -> !,
}

static HANDLERS: Once<Handlers> = Once::new();

/// Installs the kernel's handlers (once; later calls are ignored).
pub fn install(handlers: Handlers) {
    HANDLERS.call_once(|| handlers);
}

pub(crate) fn handlers() -> Option<&'static Handlers> {
    HANDLERS.get()
}

/// Prints on the fatal path (COM1, never waiting for a lock).
pub(crate) fn report(args: fmt::Arguments<'_>) {
    crate::serial::emergency_print(args);
}
