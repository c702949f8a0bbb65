//! The in-memory node table: what the filesystem knows about each file or directory that was
//! looked up and not yet forgotten (the VFS's inodes). FAT has no inode numbers, so a node is
//! tied to the disk position of its short entry, and keeps its [`NodeId`] when renamed.
//!
//! Invariants: `at` maps exactly the positions of nodes placed at an entry; a node's `entry`
//! equals its on-disk short entry (every change is written through); an unlinked node keeps
//! its clusters until its last lookup is forgotten.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use errno::{Errno, KResult};

use crate::dirent::{ShortEntry, ENTRY_SIZE};
use crate::extents::ClusterMap;

/// Identifies a file or directory from its lookup until its lookups are forgotten. Ids are
/// stable across renames; an entry not currently looked up gets the id derived from its
/// position, so `readdir` inode numbers usually match later lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u64);

impl NodeId {
    /// The root directory; always known, never forgotten.
    pub const ROOT: NodeId = NodeId(1);
}

/// First id handed out when the position-derived one is taken.
const SPARE_IDS: u64 = 1 << 62;

/// Where a node's directory entry lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The root directory, which has no entry.
    Root,
    /// Disk byte offset of the short entry.
    Entry(u64),
    /// Removed from its directory while still looked up.
    Unlinked,
}

pub(crate) struct Node {
    pub entry: ShortEntry,
    pub place: Place,
    /// The cluster chain, loaded on first use.
    pub map: Option<ClusterMap>,
    lookups: u64,
}

pub(crate) struct NodeTable {
    nodes: BTreeMap<NodeId, Node>,
    at: BTreeMap<u64, NodeId>,
    next_spare: u64,
}

impl NodeTable {
    pub fn new(root: ShortEntry) -> NodeTable {
        let mut nodes = BTreeMap::new();
        nodes.insert(NodeId::ROOT, Node { entry: root, place: Place::Root, map: None, lookups: 1 });
        NodeTable { nodes, at: BTreeMap::new(), next_spare: SPARE_IDS }
    }

    /// `ESTALE` for an id that is not (or no longer) known.
    pub fn get(&self, id: NodeId) -> KResult<&Node> {
        self.nodes.get(&id).ok_or(Errno::ESTALE)
    }

    pub fn get_mut(&mut self, id: NodeId) -> KResult<&mut Node> {
        self.nodes.get_mut(&id).ok_or(Errno::ESTALE)
    }

    /// The node whose short entry is at disk offset `location`, if looked up.
    pub fn at(&self, location: u64) -> Option<NodeId> {
        self.at.get(&location).copied()
    }

    /// The inode number `readdir` reports for the entry at `location`.
    pub fn ino_at(&self, location: u64) -> u64 {
        self.at(location).map_or(location / ENTRY_SIZE as u64, |id| id.0)
    }

    /// Counts one more lookup of `id`.
    pub fn hold(&mut self, id: NodeId) -> KResult<NodeId> {
        let node = self.get_mut(id)?;
        node.lookups = node.lookups.saturating_add(1);
        Ok(id)
    }

    /// The node for the entry at `location` (created from `entry` if not known), with one
    /// more lookup counted.
    pub fn lookup(&mut self, location: u64, entry: ShortEntry) -> NodeId {
        if let Some(id) = self.at(location) {
            if let Some(node) = self.nodes.get_mut(&id) {
                node.lookups = node.lookups.saturating_add(1);
                return id;
            }
        }
        let preferred = NodeId(location / ENTRY_SIZE as u64);
        let id = if self.nodes.contains_key(&preferred) {
            self.next_spare += 1;
            NodeId(self.next_spare)
        } else {
            preferred
        };
        self.nodes.insert(id, Node { entry, place: Place::Entry(location), map: None, lookups: 1 });
        self.at.insert(location, id);
        id
    }

    /// Drops `count` lookups of `id`. When none remain the node is removed and returned (its
    /// clusters are the caller's to free if it was unlinked). The root is never removed.
    pub fn forget(&mut self, id: NodeId, count: u64) -> Option<Node> {
        if id == NodeId::ROOT {
            return None;
        }
        let node = self.nodes.get_mut(&id)?;
        node.lookups = node.lookups.saturating_sub(count);
        if node.lookups > 0 {
            return None;
        }
        let node = self.nodes.remove(&id)?;
        if let Place::Entry(location) = node.place {
            self.at.remove(&location);
        }
        Some(node)
    }

    /// Removes and returns every unlinked node (at unmount, when all are forgotten).
    pub fn take_unlinked(&mut self) -> Vec<Node> {
        let ids: Vec<NodeId> =
            self.nodes.iter().filter(|(_, n)| n.place == Place::Unlinked).map(|(&id, _)| id).collect();
        ids.iter().filter_map(|id| self.nodes.remove(id)).collect()
    }

    /// Marks the node at `location` (if any) unlinked; returns whether there was one, in which
    /// case it now owns the entry's clusters.
    pub fn unlink(&mut self, location: u64) -> bool {
        let Some(id) = self.at.remove(&location) else { return false };
        match self.nodes.get_mut(&id) {
            Some(node) => {
                node.place = Place::Unlinked;
                true
            }
            None => false,
        }
    }

    /// Moves the node at `from` (if any) to the entry now at `to`, holding `entry`.
    pub fn relocate(&mut self, from: u64, to: u64, entry: ShortEntry) {
        let Some(id) = self.at.remove(&from) else { return };
        if let Some(node) = self.nodes.get_mut(&id) {
            node.place = Place::Entry(to);
            node.entry = entry;
            self.at.insert(to, id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dirent::attr;
    use crate::name::ShortName;

    fn entry() -> ShortEntry {
        ShortEntry::new(ShortName(*b"A          "), 0, attr::ARCHIVE, 0)
    }

    #[test]
    fn lookups_are_counted_and_ids_survive_moves() {
        let mut t = NodeTable::new(entry());
        let a = t.lookup(3200, entry());
        assert_eq!(a, NodeId(100));
        assert_eq!(t.lookup(3200, entry()), a);
        t.relocate(3200, 6400, entry());
        assert_eq!(t.at(6400), Some(a));
        assert_eq!(t.ino_at(6400), 100);
        // A new entry at the old position cannot reuse id 100 while `a` lives.
        let b = t.lookup(3200, entry());
        assert_ne!(b, a);
        assert!(t.forget(a, 1).is_none());
        assert!(t.forget(a, 1).is_some());
        assert_eq!(t.get(a).err(), Some(Errno::ESTALE));
        assert!(t.forget(NodeId::ROOT, 5).is_none());
        assert!(t.get(NodeId::ROOT).is_ok());
    }

    #[test]
    fn unlinked_nodes_leave_the_position_index() {
        let mut t = NodeTable::new(entry());
        let a = t.lookup(3200, entry());
        assert!(t.unlink(3200));
        assert!(!t.unlink(3200));
        assert_eq!(t.at(3200), None);
        assert_eq!(t.get(a).map(|n| n.place), Ok(Place::Unlinked));
    }
}
