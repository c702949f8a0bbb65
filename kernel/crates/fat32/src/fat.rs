//! The file allocation table: reading and writing entries through a small write-back cache,
//! following chains (with cycle and range guards), allocating and freeing clusters, and the
//! exact free-cluster count kept in FSInfo.
//!
//! Invariants: `free_count`, once known, equals the number of free entries in the FAT. It is
//! counted on first need (an allocation, `statfs`, or writing FSInfo), not at mount: the count
//! reads the whole FAT (~250 KiB for a 64 MiB volume), which a boot that only reads files
//! never needs (Linux's vfat also counts on first `statfs`). Every entry write adjusts a known
//! count. Dirty cached blocks reach every written FAT copy, and the FSInfo sector its new
//! counts, at [`Fat::flush`].

use alloc::vec;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use crate::bpb::Geometry;
use crate::device::{BlockDevice, BLOCK_SIZE};
use crate::disk::Disk;
use crate::extents::{ClusterMap, Run};
use crate::fsinfo::FsInfo;
use crate::le::{get32, put32};

const ENTRY_MASK: u32 = 0x0FFF_FFFF;
const BAD_CLUSTER: u32 = 0x0FFF_FFF7;
const MIN_END_OF_CHAIN: u32 = 0x0FFF_FFF8;
/// Written to end a chain.
const END_OF_CHAIN: u32 = 0x0FFF_FFFF;
/// FAT blocks kept in memory.
const CACHE_BLOCKS: usize = 32;
/// Bytes of FAT read at a time when counting free clusters.
const SCAN_CHUNK: usize = 64 * 1024;
const BS: u64 = BLOCK_SIZE as u64;

/// The meaning of one FAT entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FatEntry {
    Free,
    Next(u32),
    End,
    Bad,
    /// A value that is neither a valid cluster nor a marker.
    Invalid,
}

impl FatEntry {
    fn decode(raw: u32, geo: &Geometry) -> FatEntry {
        match raw & ENTRY_MASK {
            0 => FatEntry::Free,
            BAD_CLUSTER => FatEntry::Bad,
            v if v >= MIN_END_OF_CHAIN => FatEntry::End,
            v if geo.is_cluster(v) => FatEntry::Next(v),
            _ => FatEntry::Invalid,
        }
    }
}

struct CachedBlock {
    /// Block number within one FAT copy.
    index: u64,
    data: [u8; BLOCK_SIZE],
    dirty: bool,
    last_use: u64,
}

pub(crate) struct Fat {
    geo: Geometry,
    cache: Vec<CachedBlock>,
    uses: u64,
    /// `None` until first needed (see the module doc).
    free_count: Option<u32>,
    next_free: u32,
    fsinfo_dirty: bool,
}

impl Fat {
    /// Opens the FAT of a mounted volume, taking the allocation hint from `fsinfo` (its free
    /// count is not trusted: it is counted when first needed).
    pub fn open(geo: Geometry, fsinfo: FsInfo) -> Fat {
        let next_free = if geo.is_cluster(fsinfo.next_free) { fsinfo.next_free } else { 2 };
        Fat { geo, cache: Vec::new(), uses: 0, free_count: None, next_free, fsinfo_dirty: false }
    }

    /// The number of free clusters, counted from the FAT on first use (after writing back
    /// dirty cached blocks, so the disk holds every entry).
    pub fn free_count<D: BlockDevice>(&mut self, disk: &Disk<D>) -> KResult<u32> {
        if let Some(n) = self.free_count {
            return Ok(n);
        }
        for i in 0..self.cache.len() {
            if self.cache[i].dirty {
                self.write_back(disk, i)?;
            }
        }
        let n = count_free(disk, &self.geo)?;
        self.free_count = Some(n);
        Ok(n)
    }

    pub fn entry<D: BlockDevice>(&mut self, disk: &Disk<D>, cluster: u32) -> KResult<FatEntry> {
        let raw = self.raw(disk, cluster)?;
        Ok(FatEntry::decode(raw, &self.geo))
    }

