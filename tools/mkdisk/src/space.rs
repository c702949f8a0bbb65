//! How much room a [`Tree`] needs, and how large a disk holds it: cluster counts estimated
//! from file sizes and directory entries, and a dry-run format on a sparse in-memory device
//! to learn a disk size's cluster size and free clusters.

use std::collections::HashMap;
use std::sync::Mutex;

use fat32::{request_range, BlockDevice, FatFs, IoError, BLOCK_SIZE};

use crate::tree::{Item, Tree};

/// Bytes per directory entry, and UTF-16 units per long-name entry.
const ENTRY: u64 = 32;
const LONG_NAME_UNITS: u64 = 13;

/// Clusters the tree needs beyond a fresh volume's root cluster, counting every name as if
/// it needed long-name entries (so it never underestimates).
pub fn clusters_needed(tree: &Tree, cluster_size: u64) -> u64 {
    // The root already has one cluster, holding the volume label entry.
    let root = dir_clusters(&tree.roots, 1, cluster_size).saturating_sub(1);
    root + items_clusters(&tree.roots, cluster_size)
}

fn items_clusters(items: &[Item], cs: u64) -> u64 {
    items
        .iter()
        .map(|item| match item {
            Item::File { meta, .. } => meta.len().div_ceil(cs),
            Item::Dir { children, .. } => dir_clusters(children, 2, cs) + items_clusters(children, cs),
        })
        .sum()
}

/// Clusters of a directory holding `items` plus `fixed` other entries (`.`/`..`, label).
fn dir_clusters(items: &[Item], fixed: u64, cs: u64) -> u64 {
    let entries = |item: &Item| 1 + (item.name().encode_utf16().count() as u64).div_ceil(LONG_NAME_UNITS);
    let slots: u64 = fixed + items.iter().map(entries).sum::<u64>();
    (slots * ENTRY).div_ceil(cs).max(1)
}

/// Cluster size and free clusters of a freshly formatted disk of `bytes`.
pub fn capacity(bytes: u64, label: &str) -> Option<(u64, u64)> {
    let dev = SparseDevice { blocks: bytes / BLOCK_SIZE as u64, written: Mutex::new(HashMap::new()) };
    fat32::format(&dev, label).ok()?;
    let st = FatFs::mount(dev, || 0).ok()?.statfs().ok()?;
    Some((u64::from(st.cluster_size), u64::from(st.free_clusters)))
}

/// The smallest disk size, in whole MiB, at least `from`, whose free space holds `tree`
/// (growing by 1/8 at a time; capped at 2 TiB).
pub fn minimum_disk(tree: &Tree, from: u64, label: &str) -> u64 {
    let mut size = from.next_multiple_of(1 << 20).max(1 << 20);
    while size < 2 << 40 {
        if let Some((cs, free)) = capacity(size, label) {
            if clusters_needed(tree, cs) <= free {
                return size;
            }
        }
        size = (size + size / 8).next_multiple_of(1 << 20);
    }
    size
}

/// A device keeping only blocks written with some non-zero byte; all else reads as zeros.
struct SparseDevice {
    blocks: u64,
    written: Mutex<HashMap<u64, [u8; BLOCK_SIZE]>>,
}

impl BlockDevice for SparseDevice {
    fn read_blocks(&self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        request_range(lba, buf.len(), self.blocks * BLOCK_SIZE as u64)?;
        let written = self.written.lock().map_err(|_| IoError::Device)?;
        for (i, chunk) in buf.chunks_mut(BLOCK_SIZE).enumerate() {
            match written.get(&(lba + i as u64)) {
                Some(block) => chunk.copy_from_slice(block),
                None => chunk.fill(0),
            }
        }
        Ok(())
    }

    fn write_blocks(&self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        request_range(lba, buf.len(), self.blocks * BLOCK_SIZE as u64)?;
        let mut written = self.written.lock().map_err(|_| IoError::Device)?;
        for (i, chunk) in buf.chunks(BLOCK_SIZE).enumerate() {
            let at = lba + i as u64;
            match <[u8; BLOCK_SIZE]>::try_from(chunk) {
                Ok(block) if block.iter().any(|&b| b != 0) => written.insert(at, block),
                _ => written.remove(&at),
            };
        }
        Ok(())
    }

    fn block_count(&self) -> u64 {
        self.blocks
    }

    fn flush(&self) -> Result<(), IoError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_matches_a_real_format() {
        let (cs, free) = capacity(40 << 20, "X").unwrap();
        assert_eq!(cs, 512);
        assert!(free > 80_000 && free < 82_000, "{free}");
        assert_eq!(capacity(300 << 20, "").unwrap().0, 4096);
        assert_eq!(capacity(8 << 20, ""), None);
    }

    #[test]
    fn estimates_files_and_directories() {
        let tree = Tree { roots: Vec::new(), files: 0, dirs: 0, bytes: 0, skipped: Vec::new() };
        assert_eq!(clusters_needed(&tree, 512), 0);
        assert!((33 << 20..=40 << 20).contains(&minimum_disk(&tree, 1, "")));
    }
}
