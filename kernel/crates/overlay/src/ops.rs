//! Directory changes: creating names (over whiteouts), hard links, unlink/rmdir leaving
//! whiteouts, and rename.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use errno::{Errno, KResult};
use vfs::{DevId, FileKind, Inode, NewNode};

use crate::inode::{is_whiteout, Link, OvlInode, State};

/// A whiteout as the upper layer stores it.
const WHITEOUT: NewNode = NewNode { kind: FileKind::CharDevice, perm: 0, uid: 0, gid: 0, rdev: DevId::NONE };

/// What the upper directory has at a name.
enum UpperEntry {
    Absent,
    Whiteout,
    Present,
}

fn upper_entry(dir: &Arc<dyn Inode>, name: &str) -> KResult<UpperEntry> {
    match dir.lookup(name) {
        Ok(c) if is_whiteout(&c)? => Ok(UpperEntry::Whiteout),
        Ok(_) => Ok(UpperEntry::Present),
        Err(Errno::ENOENT) => Ok(UpperEntry::Absent),
        Err(e) => Err(e),
    }
}

impl OvlInode {
    fn downcast(inode: &Arc<dyn Inode>) -> Option<&OvlInode> {
        inode.as_any().downcast_ref::<OvlInode>()
    }

    fn same_overlay(&self, other: &OvlInode) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// A name free in the upper directory `dir`, for a whiteout about to be renamed into place.
    fn temp_name(&self, dir: &Arc<dyn Inode>) -> KResult<String> {
        for _ in 0..16 {
            let name = format!(".ovl-whiteout-{}", self.shared.seq.fetch_add(1, Ordering::Relaxed));
            if matches!(upper_entry(dir, &name)?, UpperEntry::Absent) {
                return Ok(name);
            }
        }
        Err(Errno::EEXIST)
    }

    /// Replaces `name` in upper directory `dir` by a whiteout in one step when something is
    /// there (a whiteout made aside, then renamed over it), or makes one.
    fn whiteout(&self, dir: &Arc<dyn Inode>, name: &str) -> KResult<()> {
        match upper_entry(dir, name)? {
            UpperEntry::Whiteout => Ok(()),
            UpperEntry::Absent => dir.create(name, &WHITEOUT).map(|_| ()),
            UpperEntry::Present => {
                let temp = self.temp_name(dir)?;
                dir.create(&temp, &WHITEOUT)?;
                dir.rename(&temp, dir, name).inspect_err(|_| {
                    let _ = dir.unlink(&temp);
                })
            }
        }
    }

    /// Removes the whiteouts an upper directory holds (before it is removed or replaced; the
    /// caller checked that the merged directory is empty).
    fn clear_whiteouts(dir: &Arc<dyn Inode>) -> KResult<()> {
        let mut names = Vec::new();
        let mut cookie = 0;
        while let Some((e, next)) = dir.readdir(cookie)? {
            if next <= cookie {
                return Err(Errno::EIO);
            }
            cookie = next;
            if e.kind == FileKind::CharDevice && is_whiteout(&dir.lookup(&e.name)?)? {
                names.push(e.name);
            }
        }
        for name in names {
            dir.unlink(&name)?;
        }
        Ok(())
    }

    /// Whether this merged directory lists nothing.
    pub(crate) fn is_empty_dir(&self) -> KResult<bool> {
        Ok(self.merged_readdir(0)?.is_none())
    }

