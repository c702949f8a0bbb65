//! [`FatInode`]: one FAT node (file or directory) as a [`vfs::Inode`].
//!
//! Lifetime: every `FatInode` but the root's was returned by a FAT `lookup`, `create` or
//! `mkdir`, each of which counts one lookup of its node, and gives that lookup back with
//! `forget(id, 1)` when dropped. So a node removed while the VFS still holds it keeps its
//! data until the last handle goes, as on Linux.

use alloc::sync::Arc;
use core::any::Any;

use errno::{Errno, KResult};
use fat32::{BlockDevice, FatFs, NodeId};
use vfs::{DirEntry, FileKind, FileSystem, Inode, Metadata, NewNode, SetAttr, SetTime, PERM_MASK};

use crate::fs::{file_kind, Shared};
use crate::meta::{metadata, valid_name};
use crate::options::ModeChange;

/// A file or directory of a [`crate::FatVfs`].
pub struct FatInode<D: BlockDevice + 'static> {
    shared: Arc<Shared<D>>,
    id: NodeId,
    /// Fixed for the life of a node, kept so path walks need no FAT call.
    kind: FileKind,
}

impl<D: BlockDevice + 'static> FatInode<D> {
    /// The root directory's inode (the root is never looked up or forgotten).
    pub(crate) fn root(shared: Arc<Shared<D>>) -> FatInode<D> {
        let id = shared.fat.root();
        FatInode { shared, id, kind: FileKind::Directory }
    }

    /// The FAT node this inode stands for.
    pub fn node_id(&self) -> NodeId {
        self.id
    }

    fn fat(&self) -> &FatFs<D> {
        &self.shared.fat
    }

    /// Wraps `id`, whose lookup was just counted, in an inode that will give it back. The
    /// kind is read from the FAT unless already known.
    fn adopt(&self, id: NodeId, kind: Option<FileKind>) -> KResult<Arc<dyn Inode>> {
        let mut inode = FatInode { shared: self.shared.clone(), id, kind: kind.unwrap_or(FileKind::Regular) };
        if kind.is_none() {
            // On error `inode` is dropped, which gives the lookup back.
            inode.kind = file_kind(self.fat().metadata(id)?.kind);
        }
        Ok(Arc::new(inode))
    }

    fn require_dir(&self) -> KResult<()> {
        match self.kind {
            FileKind::Directory => Ok(()),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn require_file(&self) -> KResult<()> {
        match self.kind {
            FileKind::Directory => Err(Errno::EISDIR),
            _ => Ok(()),
        }
    }

    /// Unix seconds for a requested time (FAT keeps whole seconds at best).
    fn seconds(&self, time: SetTime) -> i64 {
        match time {
            SetTime::Now => self.shared.clock.now().sec,
            SetTime::At(t) => t.sec,
        }
    }
}

impl<D: BlockDevice + 'static> Drop for FatInode<D> {
    fn drop(&mut self) {
        if self.id != self.shared.fat.root() {
            // Only fails on a device error while freeing an unlinked node's clusters; they
            // stay allocated (lost until fsck), which is all that can be done here.
            let _ = self.shared.fat.forget(self.id, 1);
        }
    }
}

impl<D: BlockDevice + 'static> Inode for FatInode<D> {
    fn metadata(&self) -> KResult<Metadata> {
        metadata(&self.shared, self.id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn fs(&self) -> Option<Arc<dyn FileSystem>> {
        self.shared.fs()
    }

    fn kind(&self) -> KResult<FileKind> {
        Ok(self.kind)
    }

    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        self.require_dir()?;
        let id = self.fat().lookup(self.id, name)?;
        self.adopt(id, None)
    }

    /// Regular files and directories only: FAT cannot hold device nodes, FIFOs or sockets
    /// (`EPERM`, as vfat has no `mknod`). The mode and owner are not stored.
    fn create(&self, name: &str, node: &NewNode) -> KResult<Arc<dyn Inode>> {
        self.require_dir()?;
        let id = match node.kind {
            FileKind::Regular => self.fat().create(self.id, name)?,
            FileKind::Directory => self.fat().mkdir(self.id, name)?,
            _ => return Err(Errno::EPERM),
        };
        self.adopt(id, Some(node.kind))
    }

    // `symlink` and `link` keep the trait defaults: `EPERM` in a directory, as vfat has
    // neither operation.

    fn unlink(&self, name: &str) -> KResult<()> {
        self.require_dir()?;
        self.fat().unlink(self.id, name)
    }

    fn rmdir(&self, name: &str) -> KResult<()> {
        self.require_dir()?;
        self.fat().rmdir(self.id, name)
    }

    fn rename(&self, old_name: &str, new_dir: &Arc<dyn Inode>, new_name: &str) -> KResult<()> {
        self.require_dir()?;
        let Some(target) = new_dir.as_any().downcast_ref::<FatInode<D>>() else { return Err(Errno::EXDEV) };
        if !Arc::ptr_eq(&self.shared, &target.shared) {
            return Err(Errno::EXDEV);
        }
        target.require_dir()?;
        self.fat().rename(self.id, old_name, target.id, new_name)
    }

    /// Cookies are FAT directory byte offsets. Entries whose names are not valid single
    /// components (possible on a corrupt volume: empty, `.`, `..`, containing `/` or NUL)
    /// are skipped, so the VFS never sees them.
    fn readdir(&self, cookie: u64) -> KResult<Option<(DirEntry, u64)>> {
        self.require_dir()?;
        let mut offset = cookie;
        loop {
            let Some(item) = self.fat().readdir(self.id, offset, 1)?.into_iter().next() else { return Ok(None) };
            if item.next_offset <= offset {
                return Err(Errno::EIO);
            }
            offset = item.next_offset;
            if valid_name(&item.name) {
                let entry = DirEntry { ino: item.ino, kind: file_kind(item.kind), name: item.name };
                return Ok(Some((entry, offset)));
            }
        }
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        self.require_file()?;
        self.fat().read_at(self.id, offset, buf)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> KResult<usize> {
        self.require_file()?;
        self.fat().write_at(self.id, offset, data)
    }

    fn truncate(&self, len: u64) -> KResult<()> {
        self.require_file()?;
        self.fat().truncate(self.id, len)
    }

    /// Linux `fat_setattr`: owner changes other than to the mount's uid/gid and set-ID or
    /// sticky bits are `EPERM`; modes FAT cannot show are ignored; times go to the entry.
    /// Toggling the read-only attribute (chmod a-w / u+w of a file) is not supported by
    /// `fat32` yet: `EPERM`.
    fn set_attr(&self, attr: &SetAttr) -> KResult<()> {
        let options = &self.shared.options;
        options.check_owner(attr.uid, attr.gid)?;
        if let Some(mode) = attr.mode {
            let meta = self.fat().metadata(self.id)?;
            let current = options.perm(self.kind, meta.readonly);
            match options.chmod(self.kind, current, mode & PERM_MASK)? {
                ModeChange::Nothing => {}
                ModeChange::ReadOnly(_) => return Err(Errno::EPERM),
            }
        }
        let atime = attr.atime.map(|t| self.seconds(t));
        let mtime = attr.mtime.map(|t| self.seconds(t));
        if atime.is_some() || mtime.is_some() {
            self.fat().set_times(self.id, atime, mtime)?;
        }
        Ok(())
    }
}
