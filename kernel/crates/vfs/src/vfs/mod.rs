//! [`Vfs`]: one mount namespace. It owns a root mount and a mount table, and
//! provides path resolution and the Linux file operations over them.
//!
//! Confinement: the namespace root is the top. `..` there stays there, an
//! absolute symlink restarts at this namespace's root, and a location from
//! another namespace is refused (`EINVAL`), so nothing outside the root
//! mount's tree and the filesystems mounted into it can be reached.
//!
//! chroot: [`Vfs::chroot`] makes a view of the same namespace (same mount
//! table, same id) whose `/` is a directory inside it. Absolute paths and
//! `..` stop there, as Linux's process root; a location already held from
//! outside that directory (a cwd or a dirfd from before the chroot) still
//! works, exactly as on Linux, but can never climb above the namespace root.

mod attr;
mod create;
mod open;
mod query;
mod remove;
mod walk;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use errno::{Errno, KResult};
use spin::RwLock;

use crate::dentry::Dentry;
use crate::location::Location;
use crate::mount::{Attachment, Mount, MountInfo, MountOptions};
use crate::node::FileSystem;
use crate::access::Cred;
use crate::types::{DevId, FileKind, Metadata, NewNode, S_ISGID, S_IXGRP};

pub use open::OpenFlags;
pub use walk::ParentPath;

/// A mount namespace: what one container (or the host) sees as `/`; or a
/// chroot view of one.
pub struct Vfs {
    id: u64,
    table: Arc<MountTable>,
    /// The view's `/` when chrooted (`None`: the namespace root).
    chroot: Option<Location>,
}

/// The mounts of a namespace, shared by its chroot views.
struct MountTable {
    root: Arc<Mount>,
    /// Attached mounts other than the root, oldest first.
    mounts: RwLock<Vec<Arc<Mount>>>,
    next_mount_id: AtomicU64,
}

impl Vfs {
    /// A namespace whose `/` is `root_fs` (read-write, source = its type).
    pub fn new(root_fs: Arc<dyn FileSystem>) -> Vfs {
        let options = MountOptions::new(root_fs.fs_type());
        Vfs::with_root_options(root_fs, options)
    }

    /// A namespace whose `/` is `root_fs`, mounted with `options`.
    pub fn with_root_options(root_fs: Arc<dyn FileSystem>, options: MountOptions) -> Vfs {
        static NEXT_NAMESPACE: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_NAMESPACE.fetch_add(1, Ordering::Relaxed);
        let root_dentry = Dentry::root(root_fs.root());
        let root = Arc::new(Mount::new(1, id, root_fs, root_dentry, options, None));
        let table = MountTable { root, mounts: RwLock::new(Vec::new()), next_mount_id: AtomicU64::new(2) };
        Vfs { id, table: Arc::new(table), chroot: None }
    }

    /// The view's `/`: the namespace's (the top of anything mounted over
    /// it), or the chroot directory.
    pub fn root(&self) -> Location {
        match &self.chroot {
            Some(root) => root.clone(),
            None => self.cross_mounts(Location::mount_root(self.table.root.clone())),
        }
    }

    /// chroot(2): a view of this namespace whose `/` is `dir` (a directory
    /// of this namespace: `EINVAL` otherwise, `ENOTDIR` if not a directory).
    pub fn chroot(&self, dir: &Location) -> KResult<Vfs> {
        self.check_namespace(dir)?;
        if dir.kind()? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok(Vfs { id: self.id, table: self.table.clone(), chroot: Some(dir.clone()) })
    }

    /// Whether `loc` is this view's `/` (a chroot's, or the namespace root).
    fn is_view_root(&self, loc: &Location) -> bool {
        match &self.chroot {
            Some(root) => root.same_as(loc),
            None => false,
        }
    }

    /// The absolute path of `loc` as this view names it (getcwd): from the
    /// chroot directory if chrooted; a location outside the view's `/`
    /// gets Linux's `(unreachable)` prefix and its path in the namespace.
    pub fn path_of(&self, loc: &Location) -> alloc::string::String {
        let Some(root) = &self.chroot else { return loc.path() };
        let (full, top) = (loc.path(), root.path());
        if top == "/" {
            return full;
        }
        match full.strip_prefix(top.as_str()) {
            Some("") => alloc::string::String::from("/"),
            Some(rest) if rest.starts_with('/') => alloc::string::String::from(rest),
            _ if full.starts_with("(unreachable)") => full,
            _ => alloc::format!("(unreachable){full}"),
        }
    }

