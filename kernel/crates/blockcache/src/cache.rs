//! [`BlockCache`]: the read path (hits from memory, misses fetched in coalesced runs), the
//! write-through path, and the statistics.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use spin::Mutex;

use crate::disk::{Disk, DiskError};
use crate::geometry::{copy_range, SectorSpan, MAX_RUN_BLOCKS};
use crate::lru::LruBlocks;

/// Counters since construction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Blocks a read found in the cache.
    pub hits: u64,
    /// Blocks a read had to fetch from the disk.
    pub misses: u64,
    /// Read requests sent to the disk.
    pub disk_reads: u64,
    /// Write requests sent to the disk.
    pub disk_writes: u64,
    /// Blocks in the cache now.
    pub cached_blocks: usize,
}

/// What the lock guards.
struct State {
    blocks: LruBlocks,
    /// Bumped by every write and invalidation; a read caches what it fetched only if the
    /// generation did not move while the disk lock was not held (else its data may be stale).
    generation: u64,
    stats: CacheStats,
}

/// A write-through LRU cache of 4 KiB blocks over a [`Disk`]. `&self` methods; `Send + Sync`.
pub struct BlockCache<D: Disk> {
    disk: D,
    sectors: u64,
    /// Blocks fetched past the end of a read that missed (0: none).
    readahead: u64,
    state: Mutex<State>,
    /// Serialises writers so the disk and the cache see writes in the same order.
    writer: Mutex<()>,
}

impl<D: Disk> BlockCache<D> {
    /// A cache of at most `capacity_blocks` 4 KiB blocks over `disk` (0 caches nothing).
    pub fn new(disk: D, capacity_blocks: usize) -> Self {
        Self::with_readahead(disk, capacity_blocks, 0)
    }

    /// A cache that also fetches up to `readahead` blocks after the end of a read whose last
    /// block missed (those not cached yet, in the same disk request, at most
    /// [`MAX_RUN_BLOCKS`] per request): a file read block by block then costs one request per
    /// run instead of one per block.
    pub fn with_readahead(disk: D, capacity_blocks: usize, readahead: u64) -> Self {
        let sectors = disk.sector_count();
        BlockCache {
            disk,
            sectors,
            readahead,
            state: Mutex::new(State {
                blocks: LruBlocks::new(capacity_blocks),
                generation: 0,
                stats: CacheStats::default(),
            }),
            writer: Mutex::new(()),
        }
    }

    /// The underlying disk.
    pub fn disk(&self) -> &D {
        &self.disk
    }

    /// Number of sectors on the disk (read once at construction).
    pub fn sector_count(&self) -> u64 {
        self.sectors
    }

    /// Maximum number of cached blocks.
    pub fn capacity(&self) -> usize {
        self.state.lock().blocks.capacity()
    }

    /// Reads `buf.len() / 512` sectors at `lba`: cached blocks are copied, each run of
    /// consecutive missing blocks (up to 64 KiB) is fetched with one disk request and cached.
    pub fn read(&self, lba: u64, buf: &mut [u8]) -> Result<(), DiskError> {
        let request = SectorSpan::request(lba, buf.len(), self.sectors)?;
        let (missing_runs, generation) = self.copy_hits(request, buf)?;
        for run in missing_runs {
            self.fetch_run(run, request, buf, generation)?;
        }
        Ok(())
    }

    /// Writes `buf.len() / 512` sectors at `lba` through to the disk, then updates the
    /// cache: fully written blocks are cached, partly written ones patched only if already
    /// cached. If the disk write fails the touched blocks are dropped from the cache.
    pub fn write(&self, lba: u64, buf: &[u8]) -> Result<(), DiskError> {
        let request = SectorSpan::request(lba, buf.len(), self.sectors)?;
        if buf.is_empty() {
            return Ok(());
        }
        let _serial = self.writer.lock();
        let result = self.disk.write_sectors(lba, buf);
        let mut state = self.state.lock();
        state.stats.disk_writes = state.stats.disk_writes.saturating_add(1);
        state.generation = state.generation.wrapping_add(1);
        for block in request.blocks() {
            let updated = match result {
                Ok(()) => self.update_block(&mut state.blocks, block, request, buf),
                Err(_) => Err(DiskError::Io),
            };
            if updated.is_err() {
                // The disk's contents for this block are unknown: force a re-read.
                state.blocks.remove(block);
            }
        }
        result
    }

    /// Makes every completed write durable (writes are already on the disk).
    pub fn flush(&self) -> Result<(), DiskError> {
        self.disk.flush()
    }

    /// Drops every cached block (e.g. after the disk was changed behind the cache).
    pub fn invalidate_all(&self) {
        let mut state = self.state.lock();
        state.generation = state.generation.wrapping_add(1);
        state.blocks.clear();
    }

