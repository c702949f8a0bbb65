//! mount, umount, stacking, busy rules, read-only mounts.

use errno::Errno;
use vfs::{FileSystem, MountFlags, MountOptions, OpenFlags, SetTime};

use crate::common::{env, tmpfs};

#[test]
fn mount_shows_new_filesystem_and_umount_reveals_old() {
    let e = env();
    e.mkdir("/mnt");
    e.write("/mnt/under", b"u");
    let fs = tmpfs(&e.clock);
    e.vfs.mount("/mnt", fs.clone(), MountOptions::new("tmpfs")).unwrap();
    assert_eq!(e.names("/mnt"), [".", ".."]);
    e.write("/mnt/over", b"o");
    assert_eq!(e.stat("/mnt").dev, fs.id());
    assert_ne!(e.stat("/").dev, fs.id());
    e.vfs.umount("/mnt").unwrap();
    assert_eq!(e.names("/mnt"), [".", "..", "under"]);
    assert_eq!(e.vfs.umount("/mnt").unwrap_err(), Errno::EINVAL);
}

#[test]
fn mount_table_lists_targets_and_options() {
    let e = env();
    e.mkdir("/proc");
    e.mkdir("/dev");
    e.mkdir("/dev/shm");
    e.vfs.mount("/dev", tmpfs(&e.clock), MountOptions::new("devtmpfs")).unwrap();
    e.mkdir("/dev/shm");
    let mut shm = MountOptions::new("shm");
    shm.flags = MountFlags { nosuid: true, nodev: true, noexec: true, read_only: false };
    shm.data = "size=65536k".into();
    e.vfs.mount("/dev/shm", tmpfs(&e.clock), shm).unwrap();
    e.vfs.mount("/proc", tmpfs(&e.clock), MountOptions::new("proc").read_only()).unwrap();
    let mounts = e.vfs.mounts();
    let lines: Vec<String> = mounts
        .iter()
        .map(|m| format!("{} {} {} {}", m.source, m.target, m.fs_type, m.options))
        .collect();
    assert_eq!(
        lines,
        [
            "tmpfs / tmpfs rw",
            "devtmpfs /dev tmpfs rw",
            "shm /dev/shm tmpfs rw,nosuid,nodev,noexec,size=65536k",
            "proc /proc tmpfs ro",
        ]
    );
    assert_eq!(mounts[0].parent_id, mounts[0].id);
    assert_eq!(mounts[2].parent_id, mounts[1].id);
}

#[test]
fn umount_busy_rules() {
    let e = env();
    e.mkdir("/m");
    e.vfs.mount("/m", tmpfs(&e.clock), MountOptions::new("a")).unwrap();
    e.mkdir("/m/sub");
    e.vfs.mount("/m/sub", tmpfs(&e.clock), MountOptions::new("b")).unwrap();
    assert_eq!(e.vfs.umount("/m").unwrap_err(), Errno::EBUSY, "child mount");
    let held = e.resolve("/m/sub");
    assert_eq!(e.vfs.umount("/m/sub").unwrap_err(), Errno::EBUSY, "held location");
    drop(held);
    e.vfs.umount("/m/sub").unwrap();
    e.vfs.umount("/m").unwrap();
    assert_eq!(e.vfs.umount("/").unwrap_err(), Errno::EBUSY);
    e.mkdir("/plain");
    assert_eq!(e.vfs.umount("/plain").unwrap_err(), Errno::EINVAL);
}

#[test]
fn lazy_umount_detaches_but_keeps_locations_working() {
    let e = env();
    e.mkdir("/m");
    e.vfs.mount("/m", tmpfs(&e.clock), MountOptions::new("a")).unwrap();
    e.mkdir("/m/d");
    let cwd = e.resolve("/m/d");
    e.vfs.umount_detach("/m").unwrap();
    assert_eq!(e.names("/m"), [".", ".."]);
    assert_eq!(cwd.path(), "(unreachable)/d");
    assert_eq!(e.vfs.resolve(&cwd, "../..", true).unwrap().path(), "(unreachable)/");
    assert!(e.vfs.mkdir(&e.root, &cwd, "still_works", 0o755).is_ok());
    assert_eq!(e.vfs.mounts().len(), 1);
}

#[test]
fn stacked_mounts_and_mount_over_root() {
    let e = env();
    e.mkdir("/m");
    e.vfs.mount("/m", tmpfs(&e.clock), MountOptions::new("lower")).unwrap();
    e.write("/m/lower", b"");
    e.vfs.mount("/m", tmpfs(&e.clock), MountOptions::new("upper")).unwrap();
    assert_eq!(e.names("/m"), [".", ".."]);
    assert_eq!(e.resolve("/m/..").path(), "/");
    e.vfs.umount("/m").unwrap();
    assert_eq!(e.names("/m"), [".", "..", "lower"]);

    e.vfs.mount("/", tmpfs(&e.clock), MountOptions::new("newroot")).unwrap();
    assert_eq!(e.names("/"), [".", ".."]);
    e.mkdir("/x");
    assert_eq!(e.resolve("/x/../..").path(), "/");
    assert_eq!(e.resolve("/x").path(), "/x");
    assert_eq!(e.vfs.mounts().last().unwrap().target, "/");
}

