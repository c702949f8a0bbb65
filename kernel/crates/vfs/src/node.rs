//! The filesystem-facing traits: what a filesystem implements so the VFS can
//! mount it. Every method has a default returning the errno Linux gives when a
//! filesystem lacks the operation, so a read-only or simple filesystem
//! implements only what it supports.
//!
//! Contract for implementors:
//! - Names passed in are single components: never empty, `.`, `..`, or
//!   containing `/` or NUL (the VFS filters them); at most [`crate::NAME_MAX`] bytes.
//! - `readdir` never reports `.` or `..` (the VFS adds them); cookie 0 starts
//!   a listing, each call returns the cookie for the next one, cookies stay
//!   below [`READDIR_COOKIE_LIMIT`], and a listing stays valid while the
//!   directory changes (an entry added or removed meanwhile may or may not
//!   show up, as POSIX allows; no other entry is skipped or repeated).
//! - Inode numbers are stable for the life of the inode and unique within one
//!   filesystem instance; a filesystem without its own (FAT) synthesizes them.
//! - Permission checks, read-only mounts and mount points are the VFS's job.

use alloc::string::String;
use alloc::vec::Vec;
use alloc::sync::Arc;
use core::any::Any;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use errno::{Errno, KResult};

use crate::device::CharDevice;
use crate::types::{DevId, DirEntry, FileKind, Metadata, NewNode, SetAttr, StatFs};

/// Cookies a filesystem's `readdir` returns stay below this, so the VFS can
/// shift them past its own `.` and `..` positions within a signed file offset.
pub const READDIR_COOKIE_LIMIT: u64 = 1 << 62;

/// A mounted filesystem instance.
pub trait FileSystem: Send + Sync {
    /// The root directory.
    fn root(&self) -> Arc<dyn Inode>;
    /// Usage figures for `statfs(2)` (the VFS adds the mount's flags).
    fn statfs(&self) -> KResult<StatFs>;
    /// The type name shown in `/proc/mounts` (`tmpfs`, `vfat`, ...).
    fn fs_type(&self) -> &'static str;
    /// Unique per instance; reported as `st_dev`. Use [`alloc_fs_id`].
    fn id(&self) -> u64;
}

/// Allocates a fresh anonymous device number (major 0, like Linux's tmpfs and
/// other virtual filesystems), encoded as `st_dev`, for [`FileSystem::id`].
pub fn alloc_fs_id() -> u64 {
    static NEXT_MINOR: AtomicU32 = AtomicU32::new(16);
    DevId::new(0, NEXT_MINOR.fetch_add(1, Ordering::Relaxed)).encode()
}

/// Reserves `count` consecutive content ids ([`Inode::content_id`]) no other caller gets,
/// and returns the first: one counter for every filesystem, so ids never collide.
pub fn alloc_content_ids(count: u64) -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(count.max(1), Ordering::Relaxed)
}

/// One file, directory, symlink or special node of a filesystem.
pub trait Inode: Send + Sync {
    /// Current attributes.
    fn metadata(&self) -> KResult<Metadata>;

    /// For downcasting to the filesystem's concrete type (rename, link).
    fn as_any(&self) -> &dyn Any;

    /// The filesystem instance this inode belongs to, while it exists.
    fn fs(&self) -> Option<Arc<dyn FileSystem>>;

    /// The kind of this inode; a filesystem may override this with a cheaper
    /// version, as the VFS asks it for every path component.
    fn kind(&self) -> KResult<FileKind> {
        Ok(self.metadata()?.kind)
    }

