//! Linux flag sets and command numbers, typed.
//!
//! Flag sets ([`OpenFlags`], [`MapFlags`], ...) are newtypes over the C type of
//! the syscall parameter; their associated constants keep the Linux names
//! (`OpenFlags::O_CLOEXEC`). [`Flags::UNKNOWN`] records whether Linux
//! rejects unknown bits with EINVAL or silently drops them; syscalls that
//! accept only a subset use [`SyscallArgs::flags_within`](crate::SyscallArgs::flags_within).

#[macro_use]
mod macros;

mod at;
mod clone;
mod fcntl;
mod fdkinds;
mod file;
mod futex;
mod ioctl;
mod mman;
mod mount;
mod open;
mod poll;
mod process;
mod signal;
mod time;
mod wait;

pub use at::*;
pub use clone::*;
pub use fcntl::*;
pub use fdkinds::*;
pub use file::*;
pub use futex::*;
pub use ioctl::*;
pub use mman::*;
pub use mount::*;
pub use open::*;
pub use poll::*;
pub use process::*;
pub use signal::*;
pub use time::*;
pub use wait::*;

/// What Linux does with bits it does not know in a flag argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UnknownBits {
    /// The syscall fails with EINVAL.
    Reject,
    /// The bits are dropped and the call proceeds.
    Ignore,
}

/// A typed flag set decoded from a syscall register.
pub trait Flags: Copy {
    /// Linux's treatment of unknown bits for the usual syscall taking this set.
    const UNKNOWN: UnknownBits;
    /// The register truncated to the C parameter type (no bit checks).
    fn from_register(raw: u64) -> Self;
    fn to_register(self) -> u64;
    /// The union of every bit Linux defines for this set.
    fn known_bits() -> u64;
}
