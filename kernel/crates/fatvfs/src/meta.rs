//! Attributes as `stat` shows them on Linux's vfat: mode from the mount's masks, owner
//! from the mount, `nlink` counted from subdirectories, times in whole seconds.

use errno::KResult;
use fat32::{BlockDevice, NodeId, NodeKind};
use vfs::{DevId, Metadata, Timespec};

use crate::fs::{file_kind, Shared};

/// Entries fetched per FAT `readdir` call while counting subdirectories.
const COUNT_BATCH: usize = 128;

/// The VFS metadata of node `id`.
pub(crate) fn metadata<D: BlockDevice + 'static>(shared: &Shared<D>, id: NodeId) -> KResult<Metadata> {
    let m = shared.fat.metadata(id)?;
    let kind = file_kind(m.kind);
    let nlink = match m.kind {
        NodeKind::Dir => 2 + subdir_count(shared, id),
        NodeKind::File => 1,
    };
    Ok(Metadata {
        ino: m.ino.0,
        kind,
        perm: shared.options.perm(kind, m.readonly),
        nlink,
        uid: shared.options.uid,
        gid: shared.options.gid,
        size: m.size,
        blocks: m.blocks,
        block_size: shared.cluster_size,
        atime: Timespec::new(m.atime, 0),
        mtime: Timespec::new(m.mtime, 0),
        ctime: Timespec::new(m.ctime, 0),
        rdev: DevId::NONE,
    })
}

/// Subdirectories of `dir` (Linux `fat_subdirs`, less `.` and `..`, which the caller adds
/// back). Like Linux, a read error ends the count instead of failing `stat`.
fn subdir_count<D: BlockDevice + 'static>(shared: &Shared<D>, dir: NodeId) -> u64 {
    let mut count = 0u64;
    let mut offset = 0;
    while let Ok(items) = shared.fat.readdir(dir, offset, COUNT_BATCH) {
        let Some(last) = items.last() else { break };
        if last.next_offset <= offset {
            break;
        }
        offset = last.next_offset;
        count += items.iter().filter(|item| item.kind == NodeKind::Dir).count() as u64;
    }
    count
}

/// Whether `name` can be listed as one directory entry. Long names past `NAME_MAX` bytes
/// (255 UTF-16 units of non-ASCII) stay listed, as on Linux.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_vfs_accepts() {
        assert!(valid_name("Long File Name.txt"));
        for bad in ["", ".", "..", "a/b", "a\0"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
        assert!(valid_name(&"é".repeat(255)));
    }
}
