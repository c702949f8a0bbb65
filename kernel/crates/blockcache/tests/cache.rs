//! Behaviour of `BlockCache` over a recording in-memory disk.

mod support;

use blockcache::{BlockCache, CacheStats, Disk, DiskError, BLOCK_SIZE, SECTOR_SIZE};
use errno::Errno;
use support::{MemDisk, WriteFault};

const S: usize = SECTOR_SIZE;

fn read(cache: &BlockCache<MemDisk>, lba: u64, sectors: usize) -> Vec<u8> {
    let mut buf = vec![0u8; sectors * S];
    cache.read(lba, &mut buf).unwrap();
    buf
}

fn disk_bytes(cache: &BlockCache<MemDisk>, lba: u64, sectors: usize) -> Vec<u8> {
    let start = lba as usize * S;
    cache.disk().contents()[start..start + sectors * S].to_vec()
}

#[test]
fn send_sync_and_errno() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<BlockCache<MemDisk>>();
    assert_eq!(Errno::from(DiskError::Io), Errno::EIO);
    assert_eq!(Errno::from(DiskError::OutOfRange), Errno::EINVAL);
}

#[test]
fn hit_and_miss_counts() {
    let cache = BlockCache::new(MemDisk::new(64), 8);
    assert_eq!(read(&cache, 3, 2), disk_bytes(&cache, 3, 2));
    assert_eq!(read(&cache, 0, 8), disk_bytes(&cache, 0, 8));
    let stats = cache.stats();
    assert_eq!(
        stats,
        CacheStats { hits: 1, misses: 1, disk_reads: 1, disk_writes: 0, cached_blocks: 1 }
    );
    // Whole block fetched once: the first request was for all 8 sectors of block 0.
    assert_eq!(cache.disk().reads(), vec![(0, 8)]);
}

#[test]
fn readahead_fetches_the_following_blocks_with_a_miss() {
    let cache = BlockCache::with_readahead(MemDisk::new(8 * 40), 64, 7);
    // One block asked for, eight fetched in one request; the next seven are hits.
    assert_eq!(read(&cache, 8, 8), disk_bytes(&cache, 8, 8));
    assert_eq!(cache.disk().reads(), vec![(8, 64)]);
    for block in 2..9 {
        assert_eq!(read(&cache, block * 8, 8), disk_bytes(&cache, block * 8, 8));
    }
    assert_eq!(cache.disk().reads().len(), 1);
    assert_eq!(cache.stats().hits, 7);
    // Already cached blocks end the readahead; it stops at the end of the disk.
    read(&cache, 0, 8);
    assert_eq!(cache.disk().reads()[1], (0, 8));
    assert_eq!(read(&cache, 8 * 36, 8), disk_bytes(&cache, 8 * 36, 8));
    assert_eq!(cache.disk().reads()[2], (8 * 36, 32));
    // A request whose last block is a hit fetches only its misses.
    let cache = BlockCache::with_readahead(MemDisk::new(8 * 40), 64, 7);
    read(&cache, 8 * 5, 8);
    assert_eq!(read(&cache, 8 * 4, 16), disk_bytes(&cache, 8 * 4, 16));
    assert_eq!(cache.disk().reads(), vec![(40, 64), (32, 8)]);
}

#[test]
fn cold_megabyte_is_sixteen_64k_requests() {
    let cache = BlockCache::new(MemDisk::new(4096), 512);
    let data = read(&cache, 0, 2048);
    assert_eq!(data, disk_bytes(&cache, 0, 2048));
    let reads = cache.disk().reads();
    assert_eq!(reads.len(), 16);
    for (i, &(lba, sectors)) in reads.iter().enumerate() {
        assert_eq!((lba, sectors), (i as u64 * 128, 128));
    }
    // Warm: no more disk requests.
    assert_eq!(read(&cache, 0, 2048), data);
    assert_eq!(cache.disk().reads().len(), 16);
    assert_eq!(cache.stats().hits, 256);
}

