//! Names: `lookup`, `readdir`, `create`, `mkdir`, `unlink`, `rmdir`, `rename`, with the
//! error codes Linux gives for each case.

use alloc::string::String;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use crate::data::NodeData;
use crate::device::BlockDevice;
use crate::dir::{self, DirView, Record};
use crate::dirent::{attr, ShortEntry, ENTRY_SIZE};
use crate::name::{self, is_dot_name, ShortName};
use crate::node::{NodeId, Place};

use super::volume::Volume;
use super::{DirItem, NodeKind};

/// Most `..` links followed when checking that a directory is not moved into itself.
const MAX_DEPTH: u32 = 65536;

impl<D: BlockDevice> Volume<D> {
    /// The node `name` refers to in `dir`, and its name as stored.
    pub fn lookup(&mut self, dir: NodeId, name: &str) -> KResult<(NodeId, String)> {
        self.open_dir(dir)?;
        if self.nodes.get(dir)?.place == Place::Unlinked {
            return Err(Errno::ENOENT);
        }
        match name {
            "." => Ok((self.nodes.hold(dir)?, name.into())),
            ".." => Ok((self.lookup_parent(dir)?, name.into())),
            _ => {
                let name = name::lookup_name(name)?;
                let (record, location) = self.find(dir, name)?.ok_or(Errno::ENOENT)?;
                Ok((self.nodes.lookup(location, record.entry), record.name()))
            }
        }
    }

    /// The parent of `dir`: found through `..`, then the grandparent's entry for it.
    fn lookup_parent(&mut self, dir: NodeId) -> KResult<NodeId> {
        let root = self.geo.root_cluster;
        let parent = match self.dotdot_value(dir)? {
            0 => 0,
            cluster => dir::parent_cluster(&self.disk, &self.geo, cluster)?,
        };
        if parent == 0 || parent == root {
            return self.nodes.hold(NodeId::ROOT);
        }
        let grandparent = match dir::parent_cluster(&self.disk, &self.geo, parent)? {
            0 => root,
            cluster => cluster,
        };
        let map = self.fat.load_chain(&self.disk, grandparent)?;
        let view = DirView::new(NodeData { disk: &self.disk, geo: &self.geo, map: &map });
        for record in view.records(0) {
            let record = record?;
            if record.entry.is_dir() && record.entry.first_cluster == parent {
                let location = view.disk_offset(record.short_slot)?;
                return Ok(self.nodes.lookup(location, record.entry));
            }
        }
        Err(Errno::EIO)
    }

    pub fn readdir(&mut self, dir: NodeId, offset: u64, max: usize) -> KResult<Vec<DirItem>> {
        self.open_dir(dir)?;
        if offset % ENTRY_SIZE as u64 != 0 || max == 0 {
            return Err(Errno::EINVAL);
        }
        let Ok(from) = u32::try_from(offset / ENTRY_SIZE as u64) else { return Ok(Vec::new()) };
        let view = self.view(dir)?;
        let mut items = Vec::new();
        for record in view.records(from).take(max) {
            let record = record?;
            let location = view.disk_offset(record.short_slot)?;
            items.push(DirItem {
                name: record.name(),
                kind: if record.entry.is_dir() { NodeKind::Dir } else { NodeKind::File },
                ino: self.nodes.ino_at(location),
                next_offset: (u64::from(record.short_slot) + 1) * ENTRY_SIZE as u64,
            });
        }
        Ok(items)
    }

    pub fn create(&mut self, dir: NodeId, name: &str) -> KResult<NodeId> {
        let name = self.new_entry_name(dir, name)?;
        let entry = ShortEntry::new(ShortName::DOT, 0, attr::ARCHIVE, self.now());
        let (location, stored) = self.insert(dir, name, entry)?;
        self.touch(dir)?;
        Ok(self.nodes.lookup(location, stored))
    }

    pub fn mkdir(&mut self, dir: NodeId, name: &str) -> KResult<NodeId> {
        let name = self.new_entry_name(dir, name)?;
        let parent = self.dotdot_value(dir)?;
        let runs = self.fat.allocate(&self.disk, 1, None)?;
        let cluster = runs.first().ok_or(Errno::EIO)?.start;
        let mut entry = ShortEntry::new(ShortName::DOT, 0, attr::DIRECTORY, self.now());
        entry.first_cluster = cluster;
        let made = self.init_dir_cluster(&entry, parent).and_then(|()| self.insert(dir, name, entry));
        let (location, stored) = match made {
            Ok(made) => made,
            Err(e) => {
                self.fat.free_runs(&self.disk, &runs)?;
                return Err(e);
            }
        };
        self.touch(dir)?;
        Ok(self.nodes.lookup(location, stored))
    }

    pub fn unlink(&mut self, dir: NodeId, name: &str) -> KResult<()> {
        self.open_dir(dir)?;
        if is_dot_name(name) {
            return Err(Errno::EISDIR);
        }
        let (record, location) = self.find_existing(dir, name)?;
        if record.entry.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.remove(dir, &record, location)
    }

