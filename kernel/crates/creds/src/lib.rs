//! Linux credentials for the Cyrius kernel, as `struct cred` and
//! capabilities(7) define them.
//!
//! Role: who a thread is and what it may do, without hardware: [`Cred`]
//! (real/effective/saved/filesystem uids and gids, supplementary groups,
//! the five capability sets, securebits, `no_new_privs`), the transitions
//! Linux applies to it (the set*id family with its capability fixups,
//! capset, the capability prctls, execve with set-ID bits and
//! `no_new_privs`), resource limits ([`Rlimits`]), and permission decisions
//! (signals, privileged ports, prlimit). The kernel keeps a `Cred` per
//! thread and `Rlimits` per process and calls these; filesystem permission
//! checks (in `vfs`) ask [`Cred::capable`].
//!
//! Invariants: every transition returns new credentials or the errno Linux
//! returns, never a half-applied change; capability sets never hold bits
//! past [`Cap::LAST`]; no input panics.
//!
//! Depends on: `alloc`, `errno`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod capctl;
mod caps;
mod cred;
mod exec;
pub mod policy;
pub mod rlimit;
mod setid;

pub use capctl::{data_words, CapData, VERSION_1, VERSION_2, VERSION_3};
pub use caps::{Cap, CapSet};
pub use cred::{
    Caps, Cred, SECURE_ALL_BITS, SECURE_ALL_LOCKS, SECURE_KEEP_CAPS, SECURE_NOROOT, SECURE_NO_CAP_AMBIENT_RAISE,
    SECURE_NO_SETUID_FIXUP,
};
pub use exec::{ExecCreds, ExecFile};
pub use rlimit::{CpuVerdict, Resource, Rlimit, Rlimits};
pub use setid::{KEEP, NGROUPS_MAX};
