//! Flags of the descriptor-creating calls: eventfd2, timerfd_*, signalfd4,
//! memfd_create (+ the seals of fcntl), pidfd_open, inotify_init1. The
//! CLOEXEC/NONBLOCK variants share `O_CLOEXEC`/`O_NONBLOCK`'s bits.

/// `O_CLOEXEC` / `O_NONBLOCK`, as the `*_CLOEXEC` / `*_NONBLOCK` of these calls.
pub const FD_O_CLOEXEC: u32 = 0o2000000;
pub const FD_O_NONBLOCK: u32 = 0o4000;

/// eventfd2(2).
pub const EFD_SEMAPHORE: u32 = 1;
pub const EFD_CLOEXEC: u32 = FD_O_CLOEXEC;
pub const EFD_NONBLOCK: u32 = FD_O_NONBLOCK;

/// timerfd_create(2) and timerfd_settime(2).
pub const TFD_CLOEXEC: u32 = FD_O_CLOEXEC;
pub const TFD_NONBLOCK: u32 = FD_O_NONBLOCK;
pub const TFD_TIMER_ABSTIME: u32 = 1;
pub const TFD_TIMER_CANCEL_ON_SET: u32 = 2;

/// signalfd4(2).
pub const SFD_CLOEXEC: u32 = FD_O_CLOEXEC;
pub const SFD_NONBLOCK: u32 = FD_O_NONBLOCK;

/// memfd_create(2).
pub const MFD_CLOEXEC: u32 = 1;
pub const MFD_ALLOW_SEALING: u32 = 2;
pub const MFD_HUGETLB: u32 = 4;
pub const MFD_NOEXEC_SEAL: u32 = 8;
pub const MFD_EXEC: u32 = 0x10;
/// The longest memfd name (without the "memfd:" prefix and the NUL).
pub const MFD_NAME_MAX: usize = 249;

/// Seals (fcntl's `F_ADD_SEALS`/`F_GET_SEALS`).
pub const F_SEAL_SEAL: u32 = 0x1;
pub const F_SEAL_SHRINK: u32 = 0x2;
pub const F_SEAL_GROW: u32 = 0x4;
pub const F_SEAL_WRITE: u32 = 0x8;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;

/// pidfd_open(2).
pub const PIDFD_NONBLOCK: u32 = FD_O_NONBLOCK;

/// inotify_init1(2).
pub const IN_CLOEXEC: u32 = FD_O_CLOEXEC;
pub const IN_NONBLOCK: u32 = FD_O_NONBLOCK;