    pub fn stats(&self) -> CacheStats {
        let state = self.state.lock();
        CacheStats { cached_blocks: state.blocks.len(), ..state.stats }
    }

    /// Copies the cached blocks of `request` into `buf`; returns the runs of missing blocks
    /// and the generation they were found missing in.
    fn copy_hits(
        &self,
        request: SectorSpan,
        buf: &mut [u8],
    ) -> Result<(Vec<Range<u64>>, u64), DiskError> {
        let mut state = self.state.lock();
        let mut missing: Vec<Range<u64>> = Vec::new();
        let (mut hits, mut misses) = (0u64, 0u64);
        for block in request.blocks() {
            let span = SectorSpan::of_block(block, self.sectors);
            match state.blocks.get(block) {
                Some(data) => {
                    hits += 1;
                    if let Some(o) = request.overlap(&span) {
                        copy_range(buf, o.in_self, data, o.in_other)?;
                    }
                }
                None => {
                    misses += 1;
                    push_missing(&mut missing, block);
                }
            }
        }
        state.stats.hits = state.stats.hits.saturating_add(hits);
        state.stats.misses = state.stats.misses.saturating_add(misses);
        let last_block = request.blocks().end;
        let disk_blocks = SectorSpan { start: 0, end: self.sectors }.blocks().end;
        if let Some(run) = missing.last_mut().filter(|r| r.end == last_block) {
            let limit = run.end.saturating_add(self.readahead).min(disk_blocks);
            while run.end < limit && run.end - run.start < MAX_RUN_BLOCKS && !state.blocks.contains(run.end) {
                run.end += 1;
            }
        }
        Ok((missing, state.generation))
    }

    /// Fetches the blocks `run` with one disk request (no lock held), copies their part of
    /// `request` into `buf`, and caches them unless a write intervened.
    fn fetch_run(
        &self,
        run: Range<u64>,
        request: SectorSpan,
        buf: &mut [u8],
        generation: u64,
    ) -> Result<(), DiskError> {
        let run_span = SectorSpan::of_blocks(&run, self.sectors);
        let mut data = vec![0u8; run_span.bytes()];
        let result = self.disk.read_sectors(run_span.start, &mut data);
        {
            let mut state = self.state.lock();
            state.stats.disk_reads = state.stats.disk_reads.saturating_add(1);
        }
        result?;
        let mut fetched = Vec::new();
        for block in run {
            let span = SectorSpan::of_block(block, self.sectors);
            let Some(in_run) = run_span.overlap(&span) else { continue };
            if let Some(o) = request.overlap(&span) {
                let chunk = data.get(in_run.in_self.clone()).ok_or(DiskError::OutOfRange)?;
                copy_range(buf, o.in_self, chunk, o.in_other)?;
            }
            let chunk = data.get(in_run.in_self).ok_or(DiskError::OutOfRange)?;
            fetched.push((block, Box::<[u8]>::from(chunk)));
        }
        let mut state = self.state.lock();
        if state.generation == generation {
            for (block, bytes) in fetched {
                state.blocks.insert(block, bytes);
            }
        }
        Ok(())
    }

    /// Applies a successful write of `request` (bytes `buf`) to the cached copy of `block`.
    fn update_block(
        &self,
        blocks: &mut LruBlocks,
        block: u64,
        request: SectorSpan,
        buf: &[u8],
    ) -> Result<(), DiskError> {
        let span = SectorSpan::of_block(block, self.sectors);
        let Some(o) = request.overlap(&span) else { return Ok(()) };
        if o.in_other == (0..span.bytes()) {
            let bytes = buf.get(o.in_self).ok_or(DiskError::OutOfRange)?;
            blocks.insert(block, Box::from(bytes));
        } else if let Some(data) = blocks.get_mut(block) {
            copy_range(data, o.in_other, buf, o.in_self)?;
        }
        Ok(())
    }
}

/// Adds `block` (ascending) to the runs of missing blocks, extending the last run if it is
/// adjacent and shorter than [`MAX_RUN_BLOCKS`].
fn push_missing(runs: &mut Vec<Range<u64>>, block: u64) {
    if let Some(last) = runs.last_mut() {
        if last.end == block && last.end - last.start < MAX_RUN_BLOCKS {
            last.end = block + 1;
            return;
        }
    }
    runs.push(block..block.saturating_add(1));
}

/// A cache is itself a disk, so it can stand wherever a [`Disk`] is expected.
impl<D: Disk> Disk for BlockCache<D> {
    fn read_sectors(&self, lba: u64, buf: &mut [u8]) -> Result<(), DiskError> {
        self.read(lba, buf)
    }
    fn write_sectors(&self, lba: u64, buf: &[u8]) -> Result<(), DiskError> {
        self.write(lba, buf)
    }
    fn sector_count(&self) -> u64 {
        self.sectors
    }
    fn flush(&self) -> Result<(), DiskError> {
        BlockCache::flush(self)
    }
}
