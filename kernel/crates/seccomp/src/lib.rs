//! seccomp as Linux and runc have it, hardware-independent.
//!
//! - [`bpf`]: classic BPF programs. [`Program::new`] makes the checks
//!   `seccomp(SECCOMP_SET_MODE_FILTER)` makes (`bpf_check_classic`, then
//!   `seccomp_check_filter`: allowed opcodes, jumps inside the program,
//!   loads only of aligned words of `struct seccomp_data`, scratch memory
//!   written before read, a final `ret`); [`Program::run`] interprets one
//!   over a [`SeccompData`].
//! - [`action`]: `SECCOMP_RET_*`, and [`FilterStack`]: a thread's filters,
//!   shared by `Arc` (fork and TSYNC share, never copy), evaluated as
//!   `seccomp_run_filters` does: every filter runs, the most restrictive
//!   action wins (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF >
//!   TRACE > LOG > ALLOW), ties go to the newest filter.
//! - [`compile`]: the runtime-spec's `linux.seccomp` to a program with
//!   libseccomp's and runc's semantics (see the module).
//! - [`docker`]: Docker's profile format to `linux.seccomp`, as dockerd
//!   converts it.
//!
//! Invariants: no input makes these functions panic; a `Program` always
//! passed the checks. Depends on `errno`, `linux-abi` (syscall numbers),
//! `oci` (the spec types) and `serde_json` (alloc only). No `unsafe`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod action;
mod asm;
pub mod bpf;
pub mod compile;
pub mod data;
pub mod docker;

pub use action::{Action, FilterStack, Verdict};
pub use bpf::{Insn, Invalid, Program};
pub use compile::{compile, CompileError, Compiled, Profile};
pub use data::{SeccompData, AUDIT_ARCH_X86_64};

#[cfg(test)]
extern crate std;
