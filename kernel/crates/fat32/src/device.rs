//! The block-device boundary: the one trait a storage backend implements (virtio-blk in the
//! kernel, a file or a `Vec<u8>` on the host), plus [`MemDevice`], an in-memory device.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use errno::Errno;

/// Size in bytes of one device block. Every LBA and buffer length is in these units.
pub const BLOCK_SIZE: usize = 512;

/// Why a device request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoError {
    /// The request reaches past [`BlockDevice::block_count`], or the buffer is not a whole
    /// number of blocks.
    OutOfRange,
    /// The device does not accept writes.
    ReadOnly,
    /// The device reported a failure.
    Device,
}

impl From<IoError> for Errno {
    fn from(e: IoError) -> Errno {
        match e {
            IoError::ReadOnly => Errno::EROFS,
            IoError::OutOfRange | IoError::Device => Errno::EIO,
        }
    }
}

/// A disk of [`BLOCK_SIZE`]-byte blocks. Methods take `&self`: the device does its own locking.
pub trait BlockDevice: Send + Sync {
    /// Reads `buf.len() / BLOCK_SIZE` blocks starting at `lba` (`buf.len()` is a multiple of
    /// `BLOCK_SIZE`).
    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), IoError>;
    /// Writes `buf.len() / BLOCK_SIZE` blocks starting at `lba`.
    fn write_blocks(&self, lba: u64, buf: &[u8]) -> Result<(), IoError>;
    /// Number of blocks on the device.
    fn block_count(&self) -> u64;
    /// Makes every completed write durable.
    fn flush(&self) -> Result<(), IoError>;
}

macro_rules! forward_block_device {
    ($($ptr:ty),*) => {$(
        impl<T: BlockDevice + ?Sized> BlockDevice for $ptr {
            fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
                (**self).read_blocks(lba, buf)
            }
            fn write_blocks(&self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
                (**self).write_blocks(lba, buf)
            }
            fn block_count(&self) -> u64 {
                (**self).block_count()
            }
            fn flush(&self) -> Result<(), IoError> {
                (**self).flush()
            }
        }
    )*};
}
forward_block_device!(&T, Box<T>, Arc<T>);

/// The byte range a request for `len` bytes at `lba` covers on a device of `total_bytes`,
/// or `OutOfRange`. Shared by every device implementation in this crate.
pub fn request_range(lba: u64, len: usize, total_bytes: u64) -> Result<Range<u64>, IoError> {
    if len % BLOCK_SIZE != 0 {
        return Err(IoError::OutOfRange);
    }
    let start = lba.checked_mul(BLOCK_SIZE as u64).ok_or(IoError::OutOfRange)?;
    let end = start.checked_add(len as u64).ok_or(IoError::OutOfRange)?;
    if end > total_bytes {
        return Err(IoError::OutOfRange);
    }
    Ok(start..end)
}

/// A device held in memory (tests, RAM disks). Its size is whole blocks.
pub struct MemDevice {
    bytes: spin::Mutex<Vec<u8>>,
}

impl MemDevice {
    /// A zero-filled device of `blocks` blocks.
    pub fn zeroed(blocks: usize) -> MemDevice {
        MemDevice::from_bytes(vec![0; blocks.saturating_mul(BLOCK_SIZE)])
    }

    /// A device holding `bytes`, cut down to a whole number of blocks.
    pub fn from_bytes(mut bytes: Vec<u8>) -> MemDevice {
        bytes.truncate(bytes.len() - bytes.len() % BLOCK_SIZE);
        MemDevice { bytes: spin::Mutex::new(bytes) }
    }

    /// A copy of the device's contents.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.lock().clone()
    }

    /// The device's contents.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes.into_inner()
    }

    fn range(&self, lba: u64, len: usize, total: usize) -> Result<Range<usize>, IoError> {
        let r = request_range(lba, len, total as u64)?;
        // `r.end <= total`, which is a usize, so both ends fit.
        Ok(r.start as usize..r.end as usize)
    }
}

impl BlockDevice for MemDevice {
    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        let bytes = self.bytes.lock();
        let r = self.range(lba, buf.len(), bytes.len())?;
        buf.copy_from_slice(bytes.get(r).ok_or(IoError::OutOfRange)?);
        Ok(())
    }

    fn write_blocks(&self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        let mut bytes = self.bytes.lock();
        let r = self.range(lba, buf.len(), bytes.len())?;
        bytes.get_mut(r).ok_or(IoError::OutOfRange)?.copy_from_slice(buf);
        Ok(())
    }

    fn block_count(&self) -> u64 {
        (self.bytes.lock().len() / BLOCK_SIZE) as u64
    }

    fn flush(&self) -> Result<(), IoError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_device_round_trip_and_bounds() {
        let dev = MemDevice::zeroed(4);
        assert_eq!(dev.block_count(), 4);
        let data = [7u8; 1024];
        dev.write_blocks(2, &data).unwrap();
        let mut back = [0u8; 1024];
        dev.read_blocks(2, &mut back).unwrap();
        assert_eq!(back, data);
        assert_eq!(dev.read_blocks(3, &mut back), Err(IoError::OutOfRange));
        assert_eq!(dev.read_blocks(0, &mut [0u8; 100]), Err(IoError::OutOfRange));
        assert_eq!(dev.write_blocks(u64::MAX, &data), Err(IoError::OutOfRange));
    }

    #[test]
    fn from_bytes_rounds_down() {
        assert_eq!(MemDevice::from_bytes(vec![0; 1000]).block_count(), 1);
    }
}