    /// The whole chain starting at `first` (empty for cluster 0). A chain that leaves the data
    /// region, hits a free or bad entry, or is longer than the volume (a cycle) is `EIO`.
    pub fn load_chain<D: BlockDevice>(&mut self, disk: &Disk<D>, first: u32) -> KResult<ClusterMap> {
        let mut map = ClusterMap::new();
        if first == 0 {
            return Ok(map);
        }
        let mut cur = first;
        loop {
            if !self.geo.is_cluster(cur) || map.len() >= self.geo.cluster_count {
                return Err(Errno::EIO);
            }
            map.push(cur);
            match self.entry(disk, cur)? {
                FatEntry::End => return Ok(map),
                FatEntry::Next(next) => cur = next,
                FatEntry::Free | FatEntry::Bad | FatEntry::Invalid => return Err(Errno::EIO),
            }
        }
    }

    /// Allocates `count` free clusters as one chain and, when `tail` is given, links it after
    /// that cluster. `ENOSPC` (with nothing changed) if fewer are free.
    pub fn allocate<D: BlockDevice>(
        &mut self,
        disk: &Disk<D>,
        count: u32,
        tail: Option<u32>,
    ) -> KResult<Vec<Run>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        if count > self.free_count(disk)? {
            return Err(Errno::ENOSPC);
        }
        let runs = self.find_free(disk, count)?;
        let mut prev = tail;
        for run in &runs {
            for c in run.start..run.start + run.len {
                if let Some(p) = prev {
                    self.set(disk, p, c)?;
                }
                prev = Some(c);
            }
        }
        if let Some(last) = prev {
            self.set(disk, last, END_OF_CHAIN)?;
            self.next_free = if last >= self.geo.max_cluster() { 2 } else { last + 1 };
            self.fsinfo_dirty = true;
        }
        Ok(runs)
    }

    /// Marks `cluster` as the end of its chain.
    pub fn end_chain<D: BlockDevice>(&mut self, disk: &Disk<D>, cluster: u32) -> KResult<()> {
        self.set(disk, cluster, END_OF_CHAIN)
    }

    /// Frees every cluster of `runs`.
    pub fn free_runs<D: BlockDevice>(&mut self, disk: &Disk<D>, runs: &[Run]) -> KResult<()> {
        for run in runs {
            for c in run.start..run.start + run.len {
                self.set(disk, c, 0)?;
            }
        }
        Ok(())
    }

    /// Frees the chain starting at `first` as far as it is valid; stops at its end, at a
    /// broken link, or on coming back to a cluster already freed.
    pub fn free_chain<D: BlockDevice>(&mut self, disk: &Disk<D>, first: u32) -> KResult<()> {
        let mut cur = first;
        while self.geo.is_cluster(cur) {
            let entry = self.entry(disk, cur)?;
            if entry == FatEntry::Free {
                break;
            }
            self.set(disk, cur, 0)?;
            match entry {
                FatEntry::Next(next) => cur = next,
                _ => break,
            }
        }
        Ok(())
    }

    /// Writes dirty FAT blocks to every written FAT copy, then FSInfo if its counts changed.
    pub fn flush<D: BlockDevice>(&mut self, disk: &Disk<D>) -> KResult<()> {
        for i in 0..self.cache.len() {
            if self.cache[i].dirty {
                self.write_back(disk, i)?;
            }
        }
        if self.fsinfo_dirty {
            let free_count = self.free_count(disk)?;
            let mut sector = [0u8; BLOCK_SIZE];
            disk.read(self.geo.fs_info_offset, &mut sector)?;
            FsInfo { free_count, next_free: self.next_free }.encode_into(&mut sector);
            disk.write(self.geo.fs_info_offset, &sector)?;
            self.fsinfo_dirty = false;
        }
        Ok(())
    }

    /// Up to `count` free clusters from the allocation hint on, as runs in ascending order of
    /// the search; `ENOSPC` if the FAT holds fewer.
    fn find_free<D: BlockDevice>(&mut self, disk: &Disk<D>, count: u32) -> KResult<Vec<Run>> {
        let mut found = ClusterMap::new();
        let max = self.geo.max_cluster();
        let start = if self.geo.is_cluster(self.next_free) { self.next_free } else { 2 };
        let order = (start..=max).chain(2..start);
        for c in order {
            if self.entry(disk, c)? == FatEntry::Free {
                found.push(c);
                if found.len() == count {
                    return Ok(found.runs().to_vec());
                }
            }
        }
        Err(Errno::ENOSPC)
    }

    fn raw<D: BlockDevice>(&mut self, disk: &Disk<D>, cluster: u32) -> KResult<u32> {
        let (slot, at) = self.cached(disk, cluster)?;
        Ok(get32(&self.cache[slot].data, at))
    }

    /// Sets entry `cluster` to `value`, keeping its reserved top bits, and keeps the free
    /// count exact.
    fn set<D: BlockDevice>(&mut self, disk: &Disk<D>, cluster: u32, value: u32) -> KResult<()> {
        let (slot, at) = self.cached(disk, cluster)?;
        let block = &mut self.cache[slot];
        let old = get32(&block.data, at);
        put32(&mut block.data, at, (old & !ENTRY_MASK) | (value & ENTRY_MASK));
        block.dirty = true;
        let count = self.free_count.as_mut();
        match (old & ENTRY_MASK == 0, value & ENTRY_MASK == 0, count) {
            (true, false, Some(n)) => *n = n.saturating_sub(1),
            (false, true, Some(n)) => *n = n.saturating_add(1),
            (true, false, None) | (false, true, None) => {}
            _ => return Ok(()),
        }
        self.fsinfo_dirty = true;
        Ok(())
    }

    /// The cache slot holding the FAT block of `cluster`'s entry and the entry's offset in it.
    fn cached<D: BlockDevice>(&mut self, disk: &Disk<D>, cluster: u32) -> KResult<(usize, usize)> {
        if !self.geo.is_cluster(cluster) {
            return Err(Errno::EIO);
        }
        let byte = u64::from(cluster) * 4;
        let (index, at) = (byte / BS, (byte % BS) as usize);
        self.uses += 1;
        if let Some(slot) = self.cache.iter().position(|b| b.index == index) {
            self.cache[slot].last_use = self.uses;
            return Ok((slot, at));
        }
        let mut data = [0u8; BLOCK_SIZE];
        disk.read(self.geo.fat_copy_offset(self.geo.read_fat()) + index * BS, &mut data)?;
        let block = CachedBlock { index, data, dirty: false, last_use: self.uses };
        if self.cache.len() < CACHE_BLOCKS {
            self.cache.push(block);
            return Ok((self.cache.len() - 1, at));
        }
        let victim = (0..self.cache.len()).min_by_key(|&i| self.cache[i].last_use).unwrap_or(0);
        if self.cache[victim].dirty {
            self.write_back(disk, victim)?;
        }
        self.cache[victim] = block;
        Ok((victim, at))
    }

    fn write_back<D: BlockDevice>(&mut self, disk: &Disk<D>, slot: usize) -> KResult<()> {
        let block = &mut self.cache[slot];
        for copy in self.geo.written_fats() {
            disk.write(self.geo.fat_copy_offset(copy) + block.index * BS, &block.data)?;
        }
        block.dirty = false;
        Ok(())
    }
}

