//! Constants of the file syscalls that are neither open flags nor fcntl
//! commands: lseek whence, flock operations, fadvise advice, rename flags,
//! extended-attribute flags and the path and size limits of linux/limits.h.

linux_consts! {
    /// Name of an lseek(2) `whence`.
    pub fn whence_name(u32);
    SEEK_SET = 0;
    SEEK_CUR = 1;
    SEEK_END = 2;
    SEEK_DATA = 3;
    SEEK_HOLE = 4;
}

/// flock(2) operations (`LOCK_NB` is or-ed into one of the others).
pub const LOCK_SH: u32 = 1;
pub const LOCK_EX: u32 = 2;
pub const LOCK_NB: u32 = 4;
pub const LOCK_UN: u32 = 8;

/// fadvise64(2) advice values (the highest one; each below is valid).
pub const POSIX_FADV_NORMAL: i32 = 0;
pub const POSIX_FADV_RANDOM: i32 = 1;
pub const POSIX_FADV_SEQUENTIAL: i32 = 2;
pub const POSIX_FADV_WILLNEED: i32 = 3;
pub const POSIX_FADV_DONTNEED: i32 = 4;
pub const POSIX_FADV_NOREUSE: i32 = 5;

/// renameat2(2) flags.
pub const RENAME_NOREPLACE: u32 = 1;
pub const RENAME_EXCHANGE: u32 = 2;
pub const RENAME_WHITEOUT: u32 = 4;

/// setxattr(2) flags.
pub const XATTR_CREATE: i32 = 1;
pub const XATTR_REPLACE: i32 = 2;
/// Longest attribute name and value.
pub const XATTR_NAME_MAX: usize = 255;
pub const XATTR_SIZE_MAX: usize = 65536;

/// Longest path a syscall accepts, NUL included (ENAMETOOLONG beyond).
pub const PATH_MAX: usize = 4096;
/// Writes to a pipe of at most this many bytes are atomic.
pub const PIPE_BUF: usize = 4096;
/// Most supplementary groups.
pub const NGROUPS_MAX: usize = 65536;
/// Linux's `MAX_RW_COUNT` (`INT_MAX & PAGE_MASK`): one read or write moves
/// at most this many bytes (kernel-internal, in no uapi header).
pub const MAX_RW_COUNT: usize = 0x7fff_f000;

/// access(2) mode bits.
pub const F_OK: u32 = 0;
pub const X_OK: u32 = 1;
pub const W_OK: u32 = 2;
pub const R_OK: u32 = 4;
