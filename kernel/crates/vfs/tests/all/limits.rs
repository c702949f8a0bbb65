//! tmpfs size and inode limits.

use errno::Errno;
use std::sync::Arc;
use vfs::{FileSystem, TmpFsOptions};

use crate::common::env_with;

const PAGE: usize = 4096;

#[test]
fn size_limit_gives_short_writes_then_enospc() {
    let e = env_with(TmpFsOptions { size_limit: Some(3 * PAGE as u64), ..TmpFsOptions::default() });
    let st = e.fs.statfs().unwrap();
    assert_eq!((st.blocks, st.blocks_free, st.block_size), (3, 3, 4096));
    e.write("/a", &[1u8; 2 * PAGE]);
    let f = e.vfs.create(&e.root, &e.cwd(), "/b", 0o644).unwrap();
    assert_eq!(f.inode().write_at(0, &[2u8; 2 * PAGE]), Ok(PAGE), "short write");
    assert_eq!(f.inode().write_at(PAGE as u64, &[2u8; 10]), Err(Errno::ENOSPC));
    assert_eq!(f.inode().write_at(100, b"overwrite in place"), Ok(18));
    assert_eq!(e.fs.statfs().unwrap().blocks_free, 0);
    assert_eq!(e.vfs.statfs(&e.root, &e.cwd(), "/").unwrap().blocks_avail, 0);
    assert_eq!(e.vfs.write_file(&e.root, &e.cwd(), "/c", &[0u8; 10], 0o644), Err(Errno::ENOSPC));
    e.vfs.unlink(&e.root, &e.cwd(), "/a").unwrap();
    assert_eq!(e.fs.statfs().unwrap().blocks_free, 2);
    f.truncate(0).unwrap();
    assert_eq!(e.fs.bytes_used(), 0);
    // Sparse growth costs nothing.
    f.truncate(1 << 30).unwrap();
    assert_eq!(e.fs.bytes_used(), 0);
}

#[test]
fn inode_limit_gives_enospc() {
    let e = env_with(TmpFsOptions { max_inodes: Some(3), ..TmpFsOptions::default() });
    e.mkdir("/a");
    e.write("/b", b"");
    assert_eq!(e.vfs.create(&e.root, &e.cwd(), "/c", 0o644).unwrap_err(), Errno::ENOSPC);
    assert_eq!(e.fs.statfs().unwrap().files_free, 0);
    e.vfs.unlink(&e.root, &e.cwd(), "/b").unwrap();
    e.vfs.symlink(&e.root, &e.cwd(), "x", "/c").unwrap();
}

/// A `PageCharge` that takes at most `cap` pages.
struct Budget {
    used: std::sync::atomic::AtomicU64,
    cap: u64,
}

impl vfs::tmpfs::PageCharge for Budget {
    fn charge(&self) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        self.used.try_update(SeqCst, SeqCst, |u| (u < self.cap).then_some(u + 1)).is_ok()
    }
    fn uncharge(&self, pages: u64) {
        self.used.fetch_sub(pages, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn page_charge_refuses_pages_past_its_budget_and_gets_them_back() {
    let budget = Arc::new(Budget { used: 0.into(), cap: 2 });
    let e = env_with(TmpFsOptions { charge: Some(budget.clone()), ..TmpFsOptions::default() });
    let f = e.vfs.create(&e.root, &e.cwd(), "/a", 0o644).unwrap();
    assert_eq!(f.inode().write_at(0, &[1u8; 3 * PAGE]), Ok(2 * PAGE), "the charge stops the write short");
    assert_eq!(f.inode().write_at(2 * PAGE as u64, &[1u8; 10]), Err(Errno::ENOSPC));
    assert_eq!(budget.used.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(e.fs.bytes_used(), 2 * PAGE as u64, "a refused page is not counted as used");
    f.truncate(PAGE as u64).unwrap();
    assert_eq!(budget.used.load(std::sync::atomic::Ordering::SeqCst), 1, "truncate gives pages back");
    // A snapshot's shared pages were never charged to its own budget: freeing them gives nothing back.
    let other = Arc::new(Budget { used: 0.into(), cap: 8 });
    let clone = e.fs.snapshot_charged(Some(other.clone()));
    drop(clone);
    assert_eq!(other.used.load(std::sync::atomic::Ordering::SeqCst), 0);
    drop(f);
    e.vfs.unlink(&e.root, &e.cwd(), "/a").unwrap();
    assert_eq!(budget.used.load(std::sync::atomic::Ordering::SeqCst), 0, "unlinking the file gives the rest back");
}
