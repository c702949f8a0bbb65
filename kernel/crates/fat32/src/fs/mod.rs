//! [`FatFs`]: a mounted FAT32 volume with an inode-like API keyed by [`NodeId`]. One lock
//! guards the whole volume; every call that changes it writes its FAT and FSInfo changes to
//! the device before returning (the device's own cache decides when they reach the disk,
//! until [`FatFs::sync`]).

mod attrs;
mod files;
mod namespace;
mod volume;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use errno::KResult;

use crate::bpb::{BootSector, Geometry, MountError};
use crate::device::{BlockDevice, IoError, BLOCK_SIZE};
use crate::dirent::{attr, ShortEntry};
use crate::disk::Disk;
use crate::fat::Fat;
use crate::fsinfo::FsInfo;
use crate::name::ShortName;
use crate::node::{NodeId, NodeTable};

use volume::Volume;

/// Largest file FAT32 can hold: 4 GiB - 1.
pub const MAX_FILE_SIZE: u64 = 0xFFFF_FFFF;

/// The time source for new timestamps.
pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch (UTC).
    fn now(&self) -> i64;
}

impl<F: Fn() -> i64 + Send + Sync> Clock for F {
    fn now(&self) -> i64 {
        self()
    }
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    File,
    Dir,
}

/// A node's attributes, as `stat` reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub ino: NodeId,
    pub kind: NodeKind,
    /// Bytes; for a directory, the bytes its clusters hold (as Linux reports).
    pub size: u64,
    /// 512-byte units allocated.
    pub blocks: u64,
    /// Unix seconds. FAT keeps 2-second modification times and access dates only; `ctime`
    /// is the modification time (as in Linux); the root directory's times are all 0.
    pub mtime: i64,
    pub atime: i64,
    pub ctime: i64,
    /// Creation time.
    pub crtime: i64,
    /// The FAT read-only attribute (Linux shows it as no write permission).
    pub readonly: bool,
}

/// One `readdir` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirItem {
    /// The long name, or the 8.3 name if there is none.
    pub name: String,
    pub kind: NodeKind,
    /// The node's id if it is looked up, else the id its lookup will most likely get.
    pub ino: u64,
    /// Offset to pass to the next `readdir` call to continue after this entry.
    pub next_offset: u64,
}

/// Volume usage, for `statfs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatFs {
    /// Cluster size in bytes (the allocation unit).
    pub cluster_size: u32,
    pub total_clusters: u32,
    pub free_clusters: u32,
    /// Longest name, in UTF-16 units.
    pub name_max: u32,
    pub volume_id: u32,
}

/// A mounted FAT32 volume. `Send + Sync`: share it behind an `Arc`.
///
/// Node lifetime follows FUSE: every call that returns a [`NodeId`] (`lookup`, `create`,
/// `mkdir`) counts one lookup of it, and [`FatFs::forget`] drops lookups. A node removed
/// while looked up (unlink, rmdir, replaced by rename) keeps its data, still readable and
/// writable, until its last lookup is forgotten; only then are its clusters freed.
pub struct FatFs<D> {
    volume: spin::Mutex<Volume<D>>,
}

impl<D: BlockDevice> FatFs<D> {
    /// Mounts the FAT32 volume on `dev`, validating its boot sector and FSInfo. Nothing is
    /// written until the first change.
    pub fn mount(dev: D, clock: impl Clock + 'static) -> Result<FatFs<D>, MountError> {
        let disk = Disk::new(dev);
        let io = |_| MountError::Io(IoError::Device);
        let device_blocks = disk.block_count();
        if device_blocks == 0 {
            return Err(MountError::Truncated { needed_blocks: 1, device_blocks });
        }
        let mut sector = [0u8; BLOCK_SIZE];
        disk.read(0, &mut sector).map_err(io)?;
        let geo = Geometry::from_boot_sector(&BootSector::parse(&sector), device_blocks)?;
        disk.read(geo.fs_info_offset, &mut sector).map_err(io)?;
        let fsinfo = FsInfo::parse(&sector).ok_or(MountError::BadFsInfo)?;
        let fat = Fat::open(geo, fsinfo);
        let mut root = ShortEntry::new(ShortName(*b"           "), 0, attr::DIRECTORY, 0);
        root.first_cluster = geo.root_cluster;
        let nodes = NodeTable::new(root);
        let volume = Volume { disk, geo, fat, nodes, clock: Box::new(clock) };
        Ok(FatFs { volume: spin::Mutex::new(volume) })
    }

    /// The root directory.
    pub fn root(&self) -> NodeId {
        NodeId::ROOT
    }

    /// The entry `name` of directory `dir` (ASCII case-insensitive, long or 8.3 name;
    /// trailing dots ignored). `.` is `dir` itself and `..` its parent.
    pub fn lookup(&self, dir: NodeId, name: &str) -> KResult<NodeId> {
        self.volume.lock().lookup(dir, name).map(|(node, _)| node)
    }

