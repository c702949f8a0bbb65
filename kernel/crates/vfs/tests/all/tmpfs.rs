//! tmpfs operations through the VFS: nlink, timestamps, sparse files,
//! ownership, readdir stability, lifetimes.

use std::sync::Arc;

use errno::Errno;
use vfs::{FileKind, FileSystem, Inode, OpenFlags, SetTime, Timespec, TmpFs, TmpFsOptions};

use crate::common::{env, user, T0};

#[test]
fn nlink_counts_files_and_directories() {
    let e = env();
    assert_eq!(e.nlink("/"), 2);
    e.mkdir("/d");
    assert_eq!(e.nlink("/"), 3);
    assert_eq!(e.nlink("/d"), 2);
    e.mkdir("/d/s1");
    e.mkdir("/d/s2");
    e.write("/d/f", b"");
    assert_eq!(e.nlink("/d"), 4);
    e.vfs.link(&e.root, &e.cwd(), "/d/f", "/d/f2").unwrap();
    assert_eq!(e.nlink("/d/f"), 2);
    assert_eq!(e.nlink("/d"), 4);
    e.vfs.unlink(&e.root, &e.cwd(), "/d/f").unwrap();
    assert_eq!(e.nlink("/d/f2"), 1);
    e.vfs.rmdir(&e.root, &e.cwd(), "/d/s1").unwrap();
    assert_eq!(e.nlink("/d"), 3);
    assert_eq!(e.vfs.link(&e.root, &e.cwd(), "/d/s2", "/d/s3").unwrap_err(), Errno::EPERM);
}

#[test]
fn hard_links_share_data_and_survive_unlink() {
    let e = env();
    e.write("/a", b"shared");
    e.vfs.link(&e.root, &e.cwd(), "/a", "/b").unwrap();
    assert_eq!(e.stat("/a").meta.ino, e.stat("/b").meta.ino);
    e.write("/b", b"changed");
    assert_eq!(e.read("/a"), b"changed");
    e.vfs.unlink(&e.root, &e.cwd(), "/a").unwrap();
    assert_eq!(e.read("/b"), b"changed");
    assert_eq!(e.vfs.link(&e.root, &e.cwd(), "/b", "/b").unwrap_err(), Errno::EEXIST);
    assert_eq!(e.vfs.link(&e.root, &e.cwd(), "/missing", "/c").unwrap_err(), Errno::ENOENT);
}

#[test]
fn symlinks_store_targets() {
    let e = env();
    e.symlink("some/where", "/l");
    let st = e.stat("/l");
    assert_eq!((st.meta.kind, st.meta.size, st.meta.perm), (FileKind::Symlink, 10, 0o777));
    assert_eq!(e.vfs.readlink(&e.root, &e.cwd(), "/l").unwrap(), "some/where");
    e.write("/f", b"");
    assert_eq!(e.vfs.readlink(&e.root, &e.cwd(), "/f").unwrap_err(), Errno::EINVAL);
    assert_eq!(e.vfs.symlink(&e.root, &e.cwd(), "", "/empty").unwrap_err(), Errno::ENOENT);
    assert_eq!(e.vfs.symlink(&e.root, &e.cwd(), "x", "/l").unwrap_err(), Errno::EEXIST);
    assert_eq!(e.vfs.symlink(&e.root, &e.cwd(), "x", "/newdir/").unwrap_err(), Errno::ENOENT);
}

