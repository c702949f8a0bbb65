//! File contents: `read_at`, `write_at`, `truncate`, and reserving clusters for growth.
//!
//! Invariant kept for regular files: the chain holds exactly `ceil(size / cluster_size)`
//! clusters, and a file of size 0 has first cluster 0 (fsck.fat checks both).

use errno::{Errno, KResult};

use crate::device::BlockDevice;
use crate::dirent::attr;
use crate::extents::Run;
use crate::node::NodeId;
use crate::time::FatTime;

use super::volume::Volume;
use super::MAX_FILE_SIZE;

impl<D: BlockDevice> Volume<D> {
    pub fn read_at(&mut self, id: NodeId, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        self.open_file(id)?;
        let size = u64::from(self.nodes.get(id)?.entry.size);
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let n = (buf.len() as u64).min(size - offset) as usize;
        self.data(id)?.read(offset, &mut buf[..n])?;
        Ok(n)
    }

    pub fn write_at(&mut self, id: NodeId, offset: u64, bytes: &[u8]) -> KResult<usize> {
        self.open_file(id)?;
        if bytes.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let wanted_end = offset + (bytes.len() as u64).min(MAX_FILE_SIZE - offset);
        let old_size = u64::from(self.nodes.get(id)?.entry.size);
        let end = self.reserve(id, wanted_end, offset)?;
        let data = self.data(id)?;
        if offset > old_size {
            data.zero(old_size, offset - old_size)?;
        }
        let written = (end - offset) as usize;
        data.write(offset, &bytes[..written])?;
        self.finish_change(id, old_size.max(end))?;
        Ok(written)
    }

    pub fn truncate(&mut self, id: NodeId, size: u64) -> KResult<()> {
        self.open_file(id)?;
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let old_size = u64::from(self.nodes.get(id)?.entry.size);
        if size > old_size {
            self.reserve(id, size, size - 1)?;
            self.data(id)?.zero(old_size, size - old_size)?;
        } else {
            self.cut(id, size)?;
        }
        self.finish_change(id, size)
    }

    /// Grows `id`'s chain to hold `end` bytes. With too few free clusters, takes all there
    /// are if the chain then holds more than `min_end` bytes; otherwise `ENOSPC`, nothing
    /// changed. Returns the end the chain now covers (at most `end`).
    fn reserve(&mut self, id: NodeId, end: u64, min_end: u64) -> KResult<u64> {
        let cs = u64::from(self.geo.cluster_size);
        let node = self.nodes.get_mut(id)?;
        let map = node.map.as_mut().ok_or(Errno::EIO)?;
        let need = u32::try_from(end.div_ceil(cs)).map_err(|_| Errno::EFBIG)?;
        let have = map.len();
        if need <= have {
            return Ok(end);
        }
        let count = (need - have).min(self.fat.free_count(&self.disk)?);
        let reached = if count == need - have { end } else { u64::from(have + count) * cs };
        if reached <= min_end {
            return Err(Errno::ENOSPC);
        }
        let runs = self.fat.allocate(&self.disk, count, map.last())?;
        if let Some(first) = runs.first() {
            if map.is_empty() {
                node.entry.first_cluster = first.start;
            }
        }
        runs.into_iter().for_each(|run: Run| map.append(run));
        Ok(reached)
    }

    /// Frees the clusters past those needed for `size` bytes.
    fn cut(&mut self, id: NodeId, size: u64) -> KResult<()> {
        let cs = u64::from(self.geo.cluster_size);
        let keep = u32::try_from(size.div_ceil(cs)).map_err(|_| Errno::EFBIG)?;
        let node = self.nodes.get_mut(id)?;
        let map = node.map.as_mut().ok_or(Errno::EIO)?;
        let removed = map.truncate(keep);
        if removed.is_empty() {
            return Ok(());
        }
        match map.last() {
            Some(last) => self.fat.end_chain(&self.disk, last)?,
            None => node.entry.first_cluster = 0,
        }
        self.fat.free_runs(&self.disk, &removed)
    }

    /// Records a content change of file `id`: new size, modification time, archive bit.
    fn finish_change(&mut self, id: NodeId, size: u64) -> KResult<()> {
        let now = FatTime::from_unix(self.now());
        let entry = &mut self.nodes.get_mut(id)?.entry;
        entry.size = u32::try_from(size).map_err(|_| Errno::EFBIG)?;
        entry.modified = now;
        entry.attr |= attr::ARCHIVE;
        self.save(id)
    }
}
