//! `open`/`openat` flags (`O_*`, asm-generic/fcntl.h as used by x86_64).

linux_flags! {
    /// `flags` of open(2)/openat(2): an `int`. Unknown bits are dropped
    /// (`VALID_OPEN_FLAGS`); only openat2(2) rejects them.
    pub struct OpenFlags: u32, unknown = Ignore {
        O_RDONLY = 0;
        O_WRONLY = 0o1;
        O_RDWR = 0o2;
        /// Mask of the access mode (not a flag: compare with `access_mode`).
        O_ACCMODE = 0o3;
        O_CREAT = 0o100;
        O_EXCL = 0o200;
        O_NOCTTY = 0o400;
        O_TRUNC = 0o1000;
        O_APPEND = 0o2000;
        O_NONBLOCK = 0o4000;
        O_DSYNC = 0o10000;
        FASYNC = 0o20000;
        O_DIRECT = 0o40000;
        O_LARGEFILE = 0o100000;
        O_DIRECTORY = 0o200000;
        O_NOFOLLOW = 0o400000;
        O_NOATIME = 0o1000000;
        O_CLOEXEC = 0o2000000;
        /// `__O_SYNC | O_DSYNC`.
        O_SYNC = 0o4010000;
        O_PATH = 0o10000000;
        /// `__O_TMPFILE | O_DIRECTORY`.
        O_TMPFILE = 0o20200000;
    }
}

/// The access mode of an open file description.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AccessMode {
    ReadOnly,
    WriteOnly,
    ReadWrite,
    /// Mode 3: Linux accepts it and checks neither read nor write
    /// permission as usable (only ioctl works).
    Neither,
}

impl OpenFlags {
    /// `O_NDELAY` is `O_NONBLOCK` on x86_64.
    pub const O_NDELAY: OpenFlags = OpenFlags::O_NONBLOCK;

    pub const fn access_mode(self) -> AccessMode {
        match self.bits() & 0o3 {
            0 => AccessMode::ReadOnly,
            1 => AccessMode::WriteOnly,
            2 => AccessMode::ReadWrite,
            _ => AccessMode::Neither,
        }
    }

    /// Flags `fcntl(F_SETFL)` may change; the others are kept as they were.
    pub const SETFL_MASK: OpenFlags = OpenFlags::from_bits_retain(
        OpenFlags::O_APPEND.bits()
            | OpenFlags::O_NONBLOCK.bits()
            | OpenFlags::FASYNC.bits()
            | OpenFlags::O_DIRECT.bits()
            | OpenFlags::O_NOATIME.bits(),
    );
}