#[test]
fn create_errors_follow_linux() {
    let e = env();
    e.write("/f", b"");
    let (r, c) = (&e.root, e.cwd());
    assert_eq!(e.vfs.mkdir(r, &c, "/f", 0o755).unwrap_err(), Errno::EEXIST);
    assert_eq!(e.vfs.mkdir(r, &c, "/", 0o755).unwrap_err(), Errno::EEXIST);
    assert_eq!(e.vfs.mkdir(r, &c, "/.", 0o755).unwrap_err(), Errno::EEXIST);
    assert_eq!(e.vfs.mkdir(r, &c, "/f/x", 0o755).unwrap_err(), Errno::ENOTDIR);
    assert!(e.vfs.mkdir(r, &c, "/newdir/", 0o755).is_ok());
    assert_eq!(e.vfs.create(r, &c, "/g/", 0o644).unwrap_err(), Errno::ENOENT);
    assert_eq!(e.vfs.mkdir(r, &c, &"x".repeat(256), 0o755).unwrap_err(), Errno::ENAMETOOLONG);
    assert_eq!(e.vfs.unlink(r, &c, "/newdir").unwrap_err(), Errno::EISDIR);
    assert_eq!(e.vfs.unlink(r, &c, "/f/").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(e.vfs.unlink(r, &c, "/newdir/").unwrap_err(), Errno::EISDIR);
    assert_eq!(e.vfs.unlink(r, &c, "/").unwrap_err(), Errno::EISDIR);
    assert_eq!(e.vfs.rmdir(r, &c, "/f").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(e.vfs.rmdir(r, &c, "/").unwrap_err(), Errno::EBUSY);
    assert_eq!(e.vfs.rmdir(r, &c, "/newdir/..").unwrap_err(), Errno::ENOTEMPTY);
    e.write("/newdir/x", b"");
    assert_eq!(e.vfs.rmdir(r, &c, "/newdir").unwrap_err(), Errno::ENOTEMPTY);
}

#[test]
fn open_flags_semantics() {
    let e = env();
    e.mkdir("/d");
    e.write("/f", b"hello");
    e.symlink("/f", "/lf");
    e.symlink("/d/new", "/dangling");
    let (r, c) = (&e.root, e.cwd());
    let o = |flags: u32, path: &str| e.vfs.open(r, &c, path, OpenFlags::from_linux(flags), 0o600);
    const WR: u32 = 1;
    const RDWR: u32 = 2;
    const CREAT: u32 = 0o100;
    const EXCL: u32 = 0o200;
    const TRUNC: u32 = 0o1000;
    const DIRECTORY: u32 = 0o200000;
    const NOFOLLOW: u32 = 0o400000;
    const PATH: u32 = 0o10000000;
    assert_eq!(o(CREAT | EXCL | WR, "/f").unwrap_err(), Errno::EEXIST);
    assert_eq!(o(CREAT | EXCL | WR, "/lf").unwrap_err(), Errno::EEXIST);
    assert_eq!(o(CREAT | WR, "/d").unwrap_err(), Errno::EISDIR);
    assert_eq!(o(RDWR, "/d").unwrap_err(), Errno::EISDIR);
    assert_eq!(o(0, "/f/").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(o(DIRECTORY, "/f").unwrap_err(), Errno::ENOTDIR);
    assert_eq!(o(NOFOLLOW, "/lf").unwrap_err(), Errno::ELOOP);
    assert_eq!(o(CREAT | NOFOLLOW | WR, "/lf").unwrap_err(), Errno::ELOOP);
    assert_eq!(o(PATH | NOFOLLOW, "/lf").unwrap().kind().unwrap(), FileKind::Symlink);
    assert_eq!(o(CREAT | WR, "/x/").unwrap_err(), Errno::EISDIR);
    assert!(o(0, "/d").is_ok());
    // A dangling symlink with O_CREAT creates its target.
    o(CREAT | WR, "/dangling").unwrap();
    assert_eq!(e.kind("/d/new"), FileKind::Regular);
    assert_eq!(e.stat("/d/new").meta.perm, 0o600);
    // O_TRUNC empties an existing file.
    o(WR | TRUNC, "/lf").unwrap();
    assert_eq!(e.read("/f"), b"");
}

#[test]
fn timestamps_follow_linux() {
    let e = env();
    let t = |s: i64| Timespec::new(T0.sec + s, 0);
    e.mkdir("/d");
    e.clock.set(t(10));
    e.write("/d/f", b"abc");
    let f = e.stat("/d/f").meta;
    let d = e.stat("/d").meta;
    assert_eq!((f.atime, f.mtime, f.ctime), (t(10), t(10), t(10)));
    assert_eq!((d.mtime, d.ctime), (t(10), t(10)), "create touches the directory");

    e.clock.set(t(20));
    let loc = e.resolve("/d/f");
    loc.inode().write_at(3, b"def").unwrap();
    let f = e.stat("/d/f").meta;
    assert_eq!((f.atime, f.mtime, f.ctime), (t(10), t(20), t(20)), "write: mtime+ctime");
    assert_eq!(e.stat("/d").meta.mtime, t(10), "write leaves the directory alone");

    e.clock.set(t(30));
    assert_eq!(e.read("/d/f"), b"abcdef");
    assert_eq!(e.stat("/d/f").meta.atime, t(30), "read: atime (relatime: atime <= mtime)");
    e.clock.set(t(40));
    e.read("/d/f");
    assert_eq!(e.stat("/d/f").meta.atime, t(30), "relatime: not again until modified or a day passes");
    e.clock.set(t(30 + 86_400));
    e.read("/d/f");
    assert_eq!(e.stat("/d/f").meta.atime, t(30 + 86_400));

    e.clock.set(t(200_000));
    e.vfs.chmod(&e.root, &e.cwd(), "/d/f", 0o600).unwrap();
    let f = e.stat("/d/f").meta;
    assert_eq!((f.mtime, f.ctime), (t(20), t(200_000)), "chmod: ctime only");

    e.clock.set(t(200_010));
    e.vfs.link(&e.root, &e.cwd(), "/d/f", "/d/g").unwrap();
    assert_eq!(e.stat("/d/f").meta.ctime, t(200_010), "link: ctime of the file");
    assert_eq!(e.stat("/d").meta.mtime, t(200_010), "link: mtime of the directory");

    e.clock.set(t(200_020));
    e.vfs.rename(&e.root, &e.cwd(), "/d/g", "/h").unwrap();
    assert_eq!(e.stat("/h").meta.ctime, t(200_020), "rename: ctime of the moved inode");
    assert_eq!(e.stat("/d").meta.mtime, t(200_020));
    assert_eq!(e.stat("/").meta.mtime, t(200_020));

    e.clock.set(t(200_030));
    e.vfs.unlink(&e.root, &e.cwd(), "/h").unwrap();
    assert_eq!(e.stat("/d/f").meta.ctime, t(200_030), "unlink: ctime of the remaining link");

    e.clock.set(t(200_040));
    e.vfs.truncate(&e.root, &e.cwd(), "/d/f", 1).unwrap();
    let f = e.stat("/d/f").meta;
    assert_eq!((f.size, f.mtime, f.ctime), (1, t(200_040), t(200_040)));

    e.clock.set(t(200_050));
    let at = Timespec::new(5, 6);
    e.vfs.utimens(&e.root, &e.cwd(), "/d/f", Some(SetTime::At(at)), None, true).unwrap();
    let f = e.stat("/d/f").meta;
    assert_eq!((f.atime, f.mtime, f.ctime), (at, t(200_040), t(200_050)));
    e.vfs.utimens(&e.root, &e.cwd(), "/d/f", None, Some(SetTime::Now), true).unwrap();
    assert_eq!(e.stat("/d/f").meta.mtime, t(200_050));

    e.clock.set(t(200_060));
    e.names("/d");
    assert_eq!(e.stat("/d").meta.atime, t(200_060), "readdir: atime");
}

#[test]
fn sparse_files_and_truncate_both_ways() {
    let e = env();
    let f = e.vfs.create(&e.root, &e.cwd(), "/sparse", 0o644).unwrap();
    let far = 1u64 << 40;
    assert_eq!(f.inode().write_at(far, b"end").unwrap(), 3);
    let st = e.stat("/sparse").meta;
    assert_eq!((st.size, st.blocks), (far + 3, 8));
    assert!(e.fs.bytes_used() <= 4096);
    let mut buf = [9u8; 16];
    assert_eq!(f.inode().read_at(4096 * 1000, &mut buf).unwrap(), 16);
    assert_eq!(buf, [0; 16]);
    f.truncate(5).unwrap();
    assert_eq!(e.stat("/sparse").meta.size, 5);
    assert_eq!(e.fs.bytes_used(), 0);
    e.write("/g", b"0123456789");
    let g = e.resolve("/g");
    g.truncate(4).unwrap();
    g.truncate(8).unwrap();
    assert_eq!(e.read("/g"), b"0123\0\0\0\0");
    assert_eq!(e.resolve("/").truncate(0).unwrap_err(), Errno::EISDIR);
}

#[test]
fn ownership_and_setgid_directories() {
    let e = env();
    let alice = vfs::Cred::new(1000, 100, vec![]);
    e.mkdir("/shared");
    e.vfs.chown(&e.root, &e.cwd(), "/shared", Some(0), Some(50), true).unwrap();
    e.vfs.chmod(&e.root, &e.cwd(), "/shared", 0o2777).unwrap();
    let f = e.vfs.create(&alice, &e.cwd(), "/shared/f", 0o644).unwrap().metadata().unwrap();
    assert_eq!((f.uid, f.gid), (1000, 50), "gid inherited from a set-group-ID directory");
    let d = e.vfs.mkdir(&alice, &e.cwd(), "/shared/d", 0o755).unwrap().metadata().unwrap();
    assert_eq!((d.gid, d.perm), (50, 0o2755), "new directories inherit the bit");
    let plain = e.vfs.mkdir(&alice, &e.cwd(), "/shared/d/../../tmpd", 0o7777);
    assert_eq!(plain.unwrap_err(), Errno::EACCES, "/ is 0755 root");
    e.vfs.chmod(&e.root, &e.cwd(), "/", 0o777).unwrap();
    let m = e.vfs.mkdir(&alice, &e.cwd(), "/tmpd", 0o7777).unwrap().metadata().unwrap();
    assert_eq!((m.uid, m.gid, m.perm), (1000, 100, 0o1777), "mkdir drops set-ID bits");
}

#[test]
fn chown_clears_set_id_bits_of_files() {
    let e = env();
    e.write("/prog", b"");
    e.vfs.chmod(&e.root, &e.cwd(), "/prog", 0o6755).unwrap();
    e.vfs.chown(&e.root, &e.cwd(), "/prog", Some(5), None, true).unwrap();
    assert_eq!(e.stat("/prog").meta.perm, 0o0755);
    e.vfs.symlink(&e.root, &e.cwd(), "/prog", "/lnk").unwrap();
    e.vfs.chown(&e.root, &e.cwd(), "/lnk", Some(7), Some(7), false).unwrap();
    assert_eq!((e.stat("/lnk").meta.uid, e.stat("/prog").meta.uid), (7, 5));
}

#[test]
fn readdir_is_stable_while_the_directory_changes() {
    let e = env();
    e.mkdir("/d");
    for i in 0..10 {
        e.write(&format!("/d/f{i}"), b"");
    }
    let dir = e.resolve("/d");
    let mut seen = Vec::new();
    let mut cookie = 0;
    while let Some((entry, next)) = dir.readdir(cookie).unwrap() {
        seen.push(entry.name.clone());
        if entry.name == "f3" {
            for gone in ["f0", "f1", "f5", "f6"] {
                e.vfs.unlink(&e.root, &e.cwd(), &format!("/d/{gone}")).unwrap();
            }
            e.write("/d/late", b"");
        }
        cookie = next;
    }
    let expect = [".", "..", "f0", "f1", "f2", "f3", "f4", "f7", "f8", "f9", "late"];
    assert_eq!(seen, expect);
    // Resuming at a cookie after the end stays at the end.
    assert!(dir.readdir(cookie).unwrap().is_none());
    assert_eq!(e.resolve("/d/f2").readdir(0).unwrap_err(), Errno::ENOTDIR);
}

#[test]
fn unlinked_open_file_keeps_data_until_dropped() {
    let opts = TmpFsOptions { size_limit: Some(1 << 20), ..TmpFsOptions::default() };
    let e = crate::common::env_with(opts);
    e.write("/f", &[1u8; 8192]);
    let open = e.resolve("/f");
    e.vfs.unlink(&e.root, &e.cwd(), "/f").unwrap();
    assert_eq!(open.metadata().unwrap().nlink, 0);
    let mut buf = [0u8; 4];
    assert_eq!(open.inode().read_at(8000, &mut buf).unwrap(), 4);
    assert_eq!(e.fs.bytes_used(), 8192);
    drop(open);
    assert_eq!(e.fs.bytes_used(), 0);
}

#[test]
fn directory_size_and_metadata() {
    let e = env();
    e.mkdir("/d");
    assert_eq!(e.stat("/d").meta.size, 40);
    e.write("/d/a", b"");
    assert_eq!(e.stat("/d").meta.size, 60);
    let st = e.stat("/d/a");
    assert_eq!((st.meta.kind, st.meta.perm, st.meta.uid, st.meta.block_size), (FileKind::Regular, 0o644, 0, 4096));
    assert_eq!(st.dev, e.fs.id());
    assert_eq!(e.fs.statfs().unwrap().magic, vfs::tmpfs::TMPFS_MAGIC);
}

#[test]
fn fifo_and_device_nodes_are_plain_nodes() {
    let e = env();
    let c = e.cwd();
    e.vfs.mknod(&e.root, &c, "/fifo", FileKind::Fifo, 0o600, vfs::DevId::NONE).unwrap();
    e.vfs.mknod(&e.root, &c, "/null", FileKind::CharDevice, 0o666, vfs::DevId::new(1, 3)).unwrap();
    assert_eq!(e.stat("/null").meta.rdev, vfs::DevId::new(1, 3));
    assert_eq!(e.stat("/null").meta.rdev.encode(), 0x103);
    let mut buf = [0u8; 1];
    assert_eq!(e.resolve("/null").inode().read_at(0, &mut buf).unwrap_err(), Errno::ENXIO, "no driver registry");
    assert_eq!(e.resolve("/fifo").inode().read_at(0, &mut buf).unwrap_err(), Errno::EINVAL);
    let err = e.vfs.mknod(&user(5), &c, "/dev2", FileKind::CharDevice, 0o666, vfs::DevId::new(1, 3));
    assert_eq!(err.unwrap_err(), Errno::EACCES);
    assert_eq!(e.vfs.mknod(&e.root, &c, "/d", FileKind::Directory, 0o755, vfs::DevId::NONE).unwrap_err(), Errno::EINVAL);
}

#[test]
fn deep_trees_drop_without_recursion() {
    let clock = Arc::new(vfs::ManualClock::new(T0));
    let fs = TmpFs::new(clock, TmpFsOptions::default());
    let vfs = vfs::Vfs::new(fs.clone());
    let root = vfs::Cred::root();
    let mut here = vfs.root();
    for _ in 0..50_000 {
        here = vfs.mkdir(&root, &here, "d", 0o755).unwrap();
    }
    assert_eq!(here.path().len(), 100_000);
    drop(here);
    drop(vfs);
    drop(fs);
}

#[test]
fn inode_trait_defaults_give_linux_errnos() {
    struct Bare;
    impl Inode for Bare {
        fn metadata(&self) -> errno::KResult<vfs::Metadata> {
            Ok(vfs::Metadata {
                ino: 1,
                kind: FileKind::Directory,
                perm: 0o755,
                nlink: 2,
                uid: 0,
                gid: 0,
                size: 0,
                blocks: 0,
                block_size: 512,
                atime: T0,
                mtime: T0,
                ctime: T0,
                rdev: vfs::DevId::NONE,
            })
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn fs(&self) -> Option<Arc<dyn FileSystem>> {
            None
        }
    }
    let b = Bare;
    assert_eq!(b.unlink("x").unwrap_err(), Errno::EPERM);
    assert_eq!(b.read_at(0, &mut []).unwrap_err(), Errno::EISDIR);
    assert_eq!(b.readlink().unwrap_err(), Errno::EINVAL);
    assert_eq!(b.lookup("x").err(), Some(Errno::ENOTDIR));
    assert!(b.device().is_none());
}
