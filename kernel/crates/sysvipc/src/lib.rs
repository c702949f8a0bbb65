//! System V IPC (svipc(7)) of one IPC namespace, without hardware.
//!
//! Role: the objects (`shm`, `sem`, `msg`), their registries (ids, keys,
//! `IPC_PRIVATE`/`IPC_CREAT`/`IPC_EXCL`, removal), their permissions
//! (`ipcperms`, owner checks for `IPC_SET`/`IPC_RMID`) and the operations
//! that do not block: the kernel glue sleeps and retries when an
//! operation says it would block, and supplies memory for segments.
//!
//! Invariants: ids are `index + seq * SEQ_MULTIPLIER` as Linux makes them
//! (an id of a removed object never names a new one until the sequence
//! wraps); every operation returns the errno Linux gives; no input panics.
//! Depends on: `errno`, `creds` (credentials, capabilities).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod msg;
pub mod perm;
pub mod registry;
pub mod sem;
pub mod shm;

pub use perm::{IpcPerm, Perm};
pub use registry::Registry;

/// `IPC_PRIVATE`: a key that always makes a new object.
pub const IPC_PRIVATE: i32 = 0;
pub const IPC_CREAT: i32 = 0o1000;
pub const IPC_EXCL: i32 = 0o2000;
pub const IPC_NOWAIT: i32 = 0o4000;

/// ctl commands common to the three kinds.
pub const IPC_RMID: i32 = 0;
pub const IPC_SET: i32 = 1;
pub const IPC_STAT: i32 = 2;
pub const IPC_INFO: i32 = 3;

/// The namespace's objects.
pub struct Namespace<S> {
    pub shm: Registry<shm::Segment<S>>,
    pub sem: Registry<sem::SemSet>,
    pub msg: Registry<msg::Queue>,
}

impl<S> Default for Namespace<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Namespace<S> {
    pub const fn new() -> Self {
        Namespace { shm: Registry::new(shm::SHMMNI), sem: Registry::new(sem::SEMMNI), msg: Registry::new(msg::MSGMNI) }
    }
}
