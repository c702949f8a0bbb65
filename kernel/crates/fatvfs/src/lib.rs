//! Mounts a FAT32 volume ([`fat32::FatFs`]) in the Cyrius VFS: [`FatVfs`] is a
//! [`vfs::FileSystem`] and [`FatInode`] a [`vfs::Inode`], presenting the volume as Linux's
//! `vfat` does. The kernel mounts its data disk at /mnt through this.
//!
//! Summary:
//! - [`FatVfs::new`]`(fat, clock, options) -> Arc<FatVfs<D>>`; [`FatVfsOptions`] holds
//!   `uid`, `gid`, `fmask`, `dmask` (default: root, `0o022` each, i.e. `0o755` everywhere);
//!   [`FatVfsOptions::mount_data`] gives the `/proc/mounts` options; [`FatVfs::sync`].
//! - `fs_type` "vfat", `st_dev` from [`vfs::alloc_fs_id`], `statfs` as Linux's
//!   `fat_statfs` ([`MSDOS_SUPER_MAGIC`], block = cluster, no inode counts, namelen 1530).
//! - `stat`: ino = FAT [`fat32::NodeId`] (root 1), perm from the masks minus write bits
//!   for read-only files, nlink 1 for files and 2 + subdirectories for directories,
//!   owner from the mount, times in whole seconds (ctime = mtime), blksize = cluster.
//! - Regular files and directories only: symlinks, hard links, device nodes, FIFOs and
//!   sockets are `EPERM`. Cross-filesystem rename is `EXDEV`.
//! - `set_attr`: chown to anything but the mount's owner and set-ID/sticky modes are
//!   `EPERM`; other modes FAT cannot show are silently ignored (Linux's behaviour);
//!   toggling the read-only attribute is `EPERM` (not supported by `fat32` yet); atime and
//!   mtime are stored (FAT keeps an access date and 2-second mtimes).
//!
//! Invariants: every inode obtained from a FAT lookup/create gives its lookup back
//! (`forget(id, 1)`) when dropped, so removed-but-open files keep their data until the last
//! handle goes; `readdir` cookies are FAT directory offsets (strictly increasing, far below
//! [`vfs::node::READDIR_COOKIE_LIMIT`]) and never yield `.`, `..` or malformed names; a
//! corrupt volume gives errors, never panics. The volume is synced when the last inode of
//! it is dropped.
//!
//! Depends on `errno`, `fat32` and `vfs` only (no_std + alloc).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod fs;
mod inode;
mod meta;
mod options;

pub use fs::{FatVfs, MSDOS_SUPER_MAGIC};
pub use inode::FatInode;
pub use options::FatVfsOptions;
