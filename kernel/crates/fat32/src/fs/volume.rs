//! [`Volume`]: the state of a mounted filesystem behind `FatFs`'s lock, and the helpers the
//! operations share: node access and chain loading, directory views, writing entries back,
//! inserting entry sets (growing the directory), and releasing a removed entry's clusters.

use alloc::boxed::Box;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use crate::bpb::Geometry;
use crate::data::NodeData;
use crate::device::BlockDevice;
use crate::dir::{DirView, Record, MAX_DIR_SLOTS};
use crate::dirent::{long_entries, ShortEntry, ENTRY_SIZE, UNITS_PER_ENTRY};
use crate::disk::Disk;
use crate::fat::Fat;
use crate::name::{self, NameForm};
use crate::node::{NodeId, NodeTable, Place};

use super::Clock;

pub(crate) struct Volume<D> {
    pub disk: Disk<D>,
    pub geo: Geometry,
    pub fat: Fat,
    pub nodes: NodeTable,
    pub clock: Box<dyn Clock>,
}

impl<D: BlockDevice> Volume<D> {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Writes every pending FAT and FSInfo change to the device.
    pub fn commit(&mut self) -> KResult<()> {
        self.fat.flush(&self.disk)
    }

    /// Loads the cluster chain of `id` if it is not yet in memory.
    pub fn load_map(&mut self, id: NodeId) -> KResult<()> {
        let node = self.nodes.get(id)?;
        if node.map.is_some() {
            return Ok(());
        }
        let first = node.entry.first_cluster;
        if node.entry.is_dir() && first == 0 {
            return Err(Errno::EIO);
        }
        let map = self.fat.load_chain(&self.disk, first)?;
        self.nodes.get_mut(id)?.map = Some(map);
        Ok(())
    }

    /// Checks that `id` is a directory (`ENOTDIR`) and loads its chain.
    pub fn open_dir(&mut self, id: NodeId) -> KResult<()> {
        if !self.nodes.get(id)?.entry.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        self.load_map(id)
    }

    /// As [`Volume::open_dir`], and `ENOENT` for a removed directory, in which nothing may be
    /// created.
    pub fn open_live_dir(&mut self, id: NodeId) -> KResult<()> {
        self.open_dir(id)?;
        if self.nodes.get(id)?.place == Place::Unlinked {
            return Err(Errno::ENOENT);
        }
        Ok(())
    }

    /// Checks that `id` is a regular file (`EISDIR`) and loads its chain.
    pub fn open_file(&mut self, id: NodeId) -> KResult<()> {
        if self.nodes.get(id)?.entry.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.load_map(id)
    }

    /// The data of node `id`, whose chain is loaded.
    pub fn data(&self, id: NodeId) -> KResult<NodeData<'_, D>> {
        let map = self.nodes.get(id)?.map.as_ref().ok_or(Errno::EIO)?;
        Ok(NodeData { disk: &self.disk, geo: &self.geo, map })
    }

    /// The slots of directory `id`, whose chain is loaded.
    pub fn view(&self, id: NodeId) -> KResult<DirView<'_, D>> {
        Ok(DirView::new(self.data(id)?))
    }

    /// The entry `name` refers to in the loaded directory `dir`, with its disk offset.
    pub fn find(&self, dir: NodeId, name: &str) -> KResult<Option<(Record, u64)>> {
        let view = self.view(dir)?;
        match view.find(name)? {
            Some(record) => {
                let location = view.disk_offset(record.short_slot)?;
                Ok(Some((record, location)))
            }
            None => Ok(None),
        }
    }

    /// The cluster a `..` entry names for directory `dir`: 0 for the root.
    pub fn dotdot_value(&self, dir: NodeId) -> KResult<u32> {
        let node = self.nodes.get(dir)?;
        Ok(if node.place == Place::Root { 0 } else { node.entry.first_cluster })
    }

    /// Writes node `id`'s entry to its slot (the root and unlinked nodes have none).
    pub fn save(&self, id: NodeId) -> KResult<()> {
        let node = self.nodes.get(id)?;
        match node.place {
            Place::Entry(location) => self.disk.write(location, &node.entry.encode()),
            Place::Root | Place::Unlinked => Ok(()),
        }
    }

    /// Sets directory `dir`'s modification time to now, as Linux does when an entry is added
    /// or removed.
    pub fn touch(&mut self, dir: NodeId) -> KResult<()> {
        let now = crate::time::FatTime::from_unix(self.now());
        self.nodes.get_mut(dir)?.entry.modified = now;
        self.save(dir)
    }

    /// Adds an entry set for `name` (checked, not present) holding `entry` to the loaded
    /// directory `dir`, growing it if needed. Returns the short entry's disk offset and the
    /// entry as stored (with its short name).
    pub fn insert(
        &mut self,
        dir: NodeId,
        name: &str,
        mut entry: ShortEntry,
    ) -> KResult<(u64, ShortEntry)> {
        let form = name::form(name);
        let units: Vec<u16> = name.encode_utf16().collect();
        let needed = match form {
            NameForm::Short { .. } => 1,
            NameForm::Long(_) => units.len().div_ceil(UNITS_PER_ENTRY) as u32 + 1,
        };
        let plan = loop {
            let plan = self.view(dir)?.plan_insert(needed)?;
            if plan.slot.is_some() {
                break plan;
            }
            self.extend_dir(dir)?;
        };
        let (short, case, mut raw) = match form {
            NameForm::Short { name: short, case } if !plan.taken.contains(&short) => {
                (short, case, Vec::new())
            }
            NameForm::Short { .. } => return Err(Errno::EEXIST),
            NameForm::Long(basis) => {
                let short = basis.pick(|c| plan.taken.contains(c))?;
                (short, 0, long_entries(&units, short.checksum()))
            }
        };
        entry.name = short;
        entry.case = case;
        raw.push(entry.encode());
        let first = plan.slot.ok_or(Errno::EIO)?;
        let view = self.view(dir)?;
        view.write_slots(first, &raw)?;
        let location = view.disk_offset(first + raw.len() as u32 - 1)?;
        Ok((location, entry))
    }

    /// Appends one zeroed cluster to directory `dir`; `ENOSPC` at FAT's directory size limit
    /// or on a full disk.
    fn extend_dir(&mut self, dir: NodeId) -> KResult<()> {
        let cs = u64::from(self.geo.cluster_size);
        let node = self.nodes.get_mut(dir)?;
        let map = node.map.as_mut().ok_or(Errno::EIO)?;
        if u64::from(map.len()) * cs >= u64::from(MAX_DIR_SLOTS) * ENTRY_SIZE as u64 {
            return Err(Errno::ENOSPC);
        }
        let runs = self.fat.allocate(&self.disk, 1, map.last())?;
        for run in runs {
            self.disk.zero(self.geo.cluster_offset(run.start), cs)?;
            map.append(run);
        }
        Ok(())
    }

    /// Frees the clusters of the removed entry that was at `location`, unless a looked-up
    /// node keeps them until it is forgotten.
    pub fn release(&mut self, location: u64, entry: &ShortEntry) -> KResult<()> {
        if self.nodes.unlink(location) {
            return Ok(());
        }
        self.fat.free_chain(&self.disk, entry.first_cluster)
    }
}
