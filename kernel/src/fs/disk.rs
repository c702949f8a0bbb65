//! The data disk: virtio-blk -> block cache -> FAT32 -> VFS, mounted at /mnt.

use alloc::sync::Arc;
use blockcache::{BlockCache, CacheStats, Disk, DiskError};
use spin::Once;
use vfs::{MountOptions, Vfs};

use crate::dev::virtio::blk::{self, VirtioBlk};

/// 4 KiB blocks kept in memory for the data disk (16 MiB).
const CACHE_BLOCKS: usize = 4096;
/// Blocks read ahead after a miss (a 64 KiB request): files on the data disk, and the
/// image store's layers above all, are mostly read in order.
const READAHEAD_BLOCKS: u64 = 15;

/// A virtio-blk device as the block cache sees it.
pub struct VirtioDisk(Arc<VirtioBlk>);

impl Disk for VirtioDisk {
    fn read_sectors(&self, lba: u64, buf: &mut [u8]) -> Result<(), DiskError> {
        self.0.read(lba, buf).map_err(|_| DiskError::Io)
    }

    fn write_sectors(&self, lba: u64, buf: &[u8]) -> Result<(), DiskError> {
        self.0.write(lba, buf).map_err(|_| DiskError::Io)
    }

    fn sector_count(&self) -> u64 {
        self.0.sectors()
    }

    fn flush(&self) -> Result<(), DiskError> {
        self.0.flush().map_err(|_| DiskError::Io)
    }
}

/// The cached disk as FAT32 sees it.
pub struct CachedDisk(Arc<BlockCache<VirtioDisk>>);

fn io(e: DiskError) -> fat32::IoError {
    match e {
        DiskError::OutOfRange => fat32::IoError::OutOfRange,
        DiskError::Io => fat32::IoError::Device,
    }
}

impl fat32::BlockDevice for CachedDisk {
    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), fat32::IoError> {
        self.0.read(lba, buf).map_err(io)
    }

    fn write_blocks(&self, lba: u64, buf: &[u8]) -> Result<(), fat32::IoError> {
        if self.0.disk().0.readonly() {
            return Err(fat32::IoError::ReadOnly);
        }
        self.0.write(lba, buf).map_err(io)
    }

    fn block_count(&self) -> u64 {
        self.0.sector_count()
    }

    fn flush(&self) -> Result<(), fat32::IoError> {
        self.0.flush().map_err(io)
    }
}

static DATA_CACHE: Once<Arc<BlockCache<VirtioDisk>>> = Once::new();

/// Hit/miss figures of the data disk's cache, if it is mounted.
pub fn cache_stats() -> Option<CacheStats> {
    DATA_CACHE.get().map(|c| c.stats())
}

/// Flushes the data disk (the cache is write-through; this flushes the device).
pub fn flush() {
    if let Some(cache) = DATA_CACHE.get() {
        if let Err(e) = cache.flush() {
            log::error!("flushing the data disk: {e:?}");
        }
    }
}

/// Mounts the first virtio disk at /mnt if it holds FAT32.
pub fn mount_data_disk(vfs: &Vfs) {
    let Some(vda) = blk::disks().into_iter().next() else {
        log::warn!("no data disk: /mnt stays empty");
        return;
    };
    let name = vda.name;
    let cache = DATA_CACHE.call_once(|| Arc::new(BlockCache::with_readahead(VirtioDisk(vda), CACHE_BLOCKS, READAHEAD_BLOCKS)));
    let fs = match fat32::FatFs::mount(CachedDisk(cache.clone()), super::KernelClock) {
        Ok(fs) => fs,
        Err(e) => {
            log::warn!("{name}: no FAT32 filesystem ({e}); /mnt stays empty");
            return;
        }
    };
    let fat = fatvfs::FatVfs::new(fs, alloc::sync::Arc::new(super::KernelClock), fatvfs::FatVfsOptions::default());
    match vfs.mount("/mnt", fat, MountOptions::new(&alloc::format!("/dev/{name}"))) {
        Ok(()) => log::info!("{name}: FAT32 mounted at /mnt"),
        Err(e) => log::error!("mount /dev/{name} at /mnt: {e}"),
    }
}