    /// As [`FatFs::lookup`], also giving the entry's name as stored (its long name, else its
    /// 8.3 name), which may differ in case or trailing dots from `name`.
    pub fn lookup_entry(&self, dir: NodeId, name: &str) -> KResult<(NodeId, String)> {
        self.volume.lock().lookup(dir, name)
    }

    /// Drops `count` lookups of `node`; at zero the node is forgotten (and its clusters freed
    /// if it was removed meanwhile). Unknown ids are ignored.
    pub fn forget(&self, node: NodeId, count: u64) -> KResult<()> {
        self.change(|v| v.forget(node, count))
    }

    pub fn metadata(&self, node: NodeId) -> KResult<Metadata> {
        self.volume.lock().metadata(node)
    }

    /// Up to `max` (>= 1) entries of directory `dir` from `offset` (0 to start; then an
    /// entry's `next_offset`). `.` and `..` are not listed. Empty at the end. Offsets stay
    /// valid while entries are added or removed (entries never move).
    pub fn readdir(&self, dir: NodeId, offset: u64, max: usize) -> KResult<Vec<DirItem>> {
        self.volume.lock().readdir(dir, offset, max)
    }

    /// Reads from `offset`; returns the bytes read (0 at or past the end of the file).
    pub fn read_at(&self, file: NodeId, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        self.volume.lock().read_at(file, offset, buf)
    }

    /// Writes at `offset`, zero-filling any gap after the end of the file. When the disk
    /// cannot hold all of it, writes what fits and returns that count; `ENOSPC` (file
    /// unchanged) if not a byte fits. `EFBIG` at or past 4 GiB - 1.
    pub fn write_at(&self, file: NodeId, offset: u64, data: &[u8]) -> KResult<usize> {
        self.change(|v| v.write_at(file, offset, data))
    }

    /// Sets the file's size: shrinking frees clusters, growing zero-fills (`ENOSPC` with the
    /// file unchanged if the disk cannot hold it).
    pub fn truncate(&self, file: NodeId, size: u64) -> KResult<()> {
        self.change(|v| v.truncate(file, size))
    }

    /// Creates an empty file `name` in `dir` (`EEXIST` if the name is taken).
    pub fn create(&self, dir: NodeId, name: &str) -> KResult<NodeId> {
        self.change(|v| v.create(dir, name))
    }

    /// Creates directory `name` in `dir`.
    pub fn mkdir(&self, dir: NodeId, name: &str) -> KResult<NodeId> {
        self.change(|v| v.mkdir(dir, name))
    }

    /// Removes file `name` from `dir` (`EISDIR` for a directory).
    pub fn unlink(&self, dir: NodeId, name: &str) -> KResult<()> {
        self.change(|v| v.unlink(dir, name))
    }

    /// Removes the empty directory `name` from `dir` (`ENOTEMPTY`, `ENOTDIR`).
    pub fn rmdir(&self, dir: NodeId, name: &str) -> KResult<()> {
        self.change(|v| v.rmdir(dir, name))
    }

    /// Moves `src_name` in `src_dir` to `dst_name` in `dst_dir`, replacing a file there (or
    /// an empty directory, when moving a directory) like `rename(2)`. A replaced entry keeps
    /// the spelling of its existing name, as on Linux vfat.
    pub fn rename(
        &self,
        src_dir: NodeId,
        src_name: &str,
        dst_dir: NodeId,
        dst_name: &str,
    ) -> KResult<()> {
        self.change(|v| v.rename(src_dir, src_name, dst_dir, dst_name))
    }

    /// Sets the access and/or modification time (Unix seconds; FAT keeps the access date and
    /// a 2-second modification time). No-op for the root directory, which has no entry.
    pub fn set_times(&self, node: NodeId, atime: Option<i64>, mtime: Option<i64>) -> KResult<()> {
        self.change(|v| v.set_times(node, atime, mtime))
    }

    /// Volume usage. The first call (or first allocation) counts the free clusters, which
    /// reads the whole FAT.
    pub fn statfs(&self) -> KResult<StatFs> {
        self.volume.lock().statfs()
    }

    /// Bytes per cluster.
    pub fn cluster_size(&self) -> u32 {
        self.volume.lock().geo.cluster_size
    }

    /// Writes everything pending and flushes the device.
    pub fn sync(&self) -> KResult<()> {
        let mut volume = self.volume.lock();
        volume.commit()?;
        volume.disk.flush()
    }

    /// Frees the clusters of nodes removed while still looked up (every node is forgotten
    /// at unmount), syncs, and gives the device back.
    pub fn unmount(self) -> KResult<D> {
        self.change(|v| v.free_unlinked())?;
        self.sync()?;
        Ok(self.volume.into_inner().disk.into_device())
    }

    /// Runs a changing operation, then commits its FAT and FSInfo changes (also after a
    /// failure, which may have allocated and freed clusters). The operation's error wins.
    fn change<T>(&self, op: impl FnOnce(&mut Volume<D>) -> KResult<T>) -> KResult<T> {
        let mut volume = self.volume.lock();
        let result = op(&mut volume);
        let committed = volume.commit();
        let value = result?;
        committed?;
        Ok(value)
    }
}