    /// Mounts `fs` on the directory `path` (resolved from the root, following
    /// symlinks), as `mount(2)` does.
    pub fn mount(&self, path: &str, fs: Arc<dyn FileSystem>, options: MountOptions) -> KResult<()> {
        let target = self.resolve(&self.root(), path, true)?;
        self.mount_at(&target, fs, options)
    }

    /// Mounts `fs` on `target`. A directory takes a filesystem whose root is
    /// a directory, a file one whose root is not (`ENOTDIR` otherwise).
    /// Mounting on a mount point stacks the new mount on top.
    pub fn mount_at(&self, target: &Location, fs: Arc<dyn FileSystem>, options: MountOptions) -> KResult<()> {
        let root = Dentry::root(fs.root());
        self.attach(target, fs, root, options)
    }

    /// Bind-mounts what `source` names (a directory or file, possibly from
    /// another namespace: how volumes enter a container) on `target`.
    pub fn bind(&self, source: &Location, target: &Location, options: MountOptions) -> KResult<()> {
        let root = Dentry::root(source.inode().clone());
        self.attach(target, source.mount.fs.clone(), root, options)
    }

    fn attach(
        &self,
        target: &Location,
        fs: Arc<dyn FileSystem>,
        root: Arc<Dentry>,
        options: MountOptions,
    ) -> KResult<()> {
        self.check_namespace(target)?;
        if target.is_unlinked() {
            return Err(Errno::ENOENT);
        }
        let target_is_dir = target.kind()? == FileKind::Directory;
        let root_is_dir = root.inode().kind()? == FileKind::Directory;
        if target_is_dir != root_is_dir {
            return Err(Errno::ENOTDIR);
        }
        let attachment = Attachment { parent: target.mount.clone(), mountpoint: target.dentry.clone() };
        let id = self.table.next_mount_id.fetch_add(1, Ordering::Relaxed);
        let mount = Mount::new(id, self.id, fs, root, options, Some(attachment));
        self.table.mounts.write().push(Arc::new(mount));
        Ok(())
    }

    /// `mount(2)` with `MS_REMOUNT`: new per-mount flags for the mount whose
    /// root `target` is (`EINVAL` otherwise).
    pub fn remount(&self, target: &Location, flags: crate::mount::MountFlags) -> KResult<()> {
        self.check_namespace(target)?;
        if !target.is_mount_root() {
            return Err(Errno::EINVAL);
        }
        target.mount.set_flags(flags);
        Ok(())
    }

    /// Unmounts the mount whose root `path` names: `EINVAL` if it is not a
    /// mount's root, `EBUSY` for the namespace root, a mount with mounts
    /// on it, or one still in use (a location inside it is held).
    pub fn umount(&self, path: &str) -> KResult<()> {
        let target = self.resolve(&self.root(), path, true)?;
        self.umount_at(target, false)
    }

    /// `umount2(path, MNT_DETACH)`: detaches the mount and everything mounted
    /// below it even if busy; locations inside keep working, detached.
    pub fn umount_detach(&self, path: &str) -> KResult<()> {
        let target = self.resolve(&self.root(), path, true)?;
        self.umount_at(target, true)
    }

    /// Unmounts the mount `target` is the root of (see [`Vfs::umount`]).
    pub fn umount_at(&self, target: Location, detach: bool) -> KResult<()> {
        self.check_namespace(&target)?;
        if !target.is_mount_root() {
            return Err(Errno::EINVAL);
        }
        let mount = target.mount;
        drop(target.dentry);
        if Arc::ptr_eq(&mount, &self.table.root) {
            return Err(Errno::EBUSY);
        }
        let mut table = self.table.mounts.write();
        let Some(index) = table.iter().position(|m| Arc::ptr_eq(m, &mount)) else {
            return Err(Errno::EINVAL);
        };
        if !detach {
            let has_children = table.iter().any(|m| is_child_of(m, &mount));
            // Held by the table and by `mount` here, and nothing else.
            if has_children || Arc::strong_count(&mount) > 2 {
                return Err(Errno::EBUSY);
            }
            table.remove(index);
            mount.detach();
            return Ok(());
        }
        let mut doomed = alloc::vec![mount];
        let mut i = 0;
        while let Some(parent) = doomed.get(i).cloned() {
            doomed.extend(table.iter().filter(|m| is_child_of(m, &parent)).cloned());
            i += 1;
        }
        table.retain(|m| !doomed.iter().any(|d| Arc::ptr_eq(d, m)));
        for m in &doomed {
            m.detach();
        }
        Ok(())
    }

