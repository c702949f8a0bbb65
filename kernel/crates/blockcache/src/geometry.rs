//! Sector/block arithmetic: validating a request against the disk size, the sectors a
//! (possibly partial, last) block covers, and where a request and a block overlap.

use core::ops::Range;

use crate::disk::{DiskError, SECTOR_SIZE};

/// Sectors per cached block.
pub const SECTORS_PER_BLOCK: u64 = 8;
/// Bytes per cached block (the last block of a disk may hold fewer).
pub const BLOCK_SIZE: usize = SECTOR_SIZE * SECTORS_PER_BLOCK as usize;
/// Most blocks fetched by one disk request (64 KiB).
pub const MAX_RUN_BLOCKS: u64 = 16;

/// A validated, in-range run of sectors `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectorSpan {
    pub start: u64,
    pub end: u64,
}

impl SectorSpan {
    /// The sectors a request of `len_bytes` at `lba` covers on a disk of `disk_sectors`.
    pub fn request(lba: u64, len_bytes: usize, disk_sectors: u64) -> Result<Self, DiskError> {
        if len_bytes % SECTOR_SIZE != 0 {
            return Err(DiskError::OutOfRange);
        }
        let count = u64::try_from(len_bytes / SECTOR_SIZE).map_err(|_| DiskError::OutOfRange)?;
        let end = lba.checked_add(count).ok_or(DiskError::OutOfRange)?;
        if end > disk_sectors {
            return Err(DiskError::OutOfRange);
        }
        Ok(SectorSpan { start: lba, end })
    }

    /// The sectors of `block` that exist on a disk of `disk_sectors` (fewer than
    /// [`SECTORS_PER_BLOCK`] for a partial last block; empty past the end).
    pub fn of_block(block: u64, disk_sectors: u64) -> Self {
        let start = block.saturating_mul(SECTORS_PER_BLOCK).min(disk_sectors);
        let end = start.saturating_add(SECTORS_PER_BLOCK).min(disk_sectors);
        SectorSpan { start, end }
    }

    /// The sectors of the blocks `blocks` (consecutive) on a disk of `disk_sectors`.
    pub fn of_blocks(blocks: &Range<u64>, disk_sectors: u64) -> Self {
        let first = Self::of_block(blocks.start, disk_sectors);
        let last = Self::of_block(blocks.end.saturating_sub(1), disk_sectors);
        SectorSpan { start: first.start, end: last.end }
    }

    /// The blocks this span touches.
    pub fn blocks(&self) -> Range<u64> {
        if self.start >= self.end {
            return 0..0;
        }
        self.start / SECTORS_PER_BLOCK..(self.end - 1) / SECTORS_PER_BLOCK + 1
    }

    /// Length in bytes.
    pub fn bytes(&self) -> usize {
        sectors_to_bytes(self.end.saturating_sub(self.start))
    }

    /// Where `self` (a request whose buffer starts at `self.start`) and `other` (whose
    /// buffer starts at `other.start`) share sectors, as byte ranges into each buffer.
    pub fn overlap(&self, other: &SectorSpan) -> Option<Overlap> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        if start >= end {
            return None;
        }
        let len = sectors_to_bytes(end - start);
        let in_self = sectors_to_bytes(start - self.start);
        let in_other = sectors_to_bytes(start - other.start);
        Some(Overlap {
            in_self: in_self..in_self.saturating_add(len),
            in_other: in_other..in_other.saturating_add(len),
        })
    }
}

/// Matching byte ranges in two buffers (see [`SectorSpan::overlap`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlap {
    pub in_self: Range<usize>,
    pub in_other: Range<usize>,
}

/// `sectors * SECTOR_SIZE`, saturating: an impossible size makes the later slice lookup
/// fail with an error instead of wrapping.
fn sectors_to_bytes(sectors: u64) -> usize {
    usize::try_from(sectors)
        .unwrap_or(usize::MAX)
        .saturating_mul(SECTOR_SIZE)
}

/// Copies `src[src_range]` into `dst[dst_range]`; `OutOfRange` if either range does not
/// fit or their lengths differ (never a panic).
pub fn copy_range(
    dst: &mut [u8],
    dst_range: Range<usize>,
    src: &[u8],
    src_range: Range<usize>,
) -> Result<(), DiskError> {
    let src = src.get(src_range).ok_or(DiskError::OutOfRange)?;
    let dst = dst.get_mut(dst_range).ok_or(DiskError::OutOfRange)?;
    if src.len() != dst.len() {
        return Err(DiskError::OutOfRange);
    }
    dst.copy_from_slice(src);
    Ok(())
}
