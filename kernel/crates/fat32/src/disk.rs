//! Byte-addressed access to a [`BlockDevice`]: reads and writes at any offset and length,
//! doing read-modify-write on partial blocks. Everything above this speaks in byte offsets, so
//! no other module cares about the device block size or the filesystem sector size.

use alloc::vec;

use errno::{Errno, KResult};

use crate::device::{BlockDevice, BLOCK_SIZE};

/// Largest transfer handed to the device in one call.
const MAX_TRANSFER: usize = 128 * BLOCK_SIZE;

/// Chunk of zeroes written at a time by [`Disk::zero`].
const ZERO_CHUNK: usize = 64 * 1024;

const BS: u64 = BLOCK_SIZE as u64;

pub(crate) struct Disk<D> {
    dev: D,
}

impl<D: BlockDevice> Disk<D> {
    pub fn new(dev: D) -> Disk<D> {
        Disk { dev }
    }

    pub fn into_device(self) -> D {
        self.dev
    }

    pub fn block_count(&self) -> u64 {
        self.dev.block_count()
    }

    /// Fills `buf` from the bytes at `offset`.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> KResult<()> {
        let mut done = 0;
        while done < buf.len() {
            let pos = offset.checked_add(done as u64).ok_or(Errno::EIO)?;
            let (lba, within) = (pos / BS, (pos % BS) as usize);
            let rest = &mut buf[done..];
            let n = if within == 0 && rest.len() >= BLOCK_SIZE {
                let n = whole_blocks(rest.len());
                self.dev.read_blocks(lba, &mut rest[..n])?;
                n
            } else {
                let mut block = [0u8; BLOCK_SIZE];
                self.dev.read_blocks(lba, &mut block)?;
                let n = (BLOCK_SIZE - within).min(rest.len());
                rest[..n].copy_from_slice(&block[within..within + n]);
                n
            };
            done += n;
        }
        Ok(())
    }

    /// Writes `data` at `offset`.
    pub fn write(&self, offset: u64, data: &[u8]) -> KResult<()> {
        let mut done = 0;
        while done < data.len() {
            let pos = offset.checked_add(done as u64).ok_or(Errno::EIO)?;
            let (lba, within) = (pos / BS, (pos % BS) as usize);
            let rest = &data[done..];
            let n = if within == 0 && rest.len() >= BLOCK_SIZE {
                let n = whole_blocks(rest.len());
                self.dev.write_blocks(lba, &rest[..n])?;
                n
            } else {
                let mut block = [0u8; BLOCK_SIZE];
                self.dev.read_blocks(lba, &mut block)?;
                let n = (BLOCK_SIZE - within).min(rest.len());
                block[within..within + n].copy_from_slice(&rest[..n]);
                self.dev.write_blocks(lba, &block)?;
                n
            };
            done += n;
        }
        Ok(())
    }

    /// Writes `len` zero bytes at `offset`.
    pub fn zero(&self, offset: u64, len: u64) -> KResult<()> {
        let chunk = vec![0u8; (len.min(ZERO_CHUNK as u64)) as usize];
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(chunk.len() as u64);
            self.write(offset.checked_add(done).ok_or(Errno::EIO)?, &chunk[..n as usize])?;
            done += n;
        }
        Ok(())
    }

    pub fn flush(&self) -> KResult<()> {
        Ok(self.dev.flush()?)
    }
}

/// The largest whole-block prefix of `len` bytes, capped at [`MAX_TRANSFER`].
fn whole_blocks(len: usize) -> usize {
    (len - len % BLOCK_SIZE).min(MAX_TRANSFER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::MemDevice;

    #[test]
    fn unaligned_read_write_round_trip() {
        let disk = Disk::new(MemDevice::zeroed(8));
        let data: alloc::vec::Vec<u8> = (0..1500u32).map(|i| (i % 251) as u8).collect();
        disk.write(300, &data).unwrap();
        let mut back = vec![0u8; 1500];
        disk.read(300, &mut back).unwrap();
        assert_eq!(back, data);
        let mut edge = [1u8; 300];
        disk.read(0, &mut edge).unwrap();
        assert_eq!(edge, [0u8; 300]);
        disk.zero(310, 10).unwrap();
        disk.read(300, &mut back[..30]).unwrap();
        assert_eq!(&back[10..20], &[0u8; 10]);
        assert_eq!(back[20], data[20]);
    }

    #[test]
    fn out_of_range_is_eio() {
        let disk = Disk::new(MemDevice::zeroed(1));
        assert_eq!(disk.read(500, &mut [0u8; 20]), Err(Errno::EIO));
        assert_eq!(disk.write(u64::MAX - 3, &[0u8; 20]), Err(Errno::EIO));
    }
}
