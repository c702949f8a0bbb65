//! [`FileDevice`]: a [`BlockDevice`] over a host file (feature `std`, Unix hosts). Used by
//! `tools/mkdisk` and the tests that cross-check images with mtools and fsck.fat.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::device::{request_range, BlockDevice, IoError, BLOCK_SIZE};

/// A disk image file. Its size is the file's length rounded down to whole blocks.
pub struct FileDevice {
    file: File,
    bytes: u64,
    writable: bool,
}

impl FileDevice {
    /// Opens an existing image for reading and writing.
    pub fn open(path: &Path) -> io::Result<FileDevice> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        FileDevice::from_file(file, true)
    }

    /// Opens an existing image; writes fail with [`IoError::ReadOnly`].
    pub fn open_read_only(path: &Path) -> io::Result<FileDevice> {
        FileDevice::from_file(File::open(path)?, false)
    }

    /// Creates (or truncates) a sparse image of `bytes` bytes, rounded down to whole blocks.
    pub fn create(path: &Path, bytes: u64) -> io::Result<FileDevice> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        file.set_len(bytes - bytes % BLOCK_SIZE as u64)?;
        FileDevice::from_file(file, true)
    }

    fn from_file(file: File, writable: bool) -> io::Result<FileDevice> {
        let len = file.metadata()?.len();
        Ok(FileDevice { file, bytes: len - len % BLOCK_SIZE as u64, writable })
    }
}

impl BlockDevice for FileDevice {
    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        let r = request_range(lba, buf.len(), self.bytes)?;
        self.file.read_exact_at(buf, r.start).map_err(|_| IoError::Device)
    }

    fn write_blocks(&self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        if !self.writable {
            return Err(IoError::ReadOnly);
        }
        let r = request_range(lba, buf.len(), self.bytes)?;
        self.file.write_all_at(buf, r.start).map_err(|_| IoError::Device)
    }

    fn block_count(&self) -> u64 {
        self.bytes / BLOCK_SIZE as u64
    }

    fn flush(&self) -> Result<(), IoError> {
        if !self.writable {
            return Ok(());
        }
        self.file.sync_data().map_err(|_| IoError::Device)
    }
}
