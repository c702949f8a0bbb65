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

/// inotify event bits (`struct inotify_event`'s mask, inotify_add_watch's).
pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
pub const IN_ALL_EVENTS: u32 = 0xfff;
pub const IN_UNMOUNT: u32 = 0x2000;
pub const IN_Q_OVERFLOW: u32 = 0x4000;
pub const IN_IGNORED: u32 = 0x8000;
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ISDIR: u32 = 0x4000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
