//! The disk boundary: the trait the cache sits on (virtio-blk in the kernel, memory in the
//! tests) and its error type.

use alloc::boxed::Box;
use alloc::sync::Arc;

use errno::Errno;

/// Size in bytes of one disk sector. Every LBA and buffer length is in these units.
pub const SECTOR_SIZE: usize = 512;

/// Why a disk request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskError {
    /// The device reported a failure.
    Io,
    /// The request reaches past the last sector, or the buffer is not a whole number of
    /// sectors.
    OutOfRange,
}

impl From<DiskError> for Errno {
    fn from(e: DiskError) -> Errno {
        match e {
            DiskError::Io => Errno::EIO,
            DiskError::OutOfRange => Errno::EINVAL,
        }
    }
}

/// A disk of [`SECTOR_SIZE`]-byte sectors. Methods take `&self`: the disk does its own
/// locking. Buffer lengths are multiples of [`SECTOR_SIZE`].
pub trait Disk: Send + Sync {
    /// Reads `buf.len() / SECTOR_SIZE` sectors starting at `lba`.
    fn read_sectors(&self, lba: u64, buf: &mut [u8]) -> Result<(), DiskError>;
    /// Writes `buf.len() / SECTOR_SIZE` sectors starting at `lba`.
    fn write_sectors(&self, lba: u64, buf: &[u8]) -> Result<(), DiskError>;
    /// Number of sectors on the disk.
    fn sector_count(&self) -> u64;
    /// Makes every completed write durable.
    fn flush(&self) -> Result<(), DiskError>;
}

macro_rules! forward_disk {
    ($($ptr:ty),*) => {$(
        impl<T: Disk + ?Sized> Disk for $ptr {
            fn read_sectors(&self, lba: u64, buf: &mut [u8]) -> Result<(), DiskError> {
                (**self).read_sectors(lba, buf)
            }
            fn write_sectors(&self, lba: u64, buf: &[u8]) -> Result<(), DiskError> {
                (**self).write_sectors(lba, buf)
            }
            fn sector_count(&self) -> u64 {
                (**self).sector_count()
            }
            fn flush(&self) -> Result<(), DiskError> {
                (**self).flush()
            }
        }
    )*};
}
forward_disk!(&T, Box<T>, Arc<T>);