    /// Makes a new name with `make` in the upper directory (copied up first), over a
    /// whiteout if there is one; a directory made over a whiteout is opaque.
    pub(crate) fn make_child(
        &self,
        name: &str,
        kind: FileKind,
        make: impl FnOnce(&Arc<dyn Inode>) -> KResult<Arc<dyn Inode>>,
    ) -> KResult<Arc<OvlInode>> {
        if self.kind != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        match self.child(name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let dir = self.copy_up(None)?;
        let over_whiteout = matches!(upper_entry(&dir, name)?, UpperEntry::Whiteout);
        if over_whiteout {
            dir.unlink(name)?;
        }
        let created = match make(&dir) {
            Ok(c) => c,
            Err(e) => {
                if over_whiteout {
                    let _ = dir.create(name, &WHITEOUT);
                }
                return Err(e);
            }
        };
        if kind == FileKind::CharDevice && created.metadata()?.rdev == DevId::NONE {
            // A device 0/0 would read as a whiteout: refuse it, as it could not be seen.
            let _ = dir.unlink(name);
            return Err(Errno::EPERM);
        }
        if kind == FileKind::Directory && over_whiteout {
            self.shared.opaque.lock().insert(created.metadata()?.ino);
        }
        let state = State { upper: Some(created), lowers: Vec::new() };
        let node = Self::make(self.shared.clone(), kind, Link { parent: Some(self.this()?), name: String::from(name) }, state);
        self.remember(name, &node);
        Ok(node)
    }

    /// `link(2)`: the target is copied up and linked in the upper layer.
    pub(crate) fn link_to(&self, name: &str, target: &Arc<dyn Inode>) -> KResult<()> {
        let t = Self::downcast(target).filter(|t| self.same_overlay(t)).ok_or(Errno::EXDEV)?;
        if t.kind == FileKind::Directory {
            return Err(Errno::EPERM);
        }
        let target_upper = t.copy_up(None)?;
        self.make_child(name, t.kind, |dir| dir.link(name, &target_upper).map(|()| target_upper.clone()))?;
        Ok(())
    }

    /// `unlink(2)` / `rmdir(2)` of `name`.
    pub(crate) fn remove(&self, name: &str, dir_wanted: bool) -> KResult<()> {
        let victim = self.child(name)?;
        let is_dir = victim.kind == FileKind::Directory;
        match (dir_wanted, is_dir) {
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            _ => {}
        }
        if is_dir && !victim.is_empty_dir()? {
            return Err(Errno::ENOTEMPTY);
        }
        let lowers = self.snapshot().lowers;
        let below = self.lower_provides(name, &lowers)?.is_some();
        let dir = self.copy_up(None)?;
        match (victim.upper(), is_dir) {
            (Some(up), true) => {
                Self::clear_whiteouts(&up)?;
                let ino = up.metadata()?.ino;
                dir.rmdir(name)?;
                self.shared.opaque.lock().remove(&ino);
                if below {
                    dir.create(name, &WHITEOUT)?;
                }
            }
            (Some(_), false) if below => self.whiteout(&dir, name)?,
            (Some(_), false) => dir.unlink(name)?,
            (None, _) => self.whiteout(&dir, name)?,
        }
        self.forget(name, &victim);
        Ok(())
    }

    /// `rename(2)` within the overlay (the VFS has checked kinds, emptiness of a directory
    /// victim by its own rules, and ancestry).
    pub(crate) fn rename_to(&self, old_name: &str, new_dir: &Arc<dyn Inode>, new_name: &str) -> KResult<()> {
        let target = Self::downcast(new_dir).filter(|t| self.same_overlay(t)).ok_or(Errno::EXDEV)?;
        if self.kind != FileKind::Directory || target.kind != FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        let source = self.child(old_name)?;
        let victim = match target.child(new_name) {
            Ok(v) => Some(v),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        if let Some(v) = &victim {
            if Arc::ptr_eq(v, &source) {
                return Ok(());
            }
            match (source.kind == FileKind::Directory, v.kind == FileKind::Directory) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !v.is_empty_dir()? => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
        }
        if source.kind == FileKind::Directory && !source.snapshot().lowers.is_empty() {
            // A directory with lower parts cannot move without redirects: userspace copies.
            return Err(Errno::EXDEV);
        }
        let old_below = self.lower_provides(old_name, &self.snapshot().lowers)?.is_some();
        let new_below = target.lower_provides(new_name, &target.snapshot().lowers)?.is_some();
        let moved = source.copy_up(None)?;
        let old_dir = self.copy_up(None)?;
        let new_upper = target.copy_up(None)?;
        match upper_entry(&new_upper, new_name)? {
            UpperEntry::Whiteout if source.kind == FileKind::Directory => new_upper.unlink(new_name)?,
            UpperEntry::Present if source.kind == FileKind::Directory => {
                if let Some(up) = victim.as_ref().and_then(|v| v.upper()) {
                    Self::clear_whiteouts(&up)?;
                }
            }
            _ => {}
        }
        old_dir.rename(old_name, &new_upper, new_name)?;
        if old_below {
            // Best effort after the move: the name must not show the lower entry again.
            self.whiteout(&old_dir, old_name)?;
        }
        if source.kind == FileKind::Directory && new_below {
            self.shared.opaque.lock().insert(moved.metadata()?.ino);
        }
        self.forget(old_name, &source);
        if let Some(v) = &victim {
            target.forget(new_name, v);
            if let Some(Ok(m)) = v.upper().filter(|_| v.kind == FileKind::Directory).map(|u| u.metadata()) {
                self.shared.opaque.lock().remove(&m.ino);
            }
        }
        {
            let mut link = source.link.write();
            link.parent = Some(target.this()?);
            link.name = String::from(new_name);
        }
        target.remember(new_name, &source);
        Ok(())
    }
}
