//! tmpfs size and inode limits.

use errno::Errno;
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
