//! Directory contents: walking the 32-byte slots of a directory, assembling VFAT long names
//! (checking sequence and checksum, falling back to the 8.3 name), finding a name, finding
//! room for a new entry set, and writing or deleting entry sets.
//!
//! A directory is read up to its first end marker and never past FAT's limit of 65536 slots,
//! so a corrupt directory cannot make a walk unbounded.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use crate::bpb::Geometry;
use crate::data::NodeData;
use crate::device::BlockDevice;
use crate::dirent::{attr, LongEntry, RawEntry, ShortEntry, Slot, DELETED, ENTRY_SIZE, UNITS_PER_ENTRY};
use crate::disk::Disk;
use crate::name::{same_name, ShortName};

/// Most slots a directory holds (2 MiB of entries, as Linux enforces).
pub(crate) const MAX_DIR_SLOTS: u32 = 65536;
/// Most long-name entries in one set (255 units / 13).
const MAX_LONG_ENTRIES: usize = 20;
/// Slots read from disk at a time.
const CHUNK_SLOTS: u32 = 128;
const ES: u64 = ENTRY_SIZE as u64;

/// One named entry of a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub entry: ShortEntry,
    /// The verified long name, if the entry has one.
    pub long_name: Option<String>,
    /// First slot of the entry set: its first long-name entry, or the short entry.
    pub first_slot: u32,
    pub short_slot: u32,
}

impl Record {
    /// The name `readdir` shows: the long name, else the 8.3 name with its case flags.
    pub fn name(&self) -> String {
        match &self.long_name {
            Some(long) => long.clone(),
            None => self.entry.name.display(self.entry.case),
        }
    }

    /// Whether `name` refers to this entry: its long or its short name, ignoring ASCII case.
    pub fn matches(&self, name: &str) -> bool {
        self.long_name.as_deref().is_some_and(|long| same_name(long, name))
            || same_name(&self.entry.name.display(0), name)
    }
}

/// Where a new entry set of some size can go, and the short names already in use.
pub(crate) struct InsertPlan {
    pub taken: BTreeSet<ShortName>,
    /// First slot of a free run long enough, if the directory has one.
    pub slot: Option<u32>,
}

/// A directory's slots on a volume.
pub(crate) struct DirView<'a, D> {
    data: NodeData<'a, D>,
}

