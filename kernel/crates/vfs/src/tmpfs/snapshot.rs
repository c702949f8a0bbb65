//! The tree walk behind [`super::TmpFs::snapshot`]: every inode copied once
//! (a file with several links becomes one copy entered under each name), file
//! pages shared, directories filled in readdir order. Iterative, so a deep
//! tree cannot overflow the stack.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use super::dir::DirData;
use super::inode::TmpInode;
use super::Shared;
use crate::node::Inode;
use crate::types::FileKind;

/// Copies the tree under `root` into the instance `shared`; returns the new root.
pub(super) fn copy_tree(root: &Arc<TmpInode>, shared: &Arc<Shared>) -> Arc<TmpInode> {
    let new_root = root.snapshot_copy(shared, Weak::new());
    // Copies of multiply-linked non-directories, by inode number (unique
    // within the source instance), so hard links stay one inode.
    let mut linked: BTreeMap<u64, Arc<TmpInode>> = BTreeMap::new();
    let mut pending: Vec<(Arc<TmpInode>, Arc<TmpInode>)> = alloc::vec![(root.clone(), new_root.clone())];
    while let Some((old_dir, new_dir)) = pending.pop() {
        let mut entries = DirData::default();
        for (name, child) in old_dir.dir_entries() {
            let copy = if child.kind() == Ok(FileKind::Directory) {
                let copy = child.snapshot_copy(shared, Arc::downgrade(&new_dir));
                pending.push((child, copy.clone()));
                copy
            } else if child.nlink() > 1 {
                linked.entry(child.ino()).or_insert_with(|| child.snapshot_copy(shared, Weak::new())).clone()
            } else {
                child.snapshot_copy(shared, Weak::new())
            };
            // Names are unique in the source directory, so this cannot fail.
            let _ = entries.insert(&name, copy);
        }
        new_dir.fill_dir(entries);
    }
    new_root
}

#[cfg(test)]
mod tests {
    use alloc::sync::Arc;
    use alloc::vec;

    use crate::node::{FileSystem, Inode};
    use crate::tmpfs::{TmpFs, TmpFsOptions, TmpInode, PAGE_SIZE};
    use crate::types::{DevId, FileKind, NewNode, Timespec};
    use crate::ManualClock;

    fn fs() -> Arc<TmpFs> {
        TmpFs::new(Arc::new(ManualClock::new(Timespec::new(1_000, 0))), TmpFsOptions::default())
    }

    fn file(dir: &Arc<dyn Inode>, name: &str) -> Arc<dyn Inode> {
        let node = NewNode { kind: FileKind::Regular, perm: 0o755, uid: 0, gid: 0, rdev: DevId::NONE };
        dir.create(name, &node).unwrap()
    }

    fn shared_pages(a: &Arc<dyn Inode>, b: &Arc<dyn Inode>) -> u64 {
        let a = a.as_any().downcast_ref::<TmpInode>().unwrap();
        let b = b.as_any().downcast_ref::<TmpInode>().unwrap();
        a.with_pages(|pa| b.with_pages(|pb| pa.pages_shared_with(pb)).unwrap()).unwrap()
    }

    #[test]
    fn a_large_file_is_shared_and_copied_one_page_per_write() {
        let original = fs();
        let big = vec![0x5a_u8; 1_900_000];
        let f = file(&original.root(), "busybox");
        assert_eq!(f.write_at(0, &big), Ok(big.len()));
        let pages = big.len().div_ceil(PAGE_SIZE) as u64;

        let clone = original.snapshot();
        let g = clone.root().lookup("busybox").unwrap();
        assert_eq!(shared_pages(&f, &g), pages, "every page shared, none copied");
        assert_eq!(clone.page_copies(), 0);
        assert_eq!(clone.bytes_used(), original.bytes_used());
        assert!(f.content_id().is_some());
        assert_eq!(g.content_id(), f.content_id(), "same bytes, same content id");

        assert_eq!(g.write_at(1_000_000, b"patched"), Ok(7));
        assert_ne!(g.content_id(), f.content_id(), "a write gives the copy its own id");
        assert_eq!(clone.page_copies(), 1, "one page copied");
        assert_eq!(shared_pages(&f, &g), pages - 1);
        assert_eq!(original.page_copies(), 0);
        assert_eq!(clone.bytes_used(), original.bytes_used(), "a copy does not change the charge");

        // A write spanning a page boundary copies exactly the two pages.
        let boundary = 10 * PAGE_SIZE as u64 - 2;
        assert_eq!(g.write_at(boundary, b"abcd"), Ok(4));
        assert_eq!(clone.page_copies(), 3);
        // Writing an already private page copies nothing more.
        assert_eq!(g.write_at(1_000_001, b"x"), Ok(1));
        assert_eq!(clone.page_copies(), 3);

        let mut buf = [0u8; 7];
        f.read_at(1_000_000, &mut buf).unwrap();
        assert_eq!(&buf, &[0x5a; 7], "the original is unchanged");
        g.read_at(1_000_000, &mut buf).unwrap();
        assert_eq!(&buf, b"pxtched");
    }

    #[test]
    fn truncating_into_a_shared_page_copies_it() {
        let original = fs();
        let f = file(&original.root(), "f");
        f.write_at(0, &[7u8; 3 * PAGE_SIZE]).unwrap();
        let clone = original.snapshot();
        let g = clone.root().lookup("f").unwrap();
        g.truncate(PAGE_SIZE as u64 + 10).unwrap();
        assert_eq!(clone.page_copies(), 1, "the new last page is zeroed past the end: copied");
        assert_eq!(shared_pages(&f, &g), 1);
        assert_eq!(clone.bytes_used(), 2 * PAGE_SIZE as u64);
        assert_eq!(original.bytes_used(), 3 * PAGE_SIZE as u64);
        let mut buf = [0u8; 20];
        f.read_at(PAGE_SIZE as u64, &mut buf).unwrap();
        assert_eq!(buf, [7u8; 20]);
    }
}
