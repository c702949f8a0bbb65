//! `*at` syscall conventions: `AT_FDCWD` and the `AT_*` flag bits.

/// The `dirfd` meaning "relative to the current directory".
pub const AT_FDCWD: i32 = -100;

linux_flags! {
    /// `flags` of the `*at` syscalls (an `int`). Each syscall accepts its
    /// own subset and rejects the rest with EINVAL: decode with
    /// `SyscallArgs::flags_within(i, AtFlags::FSTATAT_VALID)` and similar.
    pub struct AtFlags: u32, unknown = Reject {
        AT_SYMLINK_NOFOLLOW = 0x100;
        AT_REMOVEDIR = 0x200;
        AT_SYMLINK_FOLLOW = 0x400;
        AT_NO_AUTOMOUNT = 0x800;
        AT_EMPTY_PATH = 0x1000;
        AT_STATX_FORCE_SYNC = 0x2000;
        AT_STATX_DONT_SYNC = 0x4000;
        AT_RECURSIVE = 0x8000;
    }
}

impl AtFlags {
    /// faccessat2: same bit as `AT_REMOVEDIR`.
    pub const AT_EACCESS: AtFlags = AtFlags::AT_REMOVEDIR;
    /// statx's sync-type field (a two-bit value, 0 = `AT_STATX_SYNC_AS_STAT`).
    pub const AT_STATX_SYNC_TYPE: AtFlags = AtFlags::from_bits_retain(0x6000);

    /// newfstatat / fstatat.
    pub const FSTATAT_VALID: AtFlags = AtFlags::from_bits_retain(0x100 | 0x800 | 0x1000 | 0x6000);
    /// statx.
    pub const STATX_VALID: AtFlags = AtFlags::FSTATAT_VALID;
    /// unlinkat.
    pub const UNLINKAT_VALID: AtFlags = AtFlags::AT_REMOVEDIR;
    /// linkat.
    pub const LINKAT_VALID: AtFlags = AtFlags::from_bits_retain(0x400 | 0x1000);
    /// fchownat.
    pub const FCHOWNAT_VALID: AtFlags = AtFlags::from_bits_retain(0x100 | 0x1000);
    /// faccessat2.
    pub const FACCESSAT_VALID: AtFlags = AtFlags::from_bits_retain(0x200 | 0x100 | 0x1000);
    /// utimensat.
    pub const UTIMENSAT_VALID: AtFlags = AtFlags::from_bits_retain(0x100 | 0x1000);
    /// execveat.
    pub const EXECVEAT_VALID: AtFlags = AtFlags::from_bits_retain(0x100 | 0x1000);
}