#[test]
fn files_mount_on_files_and_dirs_on_dirs() {
    let e = env();
    e.write("/file", b"orig");
    e.mkdir("/dir");
    assert_eq!(e.vfs.mount("/file", tmpfs(&e.clock), MountOptions::new("t")).unwrap_err(), Errno::ENOTDIR);
    let host = crate::common::env();
    host.write("/resolv.conf", b"nameserver 10.0.0.1\n");
    let source = host.resolve("/resolv.conf");
    assert_eq!(e.vfs.bind(&source, &e.resolve("/dir"), MountOptions::new("x")).unwrap_err(), Errno::ENOTDIR);
    e.vfs.bind(&source, &e.resolve("/file"), MountOptions::new("/resolv.conf")).unwrap();
    assert_eq!(e.read("/file"), b"nameserver 10.0.0.1\n");
    assert_eq!(e.vfs.unlink(&e.root, &e.cwd(), "/file").unwrap_err(), Errno::EBUSY);
}

#[test]
fn mount_points_are_busy_for_unlink_rmdir_rename() {
    let e = env();
    e.mkdir("/m");
    e.mkdir("/other");
    e.vfs.mount("/m", tmpfs(&e.clock), MountOptions::new("t")).unwrap();
    let root = &e.root;
    assert_eq!(e.vfs.rmdir(root, &e.cwd(), "/m").unwrap_err(), Errno::EBUSY);
    assert_eq!(e.vfs.rename(root, &e.cwd(), "/m", "/n").unwrap_err(), Errno::EBUSY);
    assert_eq!(e.vfs.rename(root, &e.cwd(), "/other", "/m").unwrap_err(), Errno::EBUSY);
    assert_eq!(e.vfs.rmdir(root, &e.cwd(), "/m/.").unwrap_err(), Errno::EINVAL);
}

#[test]
fn cross_mount_rename_and_link_are_exdev() {
    let e = env();
    e.mkdir("/m");
    e.vfs.mount("/m", tmpfs(&e.clock), MountOptions::new("t")).unwrap();
    e.write("/f", b"x");
    assert_eq!(e.vfs.rename(&e.root, &e.cwd(), "/f", "/m/f").unwrap_err(), Errno::EXDEV);
    assert_eq!(e.vfs.link(&e.root, &e.cwd(), "/f", "/m/f").unwrap_err(), Errno::EXDEV);
}

#[test]
fn read_only_mounts_refuse_writes() {
    let e = env();
    e.mkdir("/ro");
    let fs = tmpfs(&e.clock);
    e.vfs.mount("/ro", fs.clone(), MountOptions::new("t")).unwrap();
    e.mkdir("/ro/d");
    e.write("/ro/f", b"data");
    e.vfs.umount("/ro").unwrap();
    e.vfs.mount("/ro", fs, MountOptions::new("t").read_only()).unwrap();
    let (r, c) = (&e.root, e.cwd());
    assert_eq!(e.vfs.mkdir(r, &c, "/ro/new", 0o755).unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.mkdir(r, &c, "/ro/d", 0o755).unwrap_err(), Errno::EEXIST);
    assert_eq!(e.vfs.create(r, &c, "/ro/g", 0o644).unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.write_file(r, &c, "/ro/f", b"x", 0o644).unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.open(r, &c, "/ro/f", OpenFlags::from_linux(1), 0).unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.unlink(r, &c, "/ro/f").unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.unlink(r, &c, "/ro/missing").unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.rmdir(r, &c, "/ro/d").unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.rename(r, &c, "/ro/f", "/ro/g").unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.symlink(r, &c, "x", "/ro/l").unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.chmod(r, &c, "/ro/f", 0o600).unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.chown(r, &c, "/ro/f", Some(1), None, true).unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.utimens(r, &c, "/ro/f", Some(SetTime::Now), None, true).unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.truncate(r, &c, "/ro/f", 0).unwrap_err(), Errno::EROFS);
    assert_eq!(e.vfs.chmod(r, &c, "/ro/missing", 0o600).unwrap_err(), Errno::ENOENT);
    assert_eq!(e.read("/ro/f"), b"data");
    assert_eq!(e.vfs.statfs(r, &c, "/ro").unwrap().flags & 1, 1);
    assert_eq!(e.vfs.statfs(r, &c, "/").unwrap().flags & 1, 0);
}

#[test]
fn readdir_dotdot_inos() {
    let e = env();
    e.mkdir("/a");
    e.mkdir("/a/b");
    e.mkdir("/m");
    e.vfs.mount("/m", tmpfs(&e.clock), MountOptions::new("t")).unwrap();
    let ino = |p: &str| e.stat(p).meta.ino;
    let entries = |p: &str| e.vfs.open_dir_entries(&e.root, &e.cwd(), p).unwrap();
    let b = entries("/a/b");
    assert_eq!((b[0].name.as_str(), b[0].ino), (".", ino("/a/b")));
    assert_eq!((b[1].name.as_str(), b[1].ino), ("..", ino("/a")));
    let root = entries("/");
    assert_eq!(root[1].ino, ino("/"));
    let m = entries("/m");
    assert_eq!(m[1].ino, ino("/m"), "a mount root's .. is itself within its filesystem");
}
