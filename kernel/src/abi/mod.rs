//! System calls: one entry from the architecture layer, then one table per
//! ABI, chosen by the calling process's `abi` field (one indexed match, no
//! string lookups). Today there is the Linux table; the host OCI-verb table
//! joins it with issue 4, and a Linux process can never reach it.
//!
//! Invariants: every handler returns `Result<usize, Errno>`; an unknown
//! number is `-ENOSYS`, logged once with its number; nothing fakes success.
//! May call: `task`, `mm`, `fs`, `console`, `time`.

mod linux;

use crate::arch::usermode::SyscallFrame;
use crate::task::{self, Abi};

/// What a handler asks of the entry code.
pub enum Outcome {
    Return(Result<usize, errno::Errno>),
    Exit(i32),
}

/// Called by the syscall entry with the saved user registers.
pub fn syscall(frame: &mut SyscallFrame) {
    crate::arch::enable_interrupts();
    let outcome = task::with_current(|p| match p.abi {
        Abi::Linux => linux::dispatch(p, frame),
    });
    match outcome {
        Some(Outcome::Return(Ok(v))) => frame.rax = v as u64,
        Some(Outcome::Return(Err(e))) => frame.rax = e.as_syscall_ret() as u64,
        Some(Outcome::Exit(code)) => task::exit_current(code),
        None => task::exit_current(127),
    }
}
