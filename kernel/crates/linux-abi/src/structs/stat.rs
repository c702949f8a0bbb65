//! `struct stat` (fstat/newfstatat), `struct statx`, file-type bits.

use super::time::{StatxTimestamp, Timespec};

/// x86_64 `struct stat` as the kernel writes it (same as glibc's).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub __pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_atim: Timespec,
    pub st_mtim: Timespec,
    pub st_ctim: Timespec,
    pub __unused: [i64; 3],
}
abi_struct!(Stat, 144 {
    st_dev, st_ino, st_nlink, st_mode, st_uid, st_gid, __pad0, st_rdev, st_size,
    st_blksize, st_blocks, st_atim, st_mtim, st_ctim, __unused,
});

/// `struct statx`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub __spare0: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: StatxTimestamp,
    pub stx_btime: StatxTimestamp,
    pub stx_ctime: StatxTimestamp,
    pub stx_mtime: StatxTimestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub stx_mnt_id: u64,
    pub stx_dio_mem_align: u32,
    pub stx_dio_offset_align: u32,
    pub __spare3: [u64; 12],
}
abi_struct!(Statx, 256 {
    stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid, stx_mode, __spare0,
    stx_ino, stx_size, stx_blocks, stx_attributes_mask, stx_atime, stx_btime, stx_ctime,
    stx_mtime, stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor, stx_mnt_id,
    stx_dio_mem_align, stx_dio_offset_align, __spare3,
});

/// `stx_mask` bits (what the caller asks for / what was filled in).
pub const STATX_TYPE: u32 = 0x1;
pub const STATX_MODE: u32 = 0x2;
pub const STATX_NLINK: u32 = 0x4;
pub const STATX_UID: u32 = 0x8;
pub const STATX_GID: u32 = 0x10;
pub const STATX_ATIME: u32 = 0x20;
pub const STATX_MTIME: u32 = 0x40;
pub const STATX_CTIME: u32 = 0x80;
pub const STATX_INO: u32 = 0x100;
pub const STATX_SIZE: u32 = 0x200;
pub const STATX_BLOCKS: u32 = 0x400;
pub const STATX_BASIC_STATS: u32 = 0x7ff;
pub const STATX_BTIME: u32 = 0x800;
pub const STATX_MNT_ID: u32 = 0x1000;
/// Reserved bit: statx(2) fails with EINVAL when the caller sets it.
pub const STATX__RESERVED: u32 = 0x8000_0000;

/// File type and permission bits of `st_mode`.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;

/// Linux's `new_encode_dev`: the `st_dev`/`st_rdev` value of major:minor.
pub const fn encode_dev(major: u32, minor: u32) -> u64 {
    let (major, minor) = (major as u64, minor as u64);
    (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12) | ((major & !0xfff) << 32)
}

/// Linux's `new_decode_dev`: major and minor of the 32-bit `dev_t` that
/// mknod(2) takes.
pub const fn decode_dev(dev: u32) -> (u32, u32) {
    ((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// `f_flags` bit saying the other bits are meaningful (kernel-internal
/// `ST_VALID` of include/linux/statfs.h; no uapi header has it).
pub const ST_VALID: u64 = 0x20;

/// x86_64 `struct statfs` (statfs/fstatfs), as glibc's.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Statfs {
    pub f_type: i64,
    pub f_bsize: i64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: i64,
    pub f_frsize: i64,
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}
abi_struct!(Statfs, 120 {
    f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen,
    f_frsize, f_flags, f_spare,
});

/// `f_type` of the pipe filesystem and of the terminal's (devpts).
pub const PIPEFS_MAGIC: i64 = 0x5049_5045;
pub const DEVPTS_SUPER_MAGIC: i64 = 0x1cd1;
pub const SOCKFS_MAGIC: i64 = 0x534f_434b;
pub const ANON_INODE_FS_MAGIC: i64 = 0x0904_1934;
