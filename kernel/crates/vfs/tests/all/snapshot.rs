//! `TmpFs::snapshot`: copy-on-write clones of a whole tree.

use std::sync::Arc;

use errno::Errno;
use vfs::{Cred, DevId, FileKind, FileSystem, Inode, NewNode, SetTime, Timespec, TmpFs, TmpFsOptions, Vfs};

use crate::common::{env, env_with, Env, T0};

/// A namespace over `fs`, with the helpers of [`Env`].
fn over(e: &Env, fs: Arc<TmpFs>) -> Env {
    Env { clock: e.clock.clone(), vfs: Vfs::new(fs.clone()), fs, root: Cred::root() }
}

fn image_like() -> Env {
    let e = env();
    e.mkdir("/bin");
    e.mkdir("/etc");
    e.write("/bin/busybox", &vec![0xbb; 3 * 4096 + 5]);
    for applet in ["sh", "ls", "cat"] {
        e.vfs.link(&e.root, &e.cwd(), "/bin/busybox", &format!("/bin/{applet}")).unwrap();
    }
    e.write("/etc/passwd", b"root:x:0:0::/root:/bin/sh\n");
    e.symlink("/bin/busybox", "/bin/env");
    e
}

#[test]
fn writes_in_either_copy_stay_there() {
    let e = image_like();
    let c = over(&e, e.fs.snapshot());
    assert_eq!(c.read("/etc/passwd"), b"root:x:0:0::/root:/bin/sh\n");
    c.write("/etc/passwd", b"changed\n");
    c.write("/bin/new", b"only in the clone");
    assert_eq!(e.read("/etc/passwd"), b"root:x:0:0::/root:/bin/sh\n");
    assert_eq!(e.vfs.stat(&e.root, &e.cwd(), "/bin/new").unwrap_err(), Errno::ENOENT);
    e.write("/etc/hostname", b"original only");
    assert_eq!(c.vfs.stat(&c.root, &c.cwd(), "/etc/hostname").unwrap_err(), Errno::ENOENT);
    // Removals and renames are private too.
    c.vfs.unlink(&c.root, &c.cwd(), "/bin/cat").unwrap();
    c.vfs.rename(&c.root, &c.cwd(), "/etc", "/etc2").unwrap();
    assert_eq!(e.read("/bin/cat").len(), 3 * 4096 + 5);
    assert!(e.names("/etc").contains(&String::from("passwd")), "rename in the clone moved nothing here");
}

#[test]
fn truncate_in_the_clone_leaves_the_original() {
    let e = image_like();
    let c = over(&e, e.fs.snapshot());
    c.vfs.truncate(&c.root, &c.cwd(), "/bin/busybox", 10).unwrap();
    assert_eq!(c.read("/bin/sh").len(), 10, "hard links see the truncate in the clone");
    assert_eq!(e.read("/bin/sh"), vec![0xbb; 3 * 4096 + 5]);
    c.vfs.truncate(&c.root, &c.cwd(), "/bin/busybox", 5000).unwrap();
    let grown = c.read("/bin/busybox");
    assert_eq!(&grown[..10], &[0xbb; 10]);
    assert!(grown[10..].iter().all(|&b| b == 0), "growing exposes zeros, not old shared data");
}

#[test]
fn hard_links_stay_one_inode_inside_the_clone() {
    let e = image_like();
    let c = over(&e, e.fs.snapshot());
    let ino = c.stat("/bin/busybox").meta.ino;
    for applet in ["sh", "ls", "cat"] {
        let st = c.stat(&format!("/bin/{applet}"));
        assert_eq!((st.meta.ino, st.meta.nlink), (ino, 4), "{applet}");
    }
    c.write("/bin/sh", b"new shell");
    assert_eq!(c.read("/bin/ls"), b"new shell", "one inode in the clone");
    assert_eq!(e.read("/bin/ls").len(), 3 * 4096 + 5, "not the original's");
    c.vfs.unlink(&c.root, &c.cwd(), "/bin/ls").unwrap();
    assert_eq!(c.nlink("/bin/sh"), 3);
    assert_eq!(e.nlink("/bin/sh"), 4);
    // A new link in the clone joins the same inode.
    c.vfs.link(&c.root, &c.cwd(), "/bin/sh", "/bin/ash").unwrap();
    assert_eq!(c.stat("/bin/ash").meta.ino, ino);
}

