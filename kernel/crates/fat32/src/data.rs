//! Byte I/O within the data of one file or directory: positions in its cluster chain are
//! translated to disk offsets run by run, so contiguous clusters move in one transfer.

use errno::{Errno, KResult};

use crate::bpb::Geometry;
use crate::device::BlockDevice;
use crate::disk::Disk;
use crate::extents::ClusterMap;

/// The clusters of one node on a volume.
pub(crate) struct NodeData<'a, D> {
    pub disk: &'a Disk<D>,
    pub geo: &'a Geometry,
    pub map: &'a ClusterMap,
}

impl<D: BlockDevice> NodeData<'_, D> {
    /// Bytes the chain holds.
    pub fn capacity(&self) -> u64 {
        u64::from(self.map.len()) * u64::from(self.geo.cluster_size)
    }

    /// Fills `buf` from position `offset`. `EIO` past the end of the chain.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> KResult<()> {
        self.each_span(offset, buf.len() as u64, |disk_at, start, n| {
            self.disk.read(disk_at, &mut buf[start as usize..(start + n) as usize])
        })
    }

    /// Writes `data` at position `offset`. `EIO` past the end of the chain.
    pub fn write(&self, offset: u64, data: &[u8]) -> KResult<()> {
        self.each_span(offset, data.len() as u64, |disk_at, start, n| {
            self.disk.write(disk_at, &data[start as usize..(start + n) as usize])
        })
    }

    /// Writes `len` zero bytes at position `offset`.
    pub fn zero(&self, offset: u64, len: u64) -> KResult<()> {
        self.each_span(offset, len, |disk_at, _, n| self.disk.zero(disk_at, n))
    }

    /// Calls `f(disk_offset, start, n)` for each disk-contiguous piece `start..start + n` of
    /// the `len` bytes at position `offset`.
    fn each_span(
        &self,
        offset: u64,
        len: u64,
        mut f: impl FnMut(u64, u64, u64) -> KResult<()>,
    ) -> KResult<()> {
        let cs = u64::from(self.geo.cluster_size);
        let mut done = 0u64;
        while done < len {
            let pos = offset.checked_add(done).ok_or(Errno::EIO)?;
            let index = u32::try_from(pos / cs).map_err(|_| Errno::EIO)?;
            let (cluster, run) = self.map.span_at(index).ok_or(Errno::EIO)?;
            let n = (u64::from(run) * cs - pos % cs).min(len - done);
            f(self.geo.cluster_offset(cluster) + pos % cs, done, n)?;
            done += n;
        }
        Ok(())
    }
}
