//! FAT32 filesystem for Cyrius: mounts, reads and writes a FAT32 volume with VFAT long names
//! on any 512-byte [`BlockDevice`] (virtio-blk in the kernel; a file or memory on the host),
//! and formats one. The kernel mounts its data disk at /mnt through this; `tools/mkdisk`
//! builds that disk with it.
//!
//! Summary:
//! - [`FatFs::mount`] validates the boot sector and FSInfo ([`MountError`] on anything
//!   corrupt or truncated, never a panic); the free-cluster count is recounted from the FAT.
//! - Inode-like API keyed by [`NodeId`] with FUSE-style lookup counting: `lookup` /
//!   `lookup_entry` (ASCII case-insensitive, long or 8.3 name, `.` and `..`), `readdir`
//!   (long names with checksum checks, 8.3 fallback; no `.`/`..`), `read_at`, `write_at`
//!   (gaps zero-filled), `truncate`, `create`, `mkdir`, `unlink`, `rmdir`, `rename` (across
//!   directories, replacing), `metadata`, `set_times`, `statfs`, `sync`, `unmount`.
//! - The VFS must call [`FatFs::forget`] when it drops a node: a node unlinked while looked
//!   up keeps its clusters until then (or until `unmount`), as Linux keeps open files.
//! - Names that are not plain 8.3 get long-name entries and a unique `LONGFI~1.TXT`-style
//!   alias; plain 8.3 names in lower case use the NT case flags instead.
//! - Full disk: `ENOSPC` with the file unchanged (a write that partly fits is short).
//! - [`format`] / [`format_with`] write a fresh FAT32 (>= 65525 clusters) that fsck.fat accepts.
//! - Errors are [`errno::Errno`]; [`MountError`] and [`FormatError`] convert to it.
//!
//! Invariants: no input (device contents, names, offsets) can cause a panic; chains are
//! walked with range and cycle guards and directories are read up to 65536 entries, so
//! every call terminates. After each changing call returns, the FAT (every copy) and FSInfo
//! on the device agree with the directories; a file's chain holds exactly
//! `ceil(size / cluster size)` clusters. Timestamps are UTC; reads do not update the access
//! date. A single `spin::Mutex` guards the volume, so [`FatFs`] is `Send + Sync`.
//!
//! Depends on `errno` and `spin` only (no_std + alloc); feature `std` adds [`FileDevice`].
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod bpb;
mod data;
mod device;
mod dir;
mod dirent;
mod disk;
mod extents;
mod fat;
#[cfg(feature = "std")]
mod file_device;
mod format;
mod fs;
mod fsinfo;
mod le;
mod name;
mod node;
mod time;

pub use bpb::MountError;
pub use device::{request_range, BlockDevice, IoError, MemDevice, BLOCK_SIZE};
#[cfg(feature = "std")]
pub use file_device::FileDevice;
pub use format::{format, format_with, FormatError, FormatOptions, MIN_CLUSTERS};
pub use fs::{Clock, DirItem, FatFs, Metadata, NodeKind, StatFs, MAX_FILE_SIZE};
pub use node::NodeId;