    /// Finds `name` in this directory: `ENOENT` if absent, `ENOTDIR` if this
    /// is not a directory.
    fn lookup(&self, _name: &str) -> KResult<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }

    /// Creates a regular file, directory, FIFO, socket or device node:
    /// `EEXIST` if `name` exists, `ENOENT` if this directory was removed.
    fn create(&self, _name: &str, _node: &NewNode) -> KResult<Arc<dyn Inode>> {
        Err(dir_op_unsupported(self))
    }

    /// Creates a symlink `name` pointing at `target`, owned by `uid:gid`.
    fn symlink(&self, _name: &str, _target: &str, _uid: u32, _gid: u32) -> KResult<Arc<dyn Inode>> {
        Err(dir_op_unsupported(self))
    }

    /// Adds a hard link `name` to `target` (not a directory: `EPERM`; on
    /// another filesystem: `EXDEV`; already unlinked: `ENOENT`).
    fn link(&self, _name: &str, _target: &Arc<dyn Inode>) -> KResult<()> {
        Err(dir_op_unsupported(self))
    }

    /// Removes the non-directory entry `name` (`EISDIR` for a directory).
    fn unlink(&self, _name: &str) -> KResult<()> {
        Err(dir_op_unsupported(self))
    }

    /// Removes the empty directory `name` (`ENOTDIR`, `ENOTEMPTY`).
    fn rmdir(&self, _name: &str) -> KResult<()> {
        Err(dir_op_unsupported(self))
    }

    /// Moves `old_name` in this directory to `new_name` in `new_dir`,
    /// replacing a file by a file or an empty directory by a directory, with
    /// Linux's errors (`ENOTDIR`, `EISDIR`, `ENOTEMPTY`, `EINVAL` when moving a
    /// directory under itself, `EXDEV` across filesystems). Renaming onto
    /// another link of the same inode succeeds and changes nothing.
    fn rename(&self, _old_name: &str, _new_dir: &Arc<dyn Inode>, _new_name: &str) -> KResult<()> {
        Err(dir_op_unsupported(self))
    }

    /// The entry at `cookie` and the cookie of the next one; `None` at the end.
    fn readdir(&self, _cookie: u64) -> KResult<Option<(DirEntry, u64)>> {
        Err(Errno::ENOTDIR)
    }

    /// A symlink's target (`EINVAL` for anything else).
    fn readlink(&self) -> KResult<String> {
        Err(Errno::EINVAL)
    }

    /// Reads at `offset`; returns 0 at or past the end.
    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> KResult<usize> {
        Err(file_op_unsupported(self))
    }

    /// Writes at `offset`, growing the file; may write less than asked when
    /// space runs out (`ENOSPC` only if nothing could be written).
    fn write_at(&self, _offset: u64, _data: &[u8]) -> KResult<usize> {
        Err(file_op_unsupported(self))
    }

    /// Sets the size, dropping data past it or extending with zeros.
    fn truncate(&self, _len: u64) -> KResult<()> {
        Err(file_op_unsupported(self))
    }

    /// An id of the file's current contents, unique across all files and
    /// filesystems: equal ids mean equal bytes. Every write or truncate gives
    /// a new id; a copy-on-write snapshot shares its source's id until one of
    /// them changes. `None`: the filesystem cannot tell (the kernel's page
    /// cache then does not keep the file's pages from one exec to the next).
    fn content_id(&self) -> Option<u64> {
        None
    }

    /// Called when a regular file is opened for writing, before any write (and before the
    /// `truncate(0)` of `O_TRUNC`, told by `truncating`): a layered filesystem copies the file
    /// up here (without its data when it is about to be truncated), so the open fails
    /// (`ENOSPC`, ...) rather than a later write.
    fn open_for_write(&self, _truncating: bool) -> KResult<()> {
        Ok(())
    }

    /// The value of extended attribute `name` (`ENODATA` if it has none of that name,
    /// `EOPNOTSUPP` on a filesystem without xattrs).
    fn getxattr(&self, _name: &str) -> KResult<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    /// The names of its extended attributes.
    fn listxattr(&self) -> KResult<Vec<String>> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Changes attributes (and sets ctime).
    fn set_attr(&self, _attr: &SetAttr) -> KResult<()> {
        Err(Errno::EPERM)
    }

    /// The driver behind a character-device node, if one is registered.
    fn device(&self) -> Option<Arc<dyn CharDevice>> {
        None
    }
}

/// Errno for a directory operation the inode cannot do: `ENOTDIR` on a
/// non-directory, `EPERM` on a directory of a filesystem without it.
pub fn dir_op_unsupported<I: Inode + ?Sized>(inode: &I) -> Errno {
    match inode.kind() {
        Ok(FileKind::Directory) => Errno::EPERM,
        Ok(_) => Errno::ENOTDIR,
        Err(e) => e,
    }
}

/// Errno for a data operation the inode cannot do: `EISDIR` on a directory,
/// `EINVAL` on anything else.
pub fn file_op_unsupported<I: Inode + ?Sized>(inode: &I) -> Errno {
    match inode.kind() {
        Ok(FileKind::Directory) => Errno::EISDIR,
        Ok(_) => Errno::EINVAL,
        Err(e) => e,
    }
}

/// Whether two handles refer to the same inode: the same object, or (for a
/// filesystem that hands out fresh objects) the same inode number. Only
/// meaningful for inodes of one filesystem.
pub fn same_inode(a: &Arc<dyn Inode>, b: &Arc<dyn Inode>) -> bool {
    if core::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)) {
        return true;
    }
    matches!((a.metadata(), b.metadata()), (Ok(x), Ok(y)) if x.ino == y.ino)
}
