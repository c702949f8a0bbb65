//! Block cache for Cyrius: sits between the virtio-blk driver and the FAT32 filesystem and
//! keeps recently used 4 KiB blocks (8 sectors of 512 bytes) in memory.
//!
//! Summary:
//! - [`Disk`]: the 512-byte-sector device trait (`read_sectors`, `write_sectors`,
//!   `sector_count`, `flush`); [`DiskError`] (`Io` -> `EIO`, `OutOfRange` -> `EINVAL`).
//! - [`BlockCache::new`]`(disk, capacity_blocks)`; `read`/`write` take any in-range run of
//!   whole sectors (not only block-aligned); out of range or a length that is not a multiple
//!   of 512 returns `OutOfRange`, never a panic.
//! - Reads serve hits from memory; each run of consecutive missing blocks (<= 64 KiB) costs
//!   one disk request, so a cold sequential 1 MiB read is 16 requests.
//!   [`BlockCache::with_readahead`] also fetches the blocks after a read that missed, in the
//!   same request.
//! - Writes are write-through: the disk has the data before `write` returns. Fully written
//!   blocks are cached; a partly written block is patched only if already cached. A failed
//!   disk write drops the touched blocks from the cache.
//! - LRU eviction in O(log n); `flush`, `invalidate_all`, [`CacheStats`] via `stats()`.
//! - The disk's last block may be partial (sector count not a multiple of 8).
//!
//! Invariants: every cached block holds exactly what the disk held after the last completed
//! write touching it (so a read returns what a direct disk read would). The cache lock is
//! never held during disk I/O; writers are serialised among themselves, and a read only
//! caches what it fetched if no write or invalidation happened meanwhile (a generation
//! counter). `BlockCache<D>` is `Send + Sync` and itself implements [`Disk`].
//!
//! Depends on `errno` and `spin` only (no_std + alloc).
#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

extern crate alloc;

mod cache;
mod disk;
mod geometry;
mod lru;

pub use cache::{BlockCache, CacheStats};
pub use disk::{Disk, DiskError, SECTOR_SIZE};
pub use geometry::{BLOCK_SIZE, MAX_RUN_BLOCKS, SECTORS_PER_BLOCK};
