//! Node attributes and lifetime: `metadata`, `set_times`, `statfs`, `forget`.

use errno::KResult;

use crate::device::BlockDevice;
use crate::dirent::attr;
use crate::name::MAX_NAME_UNITS;
use crate::node::{Node, NodeId, Place};
use crate::time::FatTime;

use super::volume::Volume;
use super::{Metadata, NodeKind, StatFs};

impl<D: BlockDevice> Volume<D> {
    pub fn metadata(&mut self, id: NodeId) -> KResult<Metadata> {
        let node = self.nodes.get(id)?;
        let (e, place) = (node.entry, node.place);
        let cs = u64::from(self.geo.cluster_size);
        let (kind, size, allocated) = if e.is_dir() {
            self.load_map(id)?;
            let bytes = self.data(id)?.capacity();
            (NodeKind::Dir, bytes, bytes)
        } else {
            let size = u64::from(e.size);
            (NodeKind::File, size, size.div_ceil(cs) * cs)
        };
        let (mtime, atime, crtime) = if place == Place::Root {
            (0, 0, 0)
        } else {
            let created = e.created.to_unix() + i64::from(e.created_cs / 100);
            (e.modified.to_unix(), FatTime::date_to_unix(e.accessed_date), created)
        };
        Ok(Metadata {
            ino: id,
            kind,
            size,
            blocks: allocated / 512,
            mtime,
            atime,
            ctime: mtime,
            crtime,
            readonly: e.attr & attr::READ_ONLY != 0,
        })
    }

    pub fn set_times(&mut self, id: NodeId, atime: Option<i64>, mtime: Option<i64>) -> KResult<()> {
        let node = self.nodes.get_mut(id)?;
        if node.place == Place::Root {
            return Ok(());
        }
        if let Some(t) = atime {
            node.entry.accessed_date = FatTime::from_unix(t).date;
        }
        if let Some(t) = mtime {
            node.entry.modified = FatTime::from_unix(t);
        }
        self.save(id)
    }

    pub fn statfs(&mut self) -> KResult<StatFs> {
        Ok(StatFs {
            cluster_size: self.geo.cluster_size,
            total_clusters: self.geo.cluster_count,
            free_clusters: self.fat.free_count(&self.disk)?,
            name_max: MAX_NAME_UNITS as u32,
            volume_id: self.geo.volume_id,
        })
    }

    pub fn forget(&mut self, id: NodeId, count: u64) -> KResult<()> {
        match self.nodes.forget(id, count) {
            Some(node) if node.place == Place::Unlinked => self.free_node(node),
            _ => Ok(()),
        }
    }

    /// Frees the clusters of every node removed while looked up (at unmount).
    pub fn free_unlinked(&mut self) -> KResult<()> {
        for node in self.nodes.take_unlinked() {
            self.free_node(node)?;
        }
        Ok(())
    }

    fn free_node(&mut self, node: Node) -> KResult<()> {
        match node.map {
            Some(map) => self.fat.free_runs(&self.disk, map.runs()),
            None => self.fat.free_chain(&self.disk, node.entry.first_cluster),
        }
    }
}