    /// The mount table, root first then in mount order (for `/proc/mounts`,
    /// `/proc/self/mountinfo` and the `mount` command).
    pub fn mounts(&self) -> Vec<MountInfo> {
        let table = self.table.mounts.read();
        core::iter::once(&self.table.root).chain(table.iter()).map(|m| mount_info(m)).collect()
    }

    /// Follows mounts stacked on `loc` down to the topmost one's root.
    pub(crate) fn cross_mounts(&self, mut loc: Location) -> Location {
        while loc.dentry.is_mountpoint() {
            let table = self.table.mounts.read();
            let above = table.iter().rev().find(|m| {
                m.attachment()
                    .is_some_and(|at| Arc::ptr_eq(&at.parent, &loc.mount) && Arc::ptr_eq(&at.mountpoint, &loc.dentry))
            });
            match above {
                Some(m) => loc = Location::mount_root(m.clone()),
                None => break,
            }
        }
        loc
    }

    /// Where `..` leads from `loc`: up through mount points, never above the
    /// view's `/` (a chroot directory, reached on the way up) nor the
    /// namespace root (nor above the root of a detached tree).
    pub(crate) fn dotdot(&self, loc: &Location) -> Location {
        let mut here = loc.clone();
        if self.is_view_root(&here) {
            return here;
        }
        while here.is_mount_root() {
            match here.mount.attachment() {
                Some(at) => here = Location::new(at.parent, at.mountpoint),
                None => return self.cross_mounts(here),
            }
            if self.is_view_root(&here) {
                return loc.clone();
            }
        }
        match here.dentry.parent() {
            Some(parent) => self.cross_mounts(Location::new(here.mount, parent)),
            None => here,
        }
    }

    /// `EINVAL` for a location from another namespace.
    pub(crate) fn check_namespace(&self, loc: &Location) -> KResult<()> {
        if loc.mount.namespace == self.id {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }
}

fn is_child_of(mount: &Mount, parent: &Arc<Mount>) -> bool {
    mount.attachment().is_some_and(|at| Arc::ptr_eq(&at.parent, parent))
}

fn mount_info(mount: &Arc<Mount>) -> MountInfo {
    let parent_id = mount.attachment().map_or(mount.id, |at| at.parent.id);
    MountInfo {
        id: mount.id,
        parent_id,
        dev: mount.fs.id(),
        source: mount.options.source.clone(),
        target: Location::mount_root(mount.clone()).path(),
        fs_type: mount.fs.fs_type(),
        options: mount.option_string(),
        flags: mount.flags(),
    }
}

/// Owner and permission bits of a node about to be created.
pub(crate) struct NewOwner {
    pub uid: u32,
    pub gid: u32,
    pub perm: u32,
}

impl NewOwner {
    /// The creation request for a node of `kind` with this ownership.
    pub fn node(&self, kind: FileKind, rdev: DevId) -> NewNode {
        NewNode { kind, perm: self.perm, uid: self.uid, gid: self.gid, rdev }
    }
}

/// Ownership and mode of a new node per Linux's `inode_init_owner`: the
/// caller's uid; the directory's gid if it is set-group-ID (new directories
/// inherit the bit), else the caller's gid; a set-group-ID bit the caller
/// could not have set is dropped.
pub(crate) fn new_owner(dir: &Metadata, cred: &Cred, kind: FileKind, perm: u32) -> NewOwner {
    let mut perm = perm;
    let gid = if dir.perm & S_ISGID != 0 {
        if kind == FileKind::Directory {
            perm |= S_ISGID;
        } else if perm & (S_ISGID | S_IXGRP) == (S_ISGID | S_IXGRP)
            && !cred.in_group(dir.gid)
            && !cred.capable(crate::access::Cap::FSETID)
        {
            perm &= !S_ISGID;
        }
        dir.gid
    } else {
        cred.fsgid
    };
    NewOwner { uid: cred.fsuid, gid, perm }
}