impl<'a, D: BlockDevice> DirView<'a, D> {
    pub fn new(data: NodeData<'a, D>) -> DirView<'a, D> {
        DirView { data }
    }

    /// Slots the directory's clusters hold, capped at [`MAX_DIR_SLOTS`].
    pub fn slot_count(&self) -> u32 {
        (self.data.capacity() / ES).min(u64::from(MAX_DIR_SLOTS)) as u32
    }

    /// Disk byte offset of `slot`.
    pub fn disk_offset(&self, slot: u32) -> KResult<u64> {
        let pos = u64::from(slot) * ES;
        let cs = u64::from(self.data.geo.cluster_size);
        let index = u32::try_from(pos / cs).map_err(|_| Errno::EIO)?;
        let (cluster, _) = self.data.map.span_at(index).ok_or(Errno::EIO)?;
        Ok(self.data.geo.cluster_offset(cluster) + pos % cs)
    }

    /// The named entries from slot `from` on, skipping `.`, `..` and volume labels.
    pub fn records(&self, from: u32) -> Records<'_, 'a, D> {
        Records { slots: self.slots(from), long: None }
    }

    /// The entry `name` refers to.
    pub fn find(&self, name: &str) -> KResult<Option<Record>> {
        for record in self.records(0) {
            let record = record?;
            if record.matches(name) {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// Whether the directory holds nothing but `.` and `..`.
    pub fn is_empty(&self) -> KResult<bool> {
        Ok(self.records(0).next().transpose()?.is_none())
    }

    /// Looks for `needed` consecutive free slots and collects the short names in use.
    pub fn plan_insert(&self, needed: u32) -> KResult<InsertPlan> {
        let mut taken = BTreeSet::new();
        let (mut run_start, mut run_len) = (0, 0);
        let mut found = None;
        let mut slots = self.slots(0);
        let mut ended = false;
        while let Some(item) = slots.next_slot() {
            let (index, slot) = item?;
            let free = match slot {
                Slot::End | Slot::Deleted => true,
                Slot::Short(e) => {
                    taken.insert(e.name);
                    false
                }
                Slot::Long(_) => false,
            };
            ended |= slot == Slot::End;
            if !free {
                run_len = 0;
                continue;
            }
            if run_len == 0 {
                run_start = index;
            }
            run_len += 1;
            if run_len >= needed && found.is_none() {
                found = Some(run_start);
            }
            if ended && found.is_some() {
                break;
            }
        }
        // Past the end marker every slot is free, whatever it holds.
        if ended && found.is_none() && self.slot_count() - run_start >= needed && run_len > 0 {
            found = Some(run_start);
        }
        Ok(InsertPlan { taken, slot: found })
    }

    /// Writes `entries` into consecutive slots from `first`.
    pub fn write_slots(&self, first: u32, entries: &[RawEntry]) -> KResult<()> {
        let bytes: Vec<u8> = entries.iter().flatten().copied().collect();
        self.data.write(u64::from(first) * ES, &bytes)
    }

    /// Marks the slots of `record`'s entry set deleted.
    pub fn delete(&self, record: &Record) -> KResult<()> {
        let count = record.short_slot.checked_sub(record.first_slot).ok_or(Errno::EIO)? + 1;
        let at = u64::from(record.first_slot) * ES;
        let mut bytes = vec![0u8; count as usize * ENTRY_SIZE];
        self.data.read(at, &mut bytes)?;
        bytes.chunks_exact_mut(ENTRY_SIZE).for_each(|e| e[0] = DELETED);
        self.data.write(at, &bytes)
    }

    fn slots(&self, from: u32) -> Slots<'_, 'a, D> {
        let end = self.slot_count();
        Slots { view: self, next: from, end, buf: Vec::new(), buf_first: 0, done: false }
    }
}

/// The `..` entry's cluster of the directory starting at `dir_cluster` (0 means the root).
pub(crate) fn parent_cluster<D: BlockDevice>(
    disk: &Disk<D>,
    geo: &Geometry,
    dir_cluster: u32,
) -> KResult<u32> {
    if !geo.is_cluster(dir_cluster) {
        return Err(Errno::EIO);
    }
    let mut raw = [0u8; ENTRY_SIZE];
    disk.read(geo.cluster_offset(dir_cluster) + ES, &mut raw)?;
    match Slot::parse(&raw) {
        Slot::Short(e) if e.name == ShortName::DOTDOT => Ok(e.first_cluster),
        _ => Err(Errno::EIO),
    }
}

/// Sets the `..` entry of the directory starting at `dir_cluster` to `parent` (0 for root).
pub(crate) fn set_parent_cluster<D: BlockDevice>(
    disk: &Disk<D>,
    geo: &Geometry,
    dir_cluster: u32,
    parent: u32,
) -> KResult<()> {
    let at = geo.cluster_offset(dir_cluster) + ES;
    let mut raw = [0u8; ENTRY_SIZE];
    disk.read(at, &mut raw)?;
    let Slot::Short(mut e) = Slot::parse(&raw) else { return Err(Errno::EIO) };
    e.first_cluster = parent;
    disk.write(at, &e.encode())
}

/// The `.` and `..` entries of a new directory described by `dir` (its first cluster set),
/// whose parent starts at `parent` (0 for the root).
pub(crate) fn dot_entries(dir: &ShortEntry, parent: u32) -> [RawEntry; 2] {
    let dot = ShortEntry { name: ShortName::DOT, case: 0, ..*dir };
    let dotdot = ShortEntry { name: ShortName::DOTDOT, first_cluster: parent, ..dot };
    [dot.encode(), dotdot.encode()]
}

/// Raw slots of a directory in order, read a chunk at a time, up to the end marker.
struct Slots<'v, 'a, D> {
    view: &'v DirView<'a, D>,
    next: u32,
    end: u32,
    buf: Vec<u8>,
    buf_first: u32,
    done: bool,
}

impl<D: BlockDevice> Slots<'_, '_, D> {
    /// The next slot and its index; `Slot::End` is yielded once, then nothing.
    fn next_slot(&mut self) -> Option<KResult<(u32, Slot)>> {
        if self.done || self.next >= self.end {
            return None;
        }
        let index = self.next;
        let raw = match self.raw(index) {
            Ok(raw) => raw,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.next += 1;
        let slot = Slot::parse(&raw);
        self.done = slot == Slot::End;
        Some(Ok((index, slot)))
    }

    fn raw(&mut self, index: u32) -> KResult<RawEntry> {
        let buffered = (self.buf.len() / ENTRY_SIZE) as u32;
        if index < self.buf_first || index >= self.buf_first + buffered {
            let count = CHUNK_SLOTS.min(self.end - index);
            self.buf.resize(count as usize * ENTRY_SIZE, 0);
            self.view.data.read(u64::from(index) * ES, &mut self.buf)?;
            self.buf_first = index;
        }
        let at = (index - self.buf_first) as usize * ENTRY_SIZE;
        let mut raw = [0u8; ENTRY_SIZE];
        raw.copy_from_slice(self.buf.get(at..at + ENTRY_SIZE).ok_or(Errno::EIO)?);
        Ok(raw)
    }
}

/// A long name being assembled from its entries (stored last piece first).
struct LongName {
    first_slot: u32,
    checksum: u8,
    /// Sequence number expected next; 0 once piece 1 was seen.
    expect: u8,
    units: [u16; MAX_LONG_ENTRIES * UNITS_PER_ENTRY],
}

impl LongName {
    fn start(e: &LongEntry, slot: u32) -> Option<LongName> {
        if !e.last || e.seq == 0 || usize::from(e.seq) > MAX_LONG_ENTRIES {
            return None;
        }
        let mut name = LongName {
            first_slot: slot,
            checksum: e.checksum,
            expect: e.seq,
            units: [0; MAX_LONG_ENTRIES * UNITS_PER_ENTRY],
        };
        name.add(e).then_some(name)
    }

    /// Takes the next piece; false if it does not continue this name.
    fn add(&mut self, e: &LongEntry) -> bool {
        if e.seq != self.expect || e.checksum != self.checksum || e.seq == 0 {
            return false;
        }
        let at = usize::from(e.seq - 1) * UNITS_PER_ENTRY;
        match self.units.get_mut(at..at + UNITS_PER_ENTRY) {
            Some(dest) => dest.copy_from_slice(&e.units),
            None => return false,
        }
        self.expect -= 1;
        true
    }

    /// The name, if complete and tied to a short name with checksum `checksum`.
    fn finish(&self, checksum: u8) -> Option<String> {
        if self.expect != 0 || self.checksum != checksum {
            return None;
        }
        let units = self.units.iter().copied().take_while(|&u| u != 0);
        let name: String = char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')).collect();
        (!name.is_empty()).then_some(name)
    }
}

/// Named entries of a directory, with their long names.
pub(crate) struct Records<'v, 'a, D> {
    slots: Slots<'v, 'a, D>,
    long: Option<LongName>,
}

impl<D: BlockDevice> Iterator for Records<'_, '_, D> {
    type Item = KResult<Record>;

    fn next(&mut self) -> Option<KResult<Record>> {
        loop {
            let (index, slot) = match self.slots.next_slot()? {
                Ok(item) => item,
                Err(e) => return Some(Err(e)),
            };
            match slot {
                Slot::End => return None,
                Slot::Deleted => self.long = None,
                Slot::Long(e) => {
                    let continues = !e.last && self.long.as_mut().is_some_and(|l| l.add(&e));
                    if !continues {
                        self.long = LongName::start(&e, index);
                    }
                }
                Slot::Short(entry) => {
                    let long = self.long.take();
                    let hidden = entry.attr & attr::VOLUME_ID != 0
                        || entry.name == ShortName::DOT
                        || entry.name == ShortName::DOTDOT;
                    if hidden {
                        continue;
                    }
                    let long_name = long.as_ref().and_then(|l| l.finish(entry.name.checksum()));
                    let first_slot = match (&long_name, &long) {
                        (Some(_), Some(l)) => l.first_slot,
                        _ => index,
                    };
                    return Some(Ok(Record { entry, long_name, first_slot, short_slot: index }));
                }
            }
        }
    }
}