#[test]
fn runs_split_around_hits() {
    let cache = BlockCache::new(MemDisk::new(128), 16);
    read(&cache, 16, 1); // block 2
    read(&cache, 40, 8); // block 5
    let before = cache.disk().reads().len();
    // Blocks 0..8: misses 0-1, hit 2, misses 3-4, hit 5, misses 6-7 -> 3 requests.
    assert_eq!(read(&cache, 0, 64), disk_bytes(&cache, 0, 64));
    assert_eq!(&cache.disk().reads()[before..], &[(0, 16), (24, 16), (48, 16)]);
}

#[test]
fn lru_evicts_least_recently_used() {
    let cache = BlockCache::new(MemDisk::new(64), 2);
    read(&cache, 0, 1); // block 0
    read(&cache, 8, 1); // block 1
    read(&cache, 0, 1); // touch block 0
    read(&cache, 16, 1); // block 2 evicts block 1
    assert_eq!(cache.stats().cached_blocks, 2);
    let n = cache.disk().reads().len();
    read(&cache, 0, 1);
    read(&cache, 16, 1);
    assert_eq!(cache.disk().reads().len(), n, "blocks 0 and 2 still cached");
    read(&cache, 8, 1);
    assert_eq!(cache.disk().reads().len(), n + 1, "block 1 was evicted");
}

#[test]
fn zero_capacity_caches_nothing() {
    let cache = BlockCache::new(MemDisk::new(32), 0);
    assert_eq!(read(&cache, 1, 9), disk_bytes(&cache, 1, 9));
    assert_eq!(read(&cache, 1, 9), disk_bytes(&cache, 1, 9));
    assert_eq!(cache.stats().cached_blocks, 0);
    assert_eq!(cache.disk().reads().len(), 2, "one run per read, nothing kept");
}

#[test]
fn write_through_reaches_disk_immediately() {
    let cache = BlockCache::new(MemDisk::new(64), 8);
    let data = vec![0xAB; 8 * S];
    cache.write(8, &data).unwrap();
    assert_eq!(disk_bytes(&cache, 8, 8), data);
    assert_eq!(cache.disk().writes(), vec![(8, 8)]);
    // The fully written block is cached: reading it needs no disk request.
    assert_eq!(read(&cache, 8, 8), data);
    assert!(cache.disk().reads().is_empty());
    cache.flush().unwrap();
    assert_eq!(cache.disk().flushes(), 1);
    assert_eq!(cache.stats().disk_writes, 1);
}

#[test]
fn unaligned_write_and_read_span_blocks() {
    let cache = BlockCache::new(MemDisk::new(64), 8);
    read(&cache, 0, 8); // block 0 cached; block 2 not
    let data: Vec<u8> = (0..13 * S).map(|i| (i * 7) as u8).collect();
    cache.write(5, &data).unwrap(); // sectors 5..18: blocks 0 (partial), 1 (full), 2 (partial)
    assert_eq!(disk_bytes(&cache, 5, 13), data);
    assert_eq!(cache.stats().cached_blocks, 2, "uncached partial block 2 not cached");
    assert_eq!(read(&cache, 3, 17), disk_bytes(&cache, 3, 17));
    assert_eq!(read(&cache, 0, 24), disk_bytes(&cache, 0, 24));
}

#[test]
fn partial_last_block() {
    // 21 sectors: blocks 0, 1 full, block 2 holds sectors 16..21 only.
    let cache = BlockCache::new(MemDisk::new(21), 8);
    assert_eq!(cache.sector_count(), 21);
    assert_eq!(read(&cache, 14, 7), disk_bytes(&cache, 14, 7));
    assert_eq!(cache.disk().reads(), vec![(8, 13)]);
    let data = vec![0x5A; 5 * S];
    cache.write(16, &data).unwrap(); // whole (partial) last block -> cached
    assert_eq!(read(&cache, 16, 5), data);
    assert_eq!(cache.disk().reads().len(), 1);
    cache.write(20, &[1; S]).unwrap();
    assert_eq!(read(&cache, 0, 21), disk_bytes(&cache, 0, 21));
}

