//! Operations that remove or move a name: unlink, rmdir, rename, with
//! Linux's checks in Linux's order (`do_unlinkat`, `do_rmdir`,
//! `do_renameat2`, `may_delete`, `vfs_rename`).

use alloc::sync::Arc;

use errno::{Errno, KResult};

use super::walk::Walker;
use super::Vfs;
use crate::access::{check_access, check_delete, Access, Cred};
use crate::dentry::Dentry;
use crate::location::Location;
use crate::node::same_inode;
use crate::path::{check_name_len, LastComponent};
use crate::types::FileKind;

impl Vfs {
    /// `unlink(2)`: removes a non-directory name.
    pub fn unlink(&self, cred: &Cred, cwd: &Location, path: &str) -> KResult<()> {
        let parent = Walker::new(self, Some(cred)).parent(cwd, path)?;
        let LastComponent::Name(name) = &parent.last else { return Err(Errno::EISDIR) };
        check_name_len(name)?;
        parent.dir.check_writable()?;
        let victim = parent.dir.dentry.lookup(name)?;
        let is_dir = victim.inode().kind()? == FileKind::Directory;
        if parent.trailing_slash {
            return Err(if is_dir { Errno::EISDIR } else { Errno::ENOTDIR });
        }
        check_delete(&parent.dir.metadata()?, &victim.inode().metadata()?, cred)?;
        if is_dir {
            return Err(Errno::EISDIR);
        }
        if victim.is_mountpoint() {
            return Err(Errno::EBUSY);
        }
        parent.dir.inode().unlink(name)?;
        victim.unlink_from(&parent.dir.dentry, name);
        Ok(())
    }

    /// `rmdir(2)`: removes an empty directory.
    pub fn rmdir(&self, cred: &Cred, cwd: &Location, path: &str) -> KResult<()> {
        let parent = Walker::new(self, Some(cred)).parent(cwd, path)?;
        let name = match &parent.last {
            LastComponent::Name(name) => name,
            LastComponent::Dot => return Err(Errno::EINVAL),
            LastComponent::DotDot => return Err(Errno::ENOTEMPTY),
            LastComponent::Root => return Err(Errno::EBUSY),
        };
        check_name_len(name)?;
        parent.dir.check_writable()?;
        let victim = parent.dir.dentry.lookup(name)?;
        check_delete(&parent.dir.metadata()?, &victim.inode().metadata()?, cred)?;
        if victim.inode().kind()? != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        if victim.is_mountpoint() {
            return Err(Errno::EBUSY);
        }
        parent.dir.inode().rmdir(name)?;
        victim.unlink_from(&parent.dir.dentry, name);
        Ok(())
    }

    /// `rename(2)`, both paths from `cwd`.
    pub fn rename(&self, cred: &Cred, cwd: &Location, old: &str, new: &str) -> KResult<()> {
        self.rename_at(cred, cwd, old, cwd, new)
    }

    /// `renameat(2)`: replaces a file by a file or an empty directory by a
    /// directory. `EXDEV` across mounts, `EBUSY` for `.`/`..`/root or a mount
    /// point, `EINVAL` moving a directory under itself, `ENOTEMPTY` replacing
    /// one of the source's ancestors or a non-empty directory.
    pub fn rename_at(
        &self,
        cred: &Cred,
        old_base: &Location,
        old: &str,
        new_base: &Location,
        new: &str,
    ) -> KResult<()> {
        let from = Walker::new(self, Some(cred)).parent(old_base, old)?;
        let to = Walker::new(self, Some(cred)).parent(new_base, new)?;
        if !Arc::ptr_eq(&from.dir.mount, &to.dir.mount) {
            return Err(Errno::EXDEV);
        }
        let (LastComponent::Name(old_name), LastComponent::Name(new_name)) = (&from.last, &to.last) else {
            return Err(Errno::EBUSY);
        };
        check_name_len(old_name)?;
        check_name_len(new_name)?;
        from.dir.check_writable()?;
        let source = from.dir.dentry.lookup(old_name)?;
        let victim = match to.dir.dentry.lookup(new_name) {
            Ok(victim) => Some(victim),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        let source_meta = source.inode().metadata()?;
        let moving_dir = source_meta.is_dir();
        if !moving_dir && (from.trailing_slash || to.trailing_slash) {
            return Err(Errno::ENOTDIR);
        }
        if source.is_ancestor_of(&to.dir.dentry) {
            return Err(Errno::EINVAL);
        }
        if victim.as_ref().is_some_and(|v| v.is_ancestor_of(&from.dir.dentry)) {
            return Err(Errno::ENOTEMPTY);
        }
        if victim.as_ref().is_some_and(|v| same_inode(source.inode(), v.inode())) {
            return Ok(());
        }
        check_delete(&from.dir.metadata()?, &source_meta, cred)?;
        let new_dir_meta = to.dir.metadata()?;
        match &victim {
            None => check_access(&new_dir_meta, cred, Access::WRITE | Access::EXEC)?,
            Some(victim) => {
                let victim_meta = victim.inode().metadata()?;
                check_delete(&new_dir_meta, &victim_meta, cred)?;
                match (moving_dir, victim_meta.is_dir()) {
                    (true, false) => return Err(Errno::ENOTDIR),
                    (false, true) => return Err(Errno::EISDIR),
                    _ => {}
                }
            }
        }
        let changes_parent = !Arc::ptr_eq(&from.dir.dentry, &to.dir.dentry);
        if moving_dir && changes_parent {
            // Its `..` entry changes.
            check_access(&source_meta, cred, Access::WRITE)?;
        }
        if source.is_mountpoint() || victim.as_ref().is_some_and(|v| v.is_mountpoint()) {
            return Err(Errno::EBUSY);
        }
        from.dir.inode().rename(old_name, to.dir.inode(), new_name)?;
        if let Some(victim) = &victim {
            victim.unlink_from(&to.dir.dentry, new_name);
        }
        Dentry::move_to(&source, &from.dir.dentry, old_name, &to.dir.dentry, new_name);
        Ok(())
    }
}
