//! Plain data types shared by filesystems and the VFS: file kinds, device
//! numbers, timestamps, metadata, directory entries and attribute changes.

use alloc::string::String;

/// Longest file name (one path component) Linux accepts: `NAME_MAX`.
pub const NAME_MAX: usize = 255;
/// Size of a path buffer including its NUL: `PATH_MAX`. A path of this many
/// bytes or more fails with `ENAMETOOLONG`, as on Linux.
pub const PATH_MAX: usize = 4096;
/// How many symlinks one resolution may follow before `ELOOP` (`MAXSYMLINKS`).
pub const SYMLINK_MAX: u32 = 40;
/// Largest file size (`MAX_LFS_FILESIZE` on 64-bit Linux).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// Permission bits a mode may carry besides the file type.
pub const PERM_MASK: u32 = 0o7777;
/// Set-user-ID bit.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-ID bit.
pub const S_ISGID: u32 = 0o2000;
/// Sticky (restricted deletion) bit.
pub const S_ISVTX: u32 = 0o1000;
/// Group execute bit.
pub const S_IXGRP: u32 = 0o010;
/// File-type mask of `st_mode`.
pub const S_IFMT: u32 = 0o170000;

/// A point in time, as in `struct timespec` (`nsec < 1_000_000_000`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    /// The epoch.
    pub const ZERO: Timespec = Timespec { sec: 0, nsec: 0 };

    pub const fn new(sec: i64, nsec: u32) -> Timespec {
        Timespec { sec, nsec }
    }
}

/// The type of a file, as encoded in the `S_IFMT` bits of a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileKind {
    /// The `S_IFxxx` bits of this kind.
    pub const fn mode_bits(self) -> u32 {
        match self {
            FileKind::Fifo => 0o010000,
            FileKind::CharDevice => 0o020000,
            FileKind::Directory => 0o040000,
            FileKind::BlockDevice => 0o060000,
            FileKind::Regular => 0o100000,
            FileKind::Symlink => 0o120000,
            FileKind::Socket => 0o140000,
        }
    }

    /// The kind encoded in a mode's `S_IFMT` bits, if valid.
    pub const fn from_mode(mode: u32) -> Option<FileKind> {
        Some(match mode & S_IFMT {
            0o010000 => FileKind::Fifo,
            0o020000 => FileKind::CharDevice,
            0o040000 => FileKind::Directory,
            0o060000 => FileKind::BlockDevice,
            0o100000 => FileKind::Regular,
            0o120000 => FileKind::Symlink,
            0o140000 => FileKind::Socket,
            _ => return None,
        })
    }

    /// The `d_type` value `getdents64` reports (`DT_REG`, `DT_DIR`, ...).
    pub const fn dirent_type(self) -> u8 {
        match self {
            FileKind::Fifo => 1,
            FileKind::CharDevice => 2,
            FileKind::Directory => 4,
            FileKind::BlockDevice => 6,
            FileKind::Regular => 8,
            FileKind::Symlink => 10,
            FileKind::Socket => 12,
        }
    }
}

/// A device number (major:minor).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DevId {
    pub major: u32,
    pub minor: u32,
}

impl DevId {
    /// No device (0:0).
    pub const NONE: DevId = DevId { major: 0, minor: 0 };

    pub const fn new(major: u32, minor: u32) -> DevId {
        DevId { major, minor }
    }

    /// The 64-bit encoding user space sees in `st_dev`/`st_rdev` (glibc `makedev`).
    pub const fn encode(self) -> u64 {
        let major = self.major as u64;
        let minor = self.minor as u64;
        ((major & 0xffff_f000) << 32)
            | ((major & 0x0000_0fff) << 8)
            | ((minor & 0xffff_ff00) << 12)
            | (minor & 0x0000_00ff)
    }

    /// Inverse of [`DevId::encode`].
    pub const fn decode(dev: u64) -> DevId {
        let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff);
        let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff);
        DevId { major: major as u32, minor: minor as u32 }
    }
}

/// What `stat` reports about an inode (everything but `st_dev`, which the VFS
/// adds from the filesystem's [`crate::FileSystem::id`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub ino: u64,
    pub kind: FileKind,
    /// Permission bits only (`0o7777`), without the file type.
    pub perm: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Allocated size in 512-byte units.
    pub blocks: u64,
    pub block_size: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// Device number for device nodes, [`DevId::NONE`] otherwise.
    pub rdev: DevId,
}

impl Metadata {
    /// The full `st_mode`: type bits plus permission bits.
    pub fn mode(&self) -> u32 {
        self.kind.mode_bits() | (self.perm & PERM_MASK)
    }

    pub fn is_dir(&self) -> bool {
        self.kind == FileKind::Directory
    }
}

/// [`Metadata`] plus the device the file lives on: everything `stat(2)` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// `st_dev`: the filesystem instance's id.
    pub dev: u64,
    pub meta: Metadata,
}

/// One directory entry as a filesystem reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    pub kind: FileKind,
    pub name: String,
}

/// What `statfs(2)` reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    /// `f_type`: the filesystem magic (`TMPFS_MAGIC`, ...).
    pub magic: u64,
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_avail: u64,
    pub files: u64,
    pub files_free: u64,
    pub name_max: u64,
    pub fragment_size: u64,
    /// `ST_RDONLY`, `ST_NOSUID`, ... (the VFS adds the mount's flags).
    pub flags: u64,
}

/// A timestamp to set: the filesystem's current time, or a given one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetTime {
    Now,
    At(Timespec),
}

/// Attribute changes for [`crate::Inode::set_attr`]; `None` leaves a field as
/// it is. The filesystem sets ctime to now whenever it applies any change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits (`0o7777`; type bits are ignored).
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<SetTime>,
    pub mtime: Option<SetTime>,
}

/// Everything a filesystem needs to create a node (not symlinks: see
/// [`crate::Inode::symlink`]). The VFS has already applied umask-free Linux
/// ownership rules (set-group-ID directories) by the time a filesystem sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewNode {
    pub kind: FileKind,
    /// Permission bits (`0o7777`).
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    /// Device number for device nodes; ignored for other kinds.
    pub rdev: DevId,
}