#[test]
fn metadata_symlinks_and_special_nodes_are_copied() {
    let e = env();
    e.mkdir("/d");
    e.write("/d/f", b"data");
    let f = e.resolve("/d/f");
    f.set_owner(&e.root, Some(1000), Some(100)).unwrap();
    f.set_mode(&e.root, 0o4750).unwrap();
    f.set_times(&e.root, Some(SetTime::At(Timespec::new(5, 6))), Some(SetTime::At(Timespec::new(7, 8)))).unwrap();
    e.resolve("/d").set_mode(&e.root, 0o1777).unwrap();
    e.symlink("../d/f", "/d/link");
    e.vfs.mknod(&e.root, &e.cwd(), "/d/null", FileKind::CharDevice, 0o666, DevId::new(1, 3)).unwrap();
    e.vfs.mknod(&e.root, &e.cwd(), "/d/fifo", FileKind::Fifo, 0o600, DevId::NONE).unwrap();
    for name in ["z", "a", "m"] {
        e.write(&format!("/d/{name}"), b"");
    }
    e.clock.set(Timespec::new(T0.sec + 100, 0));

    let c = over(&e, e.fs.snapshot());
    for path in ["/", "/d", "/d/f", "/d/link", "/d/null", "/d/fifo", "/d/z"] {
        let (a, b) = (e.stat(path), c.stat(path));
        assert_eq!(a.meta, b.meta, "{path}: metadata (with times and inode number) copied");
        assert_ne!(a.dev, b.dev, "{path}: the clone is another filesystem");
    }
    assert_eq!(c.vfs.readlink(&c.root, &c.cwd(), "/d/link").unwrap(), "../d/f");
    assert_eq!(c.read("/d/link"), b"data");
    assert_eq!(c.names("/d"), e.names("/d"), "readdir order kept");
    // New inodes in the clone get numbers the copied ones do not use.
    c.write("/new", b"");
    let new_ino = c.stat("/new").meta.ino;
    let mut all = vec![];
    for name in e.names("/d") {
        if name != "." && name != ".." {
            all.push(e.stat(&format!("/d/{name}")).meta.ino);
        }
    }
    assert!(!all.contains(&new_ino));
}

#[test]
fn deep_trees_copy_and_drop_without_recursion() {
    let e = env();
    let mut dir: Arc<dyn Inode> = e.fs.root();
    let node = NewNode { kind: FileKind::Directory, perm: 0o755, uid: 0, gid: 0, rdev: DevId::NONE };
    for _ in 0..20_000 {
        dir = dir.create("d", &node).unwrap();
    }
    let leaf = NewNode { kind: FileKind::Regular, ..node };
    dir.create("leaf", &leaf).unwrap().write_at(0, b"bottom").unwrap();
    drop(dir);
    let clone = e.fs.snapshot();
    let mut here = clone.root();
    for _ in 0..20_000 {
        here = here.lookup("d").unwrap();
    }
    let mut buf = [0u8; 6];
    assert_eq!(here.lookup("leaf").unwrap().read_at(0, &mut buf), Ok(6));
    assert_eq!(&buf, b"bottom");
    assert_eq!(here.metadata().unwrap().nlink, 2);
    drop(here);
    drop(clone);
}

#[test]
fn accounting_and_limits_follow_each_instance() {
    let e = env_with(TmpFsOptions { size_limit: Some(4 * 4096), max_inodes: Some(10), ..TmpFsOptions::default() });
    e.write("/a", &[1u8; 3 * 4096]);
    let before = e.fs.statfs().unwrap();
    let clone = e.fs.snapshot();
    let c = over(&e, clone.clone());
    let st = clone.statfs().unwrap();
    assert_eq!((st.blocks_free, st.files_free), (before.blocks_free, before.files_free), "same usage as the original");
    // Overwriting shared pages is free; a new page is charged to the clone only.
    c.vfs.write_file(&c.root, &c.cwd(), "/a", &[2u8; 3 * 4096], 0o644).unwrap();
    let f = c.resolve("/a");
    assert_eq!(f.inode().write_at(3 * 4096, &[3u8; 2 * 4096]), Ok(4096), "the limit holds in the clone");
    assert_eq!(clone.statfs().unwrap().blocks_free, 0);
    assert_eq!(e.fs.statfs().unwrap().blocks_free, 1);
    drop(f);
    drop(c);
    drop(clone);
    assert_eq!(e.fs.bytes_used(), 3 * 4096, "dropping the clone leaves the original's charge");
    assert_eq!(e.read("/a"), vec![1u8; 3 * 4096]);
}
