//! The mappings of an address space: non-overlapping page-aligned ranges,
//! each with its protection and what backs its pages. Pages are made
//! present lazily, on first touch, from the backing (`super::AddressSpace`).
//! Invariants: ranges never overlap, are page aligned and non-empty; a
//! file backing's `offset` is the file offset of the range's start.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::Prot;
use crate::mm::filemap::SharedFile;
use crate::mm::pagecache::FileImage;

/// What a mapping's pages come from.
#[derive(Clone)]
pub enum Backing {
    /// Private zero-filled memory.
    Anon,
    /// Private file mapping: the file's pages, copied on the first write.
    File { image: Arc<FileImage>, offset: u64 },
    /// MAP_SHARED: a shared file's frames, or anonymous shared memory.
    Shared { object: Arc<SharedFile>, offset: u64 },
}

impl Backing {
    /// The same backing seen `by` bytes further on.
    fn advanced(&self, by: u64) -> Backing {
        match self {
            Backing::Anon => Backing::Anon,
            Backing::File { image, offset } => Backing::File { image: image.clone(), offset: offset + by },
            Backing::Shared { object, offset } => Backing::Shared { object: object.clone(), offset: offset + by },
        }
    }
}

#[derive(Clone)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    /// Whether PROT_WRITE may be asked (a shared mapping of a file opened
    /// read-only may not).
    pub may_write: bool,
    pub backing: Backing,
}

impl Vma {
    /// The file offset (or object offset) of the page at `addr`.
    pub fn offset_of(&self, addr: u64) -> u64 {
        match &self.backing {
            Backing::Anon => 0,
            Backing::File { offset, .. } | Backing::Shared { offset, .. } => offset + (addr - self.start),
        }
    }

    /// The part of this mapping from `addr` on.
    fn tail_from(&self, addr: u64) -> Vma {
        Vma { start: addr, end: self.end, prot: self.prot, may_write: self.may_write, backing: self.backing.advanced(addr - self.start) }
    }

    /// The same mapping placed at `start` (mremap).
    pub fn moved_to(&self, start: u64) -> Vma {
        Vma { start, end: start + (self.end - self.start), ..self.clone() }
    }

    /// A mapping of `[start, start+len)` with this one's backing as seen
    /// from address `from` on (mremap's grown part: `from` is the old end).
    pub fn continued(&self, from: u64, start: u64, len: u64) -> Vma {
        let backing = self.backing.advanced(from - self.start);
        Vma { start, end: start + len, prot: self.prot, may_write: self.may_write, backing }
    }
}

#[derive(Clone, Default)]
pub struct VmaMap {
    map: BTreeMap<u64, Vma>,
    /// Bytes mapped in all (RLIMIT_AS), kept as mappings come and go.
    total: u64,
}

impl VmaMap {
    /// The mapping containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.map.range(..=addr).next_back().map(|(_, v)| v).filter(|v| addr < v.end)
    }

    /// Splits the mapping containing `addr` so one starts there.
    pub fn split_at(&mut self, addr: u64) {
        let Some(v) = self.map.range_mut(..addr).next_back().map(|(_, v)| v) else { return };
        if addr < v.end {
            let tail = v.tail_from(addr);
            v.end = addr;
            self.map.insert(addr, tail);
        }
    }

    /// Removes and returns what lies in `[start, end)`.
    pub fn remove(&mut self, start: u64, end: u64) -> Vec<Vma> {
        if start >= end {
            return Vec::new();
        }
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        let removed: Vec<Vma> = keys.iter().filter_map(|k| self.map.remove(k)).collect();
        self.total -= removed.iter().map(|v| v.end - v.start).sum::<u64>();
        removed
    }

    /// Adds a mapping over a free range; merges it into an adjacent
    /// anonymous mapping with the same protection (brk grows one page at a time).
    pub fn insert(&mut self, vma: Vma) {
        self.total += vma.end - vma.start;
        if matches!(vma.backing, Backing::Anon) {
            if let Some(prev) = self.map.range_mut(..vma.start).next_back().map(|(_, v)| v) {
                if prev.end == vma.start && matches!(prev.backing, Backing::Anon) && prev.prot == vma.prot && prev.may_write == vma.may_write {
                    prev.end = vma.end;
                    return;
                }
            }
        }
        self.map.insert(vma.start, vma);
    }

    /// Whether every byte of `[start, end)` is mapped.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in self.map.range(..end).map(|(_, v)| v).filter(|v| v.end > start) {
            if v.start > at {
                return false;
            }
            at = at.max(v.end);
        }
        at >= end
    }

    /// Whether any byte of `[start, end)` is mapped.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.map.range(..end).next_back().is_some_and(|(_, v)| v.end > start)
    }

    /// The mappings inside `[start, end)` after splitting at both ends.
    pub fn split_range(&mut self, start: u64, end: u64) -> impl Iterator<Item = &mut Vma> {
        let end = end.max(start);
        self.split_at(start);
        self.split_at(end);
        self.map.range_mut(start..end).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.map.values()
    }

    /// Bytes mapped in all.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }
}
