//! Operations that add a name: mkdir, mknod, create, symlink, link.
//! Checks follow Linux's `filename_create` order: `EEXIST` for an existing
//! name or a `.`/`..`/root last component, `ENOENT` for a trailing slash on
//! a non-directory, `EROFS`, then `EACCES` (write and search on the
//! directory).

use alloc::sync::Arc;

use errno::{Errno, KResult};

use super::walk::{ParentPath, Walker};
use super::{new_owner, Vfs};
use crate::access::{check_access, is_owner_or_capable, Access, Cap, Cred};
use crate::dentry::Dentry;
use crate::location::Location;
use crate::node::Inode;
use crate::path::{check_name_len, LastComponent};
use crate::types::{DevId, FileKind, Metadata, PATH_MAX, PERM_MASK, S_ISGID, S_ISUID, S_IXGRP};

/// Permission bits `mkdir` keeps from its mode (no set-ID bits).
const MKDIR_PERM_MASK: u32 = 0o1777;

/// A checked place for a new name.
pub(super) struct NewName {
    pub dir: Location,
    pub dir_meta: Metadata,
    pub name: alloc::string::String,
}

impl NewName {
    /// Adds the created inode to the dentry tree and returns its location.
    pub fn located(&self, inode: Arc<dyn Inode>) -> Location {
        let dentry: Arc<Dentry> = self.dir.dentry.child_for(&self.name, inode);
        Location::new(self.dir.mount.clone(), dentry)
    }
}

impl Vfs {
    /// `mkdir(2)`; `perm` already has the umask applied.
    pub fn mkdir(&self, cred: &Cred, cwd: &Location, path: &str, perm: u32) -> KResult<Location> {
        self.make_node(cred, cwd, path, FileKind::Directory, perm & MKDIR_PERM_MASK, DevId::NONE)
    }

    /// Creates a new, empty regular file (`mknod(path, S_IFREG|perm)`):
    /// `EEXIST` if the name exists. See [`Vfs::open`] for `O_CREAT`.
    pub fn create(&self, cred: &Cred, cwd: &Location, path: &str, perm: u32) -> KResult<Location> {
        self.make_node(cred, cwd, path, FileKind::Regular, perm, DevId::NONE)
    }

    /// `mknod(2)` for a regular file, FIFO, socket or device node. Device
    /// nodes need root (`EPERM`); a directory or symlink kind is `EINVAL`.
    pub fn mknod(
        &self,
        cred: &Cred,
        cwd: &Location,
        path: &str,
        kind: FileKind,
        perm: u32,
        rdev: DevId,
    ) -> KResult<Location> {
        if matches!(kind, FileKind::Directory | FileKind::Symlink) {
            return Err(Errno::EINVAL);
        }
        self.make_node(cred, cwd, path, kind, perm, rdev)
    }

    fn make_node(
        &self,
        cred: &Cred,
        cwd: &Location,
        path: &str,
        kind: FileKind,
        perm: u32,
        rdev: DevId,
    ) -> KResult<Location> {
        let parent = Walker::new(self, Some(cred)).parent(cwd, path)?;
        let new = self.new_name(cred, parent, kind == FileKind::Directory)?;
        if matches!(kind, FileKind::CharDevice | FileKind::BlockDevice) && !cred.capable(Cap::MKNOD) {
            return Err(Errno::EPERM);
        }
        let owner = new_owner(&new.dir_meta, cred, kind, perm & PERM_MASK);
        let inode = new.dir.inode().create(&new.name, &owner.node(kind, rdev))?;
        Ok(new.located(inode))
    }

    /// `symlink(2)`: creates `path` pointing at `target` (stored verbatim).
    pub fn symlink(&self, cred: &Cred, cwd: &Location, target: &str, path: &str) -> KResult<Location> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let parent = Walker::new(self, Some(cred)).parent(cwd, path)?;
        let new = self.new_name(cred, parent, false)?;
        let owner = new_owner(&new.dir_meta, cred, FileKind::Symlink, 0o777);
        let inode = new.dir.inode().symlink(&new.name, target, owner.uid, owner.gid)?;
        Ok(new.located(inode))
    }

    /// `link(2)`: `new` becomes another name for `old` (not followed if a
    /// symlink, as `linkat` without `AT_SYMLINK_FOLLOW`).
    pub fn link(&self, cred: &Cred, cwd: &Location, old: &str, new: &str) -> KResult<()> {
        self.link_at(cred, cwd, old, cwd, new, false)
    }

    /// `linkat(2)`: `old` from `old_base`, `new` from `new_base`. `EXDEV`
    /// across mounts; `EPERM` for directories and, for non-owners, files
    /// they could not read and write or set-ID files (`protected_hardlinks`).
    pub fn link_at(
        &self,
        cred: &Cred,
        old_base: &Location,
        old: &str,
        new_base: &Location,
        new: &str,
        follow: bool,
    ) -> KResult<()> {
        let source = Walker::new(self, Some(cred)).resolve(old_base, old, follow)?;
        let parent = Walker::new(self, Some(cred)).parent(new_base, new)?;
        let target = self.new_name(cred, parent, false)?;
        if !Arc::ptr_eq(&source.mount, &target.dir.mount) {
            return Err(Errno::EXDEV);
        }
        let meta = source.metadata()?;
        if meta.is_dir() {
            return Err(Errno::EPERM);
        }
        check_hardlink_allowed(&meta, cred)?;
        target.dir.inode().link(&target.name, source.inode())?;
        target.located(source.inode().clone());
        Ok(())
    }

    /// Checks a name about to be created in `parent.dir` (see module doc).
    pub(super) fn new_name(&self, cred: &Cred, parent: ParentPath, want_dir: bool) -> KResult<NewName> {
        let LastComponent::Name(name) = parent.last else { return Err(Errno::EEXIST) };
        check_name_len(&name)?;
        match parent.dir.dentry.lookup(&name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        if parent.trailing_slash && !want_dir {
            return Err(Errno::ENOENT);
        }
        parent.dir.check_writable()?;
        let dir_meta = parent.dir.metadata()?;
        check_access(&dir_meta, cred, Access::WRITE | Access::EXEC)?;
        Ok(NewName { dir: parent.dir, dir_meta, name })
    }
}

/// Linux's `protected_hardlinks`: a non-owner without `CAP_FOWNER` may only
/// link a regular, non-set-ID file they can read and write.
fn check_hardlink_allowed(meta: &Metadata, cred: &Cred) -> KResult<()> {
    if is_owner_or_capable(meta, cred) {
        return Ok(());
    }
    let setid = meta.perm & S_ISUID != 0 || meta.perm & (S_ISGID | S_IXGRP) == (S_ISGID | S_IXGRP);
    let safe = meta.kind == FileKind::Regular
        && !setid
        && check_access(meta, cred, Access::READ | Access::WRITE).is_ok();
    if safe {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}
