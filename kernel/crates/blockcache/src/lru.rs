//! A fixed-capacity map from block number to block data with least-recently-used eviction,
//! O(log n) per operation: entries keyed by block, plus an age index keyed by use stamp.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;

/// One cached block: its bytes (exactly the block's valid bytes) and last-use stamp.
struct Entry {
    data: Box<[u8]>,
    stamp: u64,
}

/// Invariant: `by_age` holds exactly one `stamp -> block` pair per entry, with the entry's
/// current stamp; `entries.len() <= capacity`.
pub struct LruBlocks {
    capacity: usize,
    entries: BTreeMap<u64, Entry>,
    by_age: BTreeMap<u64, u64>,
    clock: u64,
}

impl LruBlocks {
    pub fn new(capacity: usize) -> Self {
        LruBlocks { capacity, entries: BTreeMap::new(), by_age: BTreeMap::new(), clock: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the block is cached (its recency unchanged).
    pub fn contains(&self, block: u64) -> bool {
        self.entries.contains_key(&block)
    }

    /// The block's data, marking it most recently used.
    pub fn get(&mut self, block: u64) -> Option<&[u8]> {
        self.touch(block);
        self.entries.get(&block).map(|e| &*e.data)
    }

    /// The block's data for patching in place, marking it most recently used.
    pub fn get_mut(&mut self, block: u64) -> Option<&mut [u8]> {
        self.touch(block);
        self.entries.get_mut(&block).map(|e| &mut *e.data)
    }

    /// Inserts or replaces a block as most recently used, evicting the least recently used
    /// blocks beyond capacity.
    pub fn insert(&mut self, block: u64, data: Box<[u8]>) {
        if self.capacity == 0 {
            return;
        }
        let stamp = self.next_stamp();
        if let Some(old) = self.entries.insert(block, Entry { data, stamp }) {
            self.by_age.remove(&old.stamp);
        }
        self.by_age.insert(stamp, block);
        while self.entries.len() > self.capacity {
            let Some((_, oldest)) = self.by_age.pop_first() else { break };
            self.entries.remove(&oldest);
        }
    }

    pub fn remove(&mut self, block: u64) {
        if let Some(old) = self.entries.remove(&block) {
            self.by_age.remove(&old.stamp);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_age.clear();
    }

    fn touch(&mut self, block: u64) {
        let stamp = self.next_stamp();
        if let Some(entry) = self.entries.get_mut(&block) {
            self.by_age.remove(&entry.stamp);
            entry.stamp = stamp;
            self.by_age.insert(stamp, block);
        }
    }

    fn next_stamp(&mut self) -> u64 {
        // 2^64 uses never happen; wrapping keeps this panic-free regardless.
        self.clock = self.clock.wrapping_add(1);
        self.clock
    }
}
