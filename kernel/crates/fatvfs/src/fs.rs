//! [`FatVfs`]: one mounted FAT volume as a [`vfs::FileSystem`], and the state its inodes
//! share.

use alloc::sync::{Arc, Weak};

use errno::KResult;
use fat32::{BlockDevice, FatFs};
use vfs::{alloc_fs_id, Clock, FileKind, FileSystem, Inode, StatFs};

use crate::inode::FatInode;
use crate::options::FatVfsOptions;

/// `f_type` of FAT filesystems in `statfs` (`MSDOS_SUPER_MAGIC`).
pub const MSDOS_SUPER_MAGIC: u64 = 0x4d44;

/// `f_namelen` Linux's vfat reports: 255 UTF-16 units times up to 6 bytes each
/// (`FAT_LFN_LEN * NLS_MAX_CHARSET_SIZE`).
const VFAT_NAME_MAX: u64 = 255 * 6;

/// A FAT volume mounted in the VFS. Its inodes keep the volume alive (an open file
/// outlives an unmount); the volume is synced when the last of them goes.
pub struct FatVfs<D: BlockDevice + 'static> {
    shared: Arc<Shared<D>>,
    root: Arc<FatInode<D>>,
}

/// What every inode of one mounted volume shares.
pub(crate) struct Shared<D: BlockDevice + 'static> {
    pub fat: FatFs<D>,
    pub options: FatVfsOptions,
    pub clock: Arc<dyn Clock>,
    /// Bytes per cluster (`st_blksize`, as Linux's `fat_getattr`).
    pub cluster_size: u32,
    id: u64,
    this: Weak<FatVfs<D>>,
}

impl<D: BlockDevice + 'static> FatVfs<D> {
    /// Presents `fat` with `options` (ownership and masks); `clock` gives the time for
    /// `utimensat(.., UTIME_NOW)`.
    pub fn new(fat: FatFs<D>, clock: Arc<dyn Clock>, options: FatVfsOptions) -> Arc<FatVfs<D>> {
        Arc::new_cyclic(|this| {
            let cluster_size = fat.cluster_size();
            let shared = Arc::new(Shared { fat, options, clock, cluster_size, id: alloc_fs_id(), this: this.clone() });
            let root = Arc::new(FatInode::root(shared.clone()));
            FatVfs { shared, root }
        })
    }

    /// Writes everything pending to the device and flushes it.
    pub fn sync(&self) -> KResult<()> {
        self.shared.fat.sync()
    }

    /// The options the volume was mounted with.
    pub fn options(&self) -> FatVfsOptions {
        self.shared.options
    }
}

impl<D: BlockDevice + 'static> Shared<D> {
    /// The [`FatVfs`] these inodes belong to, while it exists.
    pub fn fs(&self) -> Option<Arc<dyn FileSystem>> {
        self.this.upgrade().map(|fs| fs as Arc<dyn FileSystem>)
    }
}

impl<D: BlockDevice + 'static> Drop for Shared<D> {
    /// Last reference gone: push what is pending to the device. Nobody is left to report
    /// a failure to; call [`FatVfs::sync`] first to see it.
    fn drop(&mut self) {
        let _ = self.fat.sync();
    }
}

impl<D: BlockDevice + 'static> FileSystem for FatVfs<D> {
    fn root(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    /// Linux's `fat_statfs`: blocks are clusters; FAT has no inode count (`f_files` 0).
    fn statfs(&self) -> KResult<StatFs> {
        let st = self.shared.fat.statfs()?;
        let cluster = u64::from(st.cluster_size);
        Ok(StatFs {
            magic: MSDOS_SUPER_MAGIC,
            block_size: cluster,
            blocks: u64::from(st.total_clusters),
            blocks_free: u64::from(st.free_clusters),
            blocks_avail: u64::from(st.free_clusters),
            files: 0,
            files_free: 0,
            name_max: VFAT_NAME_MAX,
            fragment_size: cluster,
            flags: 0,
        })
    }

    fn fs_type(&self) -> &'static str {
        "vfat"
    }

    fn id(&self) -> u64 {
        self.shared.id
    }
}

/// The VFS kind of a FAT node kind.
pub(crate) fn file_kind(kind: fat32::NodeKind) -> FileKind {
    match kind {
        fat32::NodeKind::File => FileKind::Regular,
        fat32::NodeKind::Dir => FileKind::Directory,
    }
}