#[test]
fn out_of_range_is_an_error() {
    let cache = BlockCache::new(MemDisk::new(21), 8);
    let mut buf = vec![0u8; 2 * S];
    assert_eq!(cache.read(20, &mut buf), Err(DiskError::OutOfRange));
    assert_eq!(cache.read(u64::MAX, &mut buf), Err(DiskError::OutOfRange));
    assert_eq!(cache.read(0, &mut buf[..100]), Err(DiskError::OutOfRange));
    assert_eq!(cache.write(20, &buf), Err(DiskError::OutOfRange));
    assert_eq!(cache.write(u64::MAX - 1, &buf), Err(DiskError::OutOfRange));
    assert_eq!(cache.write(0, &buf[..S + 1]), Err(DiskError::OutOfRange));
    assert_eq!(cache.read(21, &mut []), Ok(()));
    assert!(cache.disk().reads().is_empty() && cache.disk().writes().is_empty());
}

#[test]
fn failed_write_leaves_cache_consistent() {
    let cache = BlockCache::new(MemDisk::new(64), 8);
    let old = read(&cache, 0, 24);
    cache.disk().set_write_fault(WriteFault::AfterSectors(3));
    assert_eq!(cache.write(6, &vec![0xEE; 12 * S]), Err(DiskError::Io));
    cache.disk().set_write_fault(WriteFault::None);
    // Reads show exactly what the disk holds: 3 new sectors, the rest old.
    let now = read(&cache, 0, 24);
    assert_eq!(now, disk_bytes(&cache, 0, 24));
    assert_eq!(&now[6 * S..9 * S], &vec![0xEE; 3 * S][..]);
    assert_eq!(&now[9 * S..], &old[9 * S..]);
}

#[test]
fn failed_write_of_uncached_blocks_is_not_cached() {
    let cache = BlockCache::new(MemDisk::new(64), 8);
    cache.disk().set_write_fault(WriteFault::AfterSectors(0));
    assert_eq!(cache.write(0, &vec![1; BLOCK_SIZE]), Err(DiskError::Io));
    assert_eq!(cache.stats().cached_blocks, 0);
    cache.disk().set_write_fault(WriteFault::None);
    assert_eq!(read(&cache, 0, 8), disk_bytes(&cache, 0, 8));
}

#[test]
fn failed_read_caches_nothing_and_recovers() {
    let cache = BlockCache::new(MemDisk::new(64), 8);
    cache.disk().set_fail_reads(true);
    let mut buf = vec![0u8; 16 * S];
    assert_eq!(cache.read(0, &mut buf), Err(DiskError::Io));
    assert_eq!(cache.stats().cached_blocks, 0);
    cache.disk().set_fail_reads(false);
    assert_eq!(read(&cache, 0, 16), disk_bytes(&cache, 0, 16));
}

#[test]
fn invalidate_all_sees_external_changes() {
    let cache = BlockCache::new(MemDisk::new(64), 8);
    read(&cache, 0, 8);
    cache.disk().poke(0, &[9; S]);
    assert_ne!(read(&cache, 0, 1), vec![9; S], "stale until invalidated");
    cache.invalidate_all();
    assert_eq!(cache.stats().cached_blocks, 0);
    assert_eq!(read(&cache, 0, 1), vec![9; S]);
}

#[test]
fn cache_is_a_disk() {
    let cache = BlockCache::new(MemDisk::new(40), 4);
    let dyn_disk: &dyn Disk = &cache;
    assert_eq!(dyn_disk.sector_count(), 40);
    dyn_disk.write_sectors(3, &[7; S]).unwrap();
    let mut buf = vec![0; S];
    dyn_disk.read_sectors(3, &mut buf).unwrap();
    assert_eq!(buf, vec![7; S]);
}

#[test]
fn read_racing_a_write_does_not_cache_stale_data() {
    use std::sync::Arc;
    let cache = Arc::new(BlockCache::new(MemDisk::new(64), 8));
    let (reached, resume) = cache.disk().pause_next_read();
    let reader = {
        let cache = Arc::clone(&cache);
        std::thread::spawn(move || read(&cache, 0, 8))
    };
    reached.recv().unwrap(); // the reader holds the old block 0, not yet cached
    let new = vec![0x42; 8 * S];
    cache.write(0, &new).unwrap();
    resume.send(()).unwrap();
    let old = reader.join().unwrap();
    assert_ne!(old, new);
    assert_eq!(read(&cache, 0, 8), new, "the stale fetch must not replace the write");
}