/// Counts the free entries for clusters `2..=max_cluster`, reading the FAT in large chunks.
fn count_free<D: BlockDevice>(disk: &Disk<D>, geo: &Geometry) -> KResult<u32> {
    let base = geo.fat_copy_offset(geo.read_fat());
    let end = (u64::from(geo.max_cluster()) + 1) * 4;
    let mut buf = vec![0u8; SCAN_CHUNK];
    let mut free = 0u32;
    let mut pos = 8u64; // entry 2
    while pos < end {
        let n = (end - pos).min(SCAN_CHUNK as u64) as usize;
        let chunk = &mut buf[..n];
        disk.read(base + pos, chunk)?;
        let zero = chunk.chunks_exact(4).filter(|e| get32(e, 0) & ENTRY_MASK == 0).count();
        free += zero as u32;
        pos += n as u64;
    }
    Ok(free)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::MemDevice;

    /// A geometry with `clusters` clusters and two FAT copies from byte 512 on (no data
    /// region: these tests only touch the FAT).
    fn setup(clusters: u32) -> (Disk<MemDevice>, Fat) {
        let fat_blocks = (u64::from(clusters) + 2) * 4 / BS + 1;
        let geo = Geometry {
            cluster_size: 512,
            fat_offset: 512,
            fat_bytes: fat_blocks * BS,
            fat_count: 2,
            active_fat: None,
            data_offset: (1 + 2 * fat_blocks) * BS,
            cluster_count: clusters,
            root_cluster: 2,
            fs_info_offset: 0,
            volume_id: 0,
        };
        let disk = Disk::new(MemDevice::zeroed(1 + 2 * fat_blocks as usize));
        let fat = Fat::open(geo, FsInfo { free_count: u32::MAX, next_free: u32::MAX });
        (disk, fat)
    }

    #[test]
    fn allocate_link_free_and_count() {
        let (disk, mut fat) = setup(40);
        assert_eq!(fat.free_count(&disk).unwrap(), 40);
        let a = fat.allocate(&disk, 3, None).unwrap();
        assert_eq!(a, [Run { start: 2, len: 3 }]);
        let b = fat.allocate(&disk, 2, Some(4)).unwrap();
        assert_eq!(b, [Run { start: 5, len: 2 }]);
        assert_eq!(fat.free_count(&disk).unwrap(), 35);
        let chain = fat.load_chain(&disk, 2).unwrap();
        assert_eq!(chain.runs(), &[Run { start: 2, len: 5 }]);
        assert_eq!(fat.allocate(&disk, 36, None), Err(Errno::ENOSPC));
        assert_eq!(fat.free_count(&disk).unwrap(), 35);
        fat.free_chain(&disk, 2).unwrap();
        assert_eq!(fat.free_count(&disk).unwrap(), 40);
        fat.flush(&disk).unwrap();
        // Both FAT copies got the same entries; the count survives a reopen.
        let mut f0 = [0u8; 512];
        let mut f1 = [0u8; 512];
        disk.read(fat.geo.fat_copy_offset(0), &mut f0).unwrap();
        disk.read(fat.geo.fat_copy_offset(1), &mut f1).unwrap();
        assert_eq!(f0, f1);
        assert_eq!(Fat::open(fat.geo, FsInfo { free_count: 0, next_free: 0 }).free_count(&disk).unwrap(), 40);
    }

    #[test]
    fn count_taken_late_sees_entries_written_before() {
        // Entries written while the count is unknown (a file freed before any allocation)
        // are in the count taken later, and FSInfo gets it at flush.
        let (disk, mut fat) = setup(40);
        fat.set(&disk, 2, 3).unwrap();
        fat.set(&disk, 3, END_OF_CHAIN).unwrap();
        fat.flush(&disk).unwrap();
        let mut fat = Fat::open(fat.geo, FsInfo { free_count: 7, next_free: 2 });
        fat.free_chain(&disk, 2).unwrap();
        assert!(fat.free_count.is_none());
        fat.flush(&disk).unwrap();
        assert_eq!(fat.free_count(&disk).unwrap(), 40);
        let mut sector = [0u8; BLOCK_SIZE];
        disk.read(fat.geo.fs_info_offset, &mut sector).unwrap();
        assert_eq!(get32(&sector, 488), 40);
    }

    #[test]
    fn cycles_and_bad_links_are_eio() {
        let (disk, mut fat) = setup(40);
        fat.set(&disk, 2, 3).unwrap();
        fat.set(&disk, 3, 2).unwrap();
        assert_eq!(fat.load_chain(&disk, 2), Err(Errno::EIO));
        fat.set(&disk, 3, 0).unwrap();
        assert_eq!(fat.load_chain(&disk, 2), Err(Errno::EIO));
        fat.set(&disk, 3, 9999).unwrap();
        assert_eq!(fat.load_chain(&disk, 2), Err(Errno::EIO));
        assert_eq!(fat.load_chain(&disk, 1), Err(Errno::EIO));
        // Freeing a cyclic chain terminates.
        fat.set(&disk, 3, 2).unwrap();
        fat.free_chain(&disk, 2).unwrap();
        assert_eq!(fat.free_count(&disk).unwrap(), 40);
    }

    #[test]
    fn cache_eviction_writes_back() {
        // 5000 entries span 40 FAT blocks, more than the cache holds.
        let (disk, mut fat) = setup(5000);
        for _ in 0..5000 {
            fat.allocate(&disk, 1, None).unwrap();
        }
        assert_eq!(fat.free_count(&disk).unwrap(), 0);
        fat.flush(&disk).unwrap();
        assert_eq!(count_free(&disk, &fat.geo).unwrap(), 0);
    }
}
