//! EROFS, the Linux read-only filesystem, for the Cyrius image store: container image layers
//! are converted once (on the host) into EROFS images that the kernel mounts and reads lazily,
//! instead of unpacking every layer into memory.
//!
//! Layers (each module has one job):
//! - [`format`]: the on-disk structures of Linux's `erofs_fs.h` (superblock, compact and
//!   extended inodes, directory entries, xattr entries, superblock CRC32C).
//! - [`image`]: [`Image`], reading an image through a [`Backing`] store: superblock checks at
//!   open (magic, checksum, features, size), then inodes, data (flat plain, flat inline
//!   tail-packed, chunk-based), directories (binary-searched lookup, cookie readdir), symlinks
//!   and xattrs, each read when asked for. Compressed data is refused (`EOPNOTSUPP`).
//! - [`fs`]: [`ErofsFs`], the image as a read-only `vfs::FileSystem` (stat with modes, owners,
//!   times, link counts and device numbers; xattrs through `getxattr`; content ids so the
//!   kernel's page cache shares mapped pages between every container of an image), and
//!   [`InodeBacking`], a file of another filesystem as the store.
//! - `writer` (feature `writer`): [`writer::Tree`], a directory tree written as an
//!   uncompressed EROFS image (what `tools/ociimport` makes of each image layer).
//!
//! Invariants: no image, however corrupt, makes this crate panic, loop without bound or read
//! outside the image: every offset is checked against the superblock's block count, itself
//! checked against the store's size; errors are typed ([`Error`], converted to Linux's errno:
//! `EBADMSG` for a bad checksum, `EUCLEAN` for corrupt metadata).
//!
//! Depends on `errno`, `vfs`, `spin`, `alloc`. No `unsafe`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod format;
pub mod fs;
pub mod image;
#[cfg(feature = "writer")]
pub mod writer;

pub use fs::{ErofsFs, InodeBacking};
pub use image::{Backing, DirEntry, Error, Image, Inode};
