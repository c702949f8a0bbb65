//! [`Location`]: a resolved place in a namespace (mount + dentry), the VFS's
//! handle for a cwd, an open file or a directory being listed.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use crate::dentry::Dentry;
use crate::mount::{Mount, MountFlags};
use crate::node::{FileSystem, Inode, READDIR_COOKIE_LIMIT};
use crate::types::{DirEntry, FileKind, Metadata, Stat, StatFs};

/// Where a path led: an inode, the mount it was reached through, and its
/// place in that mount's tree (for `..` and [`Location::path`]). Cheap to
/// clone; holding one keeps its mount busy (`umount` gives `EBUSY`).
#[derive(Clone)]
pub struct Location {
    pub(crate) mount: Arc<Mount>,
    pub(crate) dentry: Arc<Dentry>,
}

/// The readdir position after `.`; filesystem cookies start after `..`.
const DOTDOT_COOKIE: u64 = 1;
const FIRST_FS_COOKIE: u64 = 2;

impl Location {
    pub(crate) fn new(mount: Arc<Mount>, dentry: Arc<Dentry>) -> Location {
        Location { mount, dentry }
    }

    /// The mount's root: where a mounted filesystem is entered.
    pub(crate) fn mount_root(mount: Arc<Mount>) -> Location {
        let dentry = mount.root.clone();
        Location { mount, dentry }
    }

    pub(crate) fn is_mount_root(&self) -> bool {
        Arc::ptr_eq(&self.dentry, &self.mount.root)
    }

    pub fn inode(&self) -> &Arc<dyn Inode> {
        self.dentry.inode()
    }

    pub fn metadata(&self) -> KResult<Metadata> {
        self.inode().metadata()
    }

    pub fn kind(&self) -> KResult<FileKind> {
        self.inode().kind()
    }

    /// `stat(2)` for this location.
    pub fn stat(&self) -> KResult<Stat> {
        Ok(Stat { dev: self.mount.fs.id(), meta: self.metadata()? })
    }

    /// `statfs(2)` for this location, with the mount's flags.
    pub fn statfs(&self) -> KResult<StatFs> {
        let mut st = self.mount.fs.statfs()?;
        st.flags |= self.mount.flags().statfs_flags();
        Ok(st)
    }

    /// The filesystem this location is on.
    pub fn filesystem(&self) -> &Arc<dyn FileSystem> {
        &self.mount.fs
    }

    pub fn mount_flags(&self) -> MountFlags {
        self.mount.flags()
    }

    /// `EROFS` on a read-only mount.
    pub(crate) fn check_writable(&self) -> KResult<()> {
        if self.mount.flags().read_only {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// Whether both name the same place (same mount, same dentry).
    pub fn same_as(&self, other: &Location) -> bool {
        Arc::ptr_eq(&self.mount, &other.mount) && Arc::ptr_eq(&self.dentry, &other.dentry)
    }

    /// The directory holding this entry and the entry's name, within the
    /// same mount (None for a mount's root or a removed entry): where
    /// directory watches (inotify) see a change of a file.
    pub fn parent_and_name(&self) -> Option<(Location, String)> {
        if self.is_mount_root() || self.is_unlinked() {
            return None;
        }
        let parent = self.dentry.parent()?;
        Some((Location { mount: self.mount.clone(), dentry: parent }, self.dentry.name()))
    }

    /// Whether this was removed through the VFS (getcwd then fails with
    /// `ENOENT`, `/proc/self/cwd` shows ` (deleted)`).
    pub fn is_unlinked(&self) -> bool {
        self.dentry.is_unlinked()
    }

    /// Absolute path in the namespace, for getcwd and `/proc/self/cwd`.
    /// A location in a detached (lazily unmounted) tree gets Linux's
    /// `(unreachable)` prefix.
    pub fn path(&self) -> String {
        let mut names: Vec<String> = Vec::new();
        let mut mount = self.mount.clone();
        let mut dentry = self.dentry.clone();
        let reachable = loop {
            if Arc::ptr_eq(&dentry, &mount.root) {
                match mount.attachment() {
                    Some(at) => {
                        mount = at.parent;
                        dentry = at.mountpoint;
                        continue;
                    }
                    None => break mount.is_namespace_root,
                }
            }
            match dentry.parent() {
                Some(parent) => {
                    names.push(dentry.name());
                    dentry = parent;
                }
                None => break false,
            }
        };
        let mut out = String::from(if reachable { "" } else { "(unreachable)" });
        for name in names.iter().rev() {
            out.push('/');
            out.push_str(name);
        }
        if out.is_empty() || !reachable && names.is_empty() {
            out.push('/');
        }
        out
    }

    /// One step of `getdents64`: `.` at cookie 0, `..` at 1, then the
    /// filesystem's entries. `..` reports the parent within the same
    /// filesystem (a mount root reports itself, as on Linux).
    pub fn readdir(&self, cookie: u64) -> KResult<Option<(DirEntry, u64)>> {
        match cookie {
            0 | DOTDOT_COOKIE => {
                let meta = self.metadata()?;
                if !meta.is_dir() {
                    return Err(Errno::ENOTDIR);
                }
                let (name, ino) = if cookie == 0 {
                    (".", meta.ino)
                } else {
                    let parent = if self.is_mount_root() { None } else { self.dentry.parent() };
                    let ino = match parent {
                        Some(parent) => parent.inode().metadata()?.ino,
                        None => meta.ino,
                    };
                    ("..", ino)
                };
                Ok(Some((DirEntry { ino, kind: FileKind::Directory, name: String::from(name) }, cookie + 1)))
            }
            _ => {
                let fs_cookie = cookie - FIRST_FS_COOKIE;
                let Some((entry, next)) = self.inode().readdir(fs_cookie)? else { return Ok(None) };
                if next >= READDIR_COOKIE_LIMIT {
                    return Err(Errno::EOVERFLOW);
                }
                Ok(Some((entry, next + FIRST_FS_COOKIE)))
            }
        }
    }
}

impl core::fmt::Debug for Location {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Location").field("mount", &self.mount.id).field("path", &self.path()).finish()
    }
}
