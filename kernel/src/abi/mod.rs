//! System calls: one entry from the architecture layer, then one table per
//! ABI, chosen by the calling process's `abi` field (one indexed match, no
//! string lookups): the Linux table, and the host OCI-verb table (`host`)
//! that only host-world programs can reach.
//!
//! Invariants: every handler returns `Result<usize, Errno>`; an unknown
//! number is `-ENOSYS`, logged once with its number; nothing fakes success.
//! Handlers run inside `sched::with_task` and so must not end the thread
//! themselves: they return an [`Outcome`] and the entry acts on it after.
//! May call: `task`, `sched`, `mm`, `fs`, `console`, `time`.

mod host;
pub(crate) mod linux;


use crate::arch::usermode::TrapFrame;
use crate::task::{self, exit, Abi};

/// What a handler asks of the entry code.
pub enum Outcome {
    Return(Result<usize, errno::Errno>),
    /// The handler rewrote the whole frame (execve, rt_sigreturn).
    Replaced,
    /// exit: this thread ends.
    ExitThread(i32),
    /// exit_group: the process ends.
    ExitGroup(i32),
    /// The process ends as if killed by a signal (seccomp).
    Killed(task::ExitStatus),
}

/// Called by the syscall entry with the saved user registers.
pub fn syscall(frame: &mut TrapFrame) {
    crate::arch::enable_interrupts();
    let outcome = crate::sched::with_task(|t| match t.proc.abi {
        Abi::Linux => linux::dispatch(t, frame),
        Abi::Host => host::dispatch(t, frame),
    });
    match outcome {
        Some(Outcome::Return(Ok(v))) => frame.rax = v as u64,
        Some(Outcome::Return(Err(e))) => frame.rax = e.as_syscall_ret() as u64,
        Some(Outcome::Replaced) => {}
        Some(Outcome::ExitThread(code)) => exit::exit_thread(Some(code)),
        Some(Outcome::ExitGroup(code)) => exit::exit_group(task::ExitStatus::Exited(code)),
        Some(Outcome::Killed(status)) => exit::exit_group(status),
        None => exit::exit_thread(Some(127)),
    }
}