    pub fn rmdir(&mut self, dir: NodeId, name: &str) -> KResult<()> {
        self.open_dir(dir)?;
        match name {
            "." => return Err(Errno::EINVAL),
            ".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        let (record, location) = self.find_existing(dir, name)?;
        if !record.entry.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if !self.dir_is_empty(location, &record.entry)? {
            return Err(Errno::ENOTEMPTY);
        }
        self.remove(dir, &record, location)
    }

    pub fn rename(
        &mut self,
        src_dir: NodeId,
        src_name: &str,
        dst_dir: NodeId,
        dst_name: &str,
    ) -> KResult<()> {
        self.open_dir(src_dir)?;
        self.open_live_dir(dst_dir)?;
        if is_dot_name(src_name) || is_dot_name(dst_name) {
            return Err(Errno::EBUSY);
        }
        let (src, src_location) = self.find_existing(src_dir, src_name)?;
        let dst_name = name::new_name(dst_name)?;
        let dst = self.find(dst_dir, dst_name)?;
        if let Some((target, target_location)) = &dst {
            if *target_location == src_location {
                return Ok(());
            }
            match (src.entry.is_dir(), target.entry.is_dir()) {
                (false, true) => return Err(Errno::EISDIR),
                (true, false) => return Err(Errno::ENOTDIR),
                (true, true) if !self.dir_is_empty(*target_location, &target.entry)? => {
                    return Err(Errno::ENOTEMPTY)
                }
                _ => {}
            }
        }
        let moved_dir = src.entry.is_dir().then_some(src.entry.first_cluster);
        let new_parent = self.dotdot_value(dst_dir)?;
        if let Some(moved) = moved_dir {
            let dst_cluster = self.nodes.get(dst_dir)?.entry.first_cluster;
            if self.is_within(dst_cluster, moved)? {
                return Err(Errno::EINVAL);
            }
            dir::parent_cluster(&self.disk, &self.geo, moved)?;
        }
        // The node's copy of the entry is authoritative (and equal to the disk's).
        let node = self.nodes.at(src_location).and_then(|id| self.nodes.get(id).ok());
        let entry = node.map_or(src.entry, |n| n.entry);
        let (new_location, stored) = match dst {
            // Like Linux, a replaced entry's slots are reused: the target keeps its name
            // entries and its short name, and takes over the source's data. This needs no
            // new slot, so it cannot fail for lack of space.
            Some((target, location)) => {
                self.release(location, &target.entry)?;
                let stored = ShortEntry { name: target.entry.name, case: target.entry.case, ..entry };
                self.disk.write(location, &stored.encode())?;
                (location, stored)
            }
            None => self.insert(dst_dir, dst_name, entry)?,
        };
        self.view(src_dir)?.delete(&src)?;
        self.nodes.relocate(src_location, new_location, stored);
        if let Some(moved) = moved_dir {
            if src_dir != dst_dir {
                dir::set_parent_cluster(&self.disk, &self.geo, moved, new_parent)?;
            }
        }
        self.touch(src_dir)?;
        if dst_dir != src_dir {
            self.touch(dst_dir)?;
        }
        Ok(())
    }

    /// Zeroes the first cluster of the new directory `entry` and writes its `.` and `..`.
    fn init_dir_cluster(&self, entry: &ShortEntry, parent: u32) -> KResult<()> {
        let at = self.geo.cluster_offset(entry.first_cluster);
        self.disk.zero(at, u64::from(self.geo.cluster_size))?;
        self.disk.write(at, dir::dot_entries(entry, parent).as_flattened())
    }

    /// Checks a name for a new entry in `dir` and that it is free (`EEXIST`).
    fn new_entry_name<'n>(&mut self, dir: NodeId, name: &'n str) -> KResult<&'n str> {
        self.open_live_dir(dir)?;
        if is_dot_name(name) {
            return Err(Errno::EEXIST);
        }
        let name = name::new_name(name)?;
        if self.find(dir, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        Ok(name)
    }

    /// The entry `name` refers to in `dir`; `ENOENT` if none.
    fn find_existing(&self, dir: NodeId, name: &str) -> KResult<(Record, u64)> {
        let name = name::lookup_name(name)?;
        self.find(dir, name)?.ok_or(Errno::ENOENT)
    }

    /// Deletes `record` (at `location`) from `dir` and releases its clusters.
    fn remove(&mut self, dir: NodeId, record: &Record, location: u64) -> KResult<()> {
        self.view(dir)?.delete(record)?;
        self.release(location, &record.entry)?;
        self.touch(dir)
    }

    /// Whether the directory whose entry is `entry` (at `location`) holds only dot entries.
    fn dir_is_empty(&mut self, location: u64, entry: &ShortEntry) -> KResult<bool> {
        if let Some(id) = self.nodes.at(location) {
            self.load_map(id)?;
            return self.view(id)?.is_empty();
        }
        let map = self.fat.load_chain(&self.disk, entry.first_cluster)?;
        DirView::new(NodeData { disk: &self.disk, geo: &self.geo, map: &map }).is_empty()
    }

    /// Whether the directory starting at `dir_cluster` is `ancestor` or below it, following
    /// `..` entries up to the root.
    fn is_within(&self, dir_cluster: u32, ancestor: u32) -> KResult<bool> {
        let mut cur = dir_cluster;
        for _ in 0..MAX_DEPTH {
            if cur == ancestor {
                return Ok(true);
            }
            if cur == 0 || cur == self.geo.root_cluster {
                return Ok(false);
            }
            cur = dir::parent_cluster(&self.disk, &self.geo, cur)?;
        }
        Err(Errno::ELOOP)
    }
}
