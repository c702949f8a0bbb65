//! FAT through the whole VFS: as the namespace root and mounted at /mnt over tmpfs.

mod common;

use std::sync::Arc;

use common::*;
use errno::Errno;
use fatvfs::MSDOS_SUPER_MAGIC;
use vfs::{DevId, FileKind, FileSystem, OpenFlags, SetTime, Timespec};

const LONG: &str = "A rather long file name with spaces.text";

/// The same scenario on either setup.
fn exercise(env: &Env) {
    let cwd = env.cwd();
    let r = &env.root;

    // mkdir -p style nesting.
    env.mkdir("docs");
    env.mkdir("docs/Reports 2024");
    env.mkdir("docs/Reports 2024/q1");
    env.write(&format!("docs/Reports 2024/q1/{LONG}"), b"hello fat");
    env.write("docs/short.txt", &vec![7u8; 5000]);
    assert_eq!(env.read(&format!("docs/Reports 2024/q1/{LONG}")), b"hello fat");
    assert_eq!(env.read("docs/short.txt"), vec![7u8; 5000]);

    // Listing: `.` and `..` from the VFS, then the stored names.
    assert_eq!(env.names("docs"), [".", "..", "Reports 2024", "short.txt"]);
    let entries = env.entries("docs");
    let reports = entries.iter().find(|e| e.name == "Reports 2024").unwrap();
    assert_eq!(reports.kind, FileKind::Directory);
    assert_eq!(entries.iter().find(|e| e.name == "short.txt").unwrap().kind, FileKind::Regular);
    assert_eq!(reports.ino, env.stat("docs/Reports 2024").unwrap().meta.ino);

    // stat: kinds, sizes, modes, links, owner.
    let file = env.stat("docs/short.txt").unwrap();
    assert_eq!(file.dev, env.fat.id());
    assert_eq!(file.meta.kind, FileKind::Regular);
    assert_eq!(file.meta.size, 5000);
    assert_eq!(file.meta.blocks, 10);
    assert_eq!(file.meta.block_size, 512);
    assert_eq!(file.meta.mode(), 0o100755);
    assert_eq!(file.meta.nlink, 1);
    assert_eq!((file.meta.uid, file.meta.gid, file.meta.rdev), (0, 0, DevId::NONE));
    assert_eq!(file.meta.mtime, Timespec::new(NOW, 0));
    let dir = env.stat("docs").unwrap();
    assert_eq!(dir.meta.mode(), 0o040755);
    assert_eq!(dir.meta.nlink, 3, "2 + one subdirectory");
    assert_eq!(dir.meta.size % 512, 0);

    // Case-insensitive lookup; the stored name stays in listings.
    assert_eq!(env.read("DOCS/SHORT.TXT").len(), 5000);
    assert_eq!(env.read(&format!("docs/reports 2024/Q1/{}", LONG.to_uppercase())), b"hello fat");
    assert_eq!(env.names("docs/reports 2024/q1"), [".", "..", LONG]);

    // Rename across directories, replacing a file.
    env.write("docs/Reports 2024/victim", b"old");
    env.vfs.rename(r, &cwd, &env.path("docs/short.txt"), &env.path("docs/Reports 2024/victim")).unwrap();
    assert_eq!(env.read("docs/Reports 2024/victim").len(), 5000);
    assert_eq!(env.stat("docs/short.txt").unwrap_err(), Errno::ENOENT);
    env.vfs.rename(r, &cwd, &env.path("docs/Reports 2024/q1"), &env.path("q1-moved")).unwrap();
    assert_eq!(env.read(&format!("q1-moved/{LONG}")), b"hello fat");
    assert_eq!(env.stat("docs").unwrap().meta.nlink, 3);
    assert_eq!(
        env.vfs.rename(r, &cwd, &env.path("docs"), &env.path("docs/Reports 2024/inside")),
        Err(Errno::EINVAL)
    );

    // Removal.
    assert_eq!(env.vfs.rmdir(r, &cwd, &env.path("docs")), Err(Errno::ENOTEMPTY));
    assert_eq!(env.vfs.unlink(r, &cwd, &env.path("docs")), Err(Errno::EISDIR));
    assert_eq!(env.vfs.rmdir(r, &cwd, &env.path("docs/Reports 2024/victim")), Err(Errno::ENOTDIR));
    env.vfs.unlink(r, &cwd, &env.path("docs/Reports 2024/victim")).unwrap();
    env.vfs.rmdir(r, &cwd, &env.path("docs/Reports 2024")).unwrap();
    assert_eq!(env.names("docs"), [".", ".."]);
    assert_eq!(env.stat("docs").unwrap().meta.nlink, 2);

    // What FAT cannot hold.
    assert_eq!(env.vfs.symlink(r, &cwd, "target", &env.path("docs/link")).err(), Some(Errno::EPERM));
    assert_eq!(
        env.vfs.mknod(r, &cwd, &env.path("docs/fifo"), FileKind::Fifo, 0o644, DevId::NONE).err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        env.vfs.mknod(r, &cwd, &env.path("docs/null"), FileKind::CharDevice, 0o644, DevId::new(1, 3)).err(),
        Some(Errno::EPERM)
    );
    assert_eq!(env.vfs.link(r, &cwd, &env.path(&format!("q1-moved/{LONG}")), &env.path("docs/hard")), Err(Errno::EPERM));
    assert_eq!(env.names("docs"), [".", ".."]);

    // Names taken regardless of case.
    assert_eq!(env.vfs.mkdir(r, &cwd, &env.path("DOCS"), 0o755).unwrap_err(), Errno::EEXIST);

    // statfs.
    let st = env.vfs.statfs(r, &cwd, &env.path("docs")).unwrap();
    assert_eq!(st.magic, MSDOS_SUPER_MAGIC);
    assert_eq!((st.block_size, st.fragment_size), (512, 512));
    assert!(st.blocks >= 65_525);
    assert!(st.blocks_free > 0 && st.blocks_free < st.blocks);
    assert_eq!(st.blocks_avail, st.blocks_free);
    assert_eq!((st.files, st.files_free, st.name_max), (0, 0, 1530));
}

#[test]
fn fat_as_namespace_root() {
    let dev = formatted();
    let env = fat_root(&dev);
    assert_eq!(env.stat("/").unwrap().meta.ino, 1);
    exercise(&env);
    assert_eq!(env.names("/"), [".", "..", "docs", "q1-moved"]);
    assert_eq!(env.stat("/").unwrap().meta.nlink, 4);
    assert_eq!(env.vfs.mounts()[0].fs_type, "vfat");
}

#[test]
fn fat_mounted_at_mnt_over_tmpfs() {
    let dev = formatted();
    let env = under_tmpfs(&dev);
    exercise(&env);
    let r = &env.root;
    let cwd = env.cwd();
    assert_eq!(env.names("/"), [".", "..", "docs", "q1-moved"]);
    // Moving between tmpfs and FAT is a cross-device rename.
    env.vfs.write_file(r, &cwd, "/tmpfile", b"x", 0o644).unwrap();
    assert_eq!(env.vfs.rename(r, &cwd, "/tmpfile", "/mnt/tmpfile"), Err(Errno::EXDEV));
    assert_eq!(env.vfs.rename(r, &cwd, "/mnt/docs", "/docs"), Err(Errno::EXDEV));
    // `..` of the mount root leads back to tmpfs.
    assert_eq!(env.vfs.stat(r, &cwd, "/mnt/docs/../..").unwrap().meta.ino, env.vfs.stat(r, &cwd, "/").unwrap().meta.ino);
    let mount = env.vfs.mounts().into_iter().find(|m| m.target == "/mnt").unwrap();
    assert_eq!((mount.fs_type, mount.dev), ("vfat", env.fat.id()));
}

#[test]
fn data_persists_across_remount() {
    let dev = formatted();
    {
        let env = under_tmpfs(&dev);
        env.mkdir("a");
        env.mkdir("a/Deeper Directory");
        env.write(&format!("a/Deeper Directory/{LONG}"), b"persisted");
        env.write("big.bin", &(0..200_000u32).map(|i| i as u8).collect::<Vec<_>>());
        env.fat.sync().unwrap();
    }
    // Everything (VFS, FatVfs, FatFs) is dropped; only the device remains.
    assert_eq!(Arc::strong_count(&dev), 1);
    let env = fat_root(&dev);
    assert_eq!(env.names("/"), [".", "..", "a", "big.bin"]);
    assert_eq!(env.read(&format!("a/Deeper Directory/{LONG}")), b"persisted");
    assert_eq!(env.read("big.bin"), (0..200_000u32).map(|i| i as u8).collect::<Vec<_>>());
    assert_eq!(env.stat("a").unwrap().meta.nlink, 3);
}

#[test]
fn removed_open_file_keeps_its_data_until_closed() {
    let dev = formatted();
    let env = fat_root(&dev);
    let (r, cwd) = (&env.root, env.cwd());
    let free = |env: &Env| env.fat.statfs().unwrap().blocks_free;
    let before = free(&env);
    env.write("gone", &vec![1u8; 10_000]);
    let open = env.vfs.open(r, &cwd, "/gone", OpenFlags::read_only(), 0).unwrap();
    env.vfs.unlink(r, &cwd, "/gone").unwrap();
    assert_eq!(env.stat("gone").unwrap_err(), Errno::ENOENT);
    let mut buf = vec![0u8; 10_000];
    assert_eq!(open.inode().read_at(0, &mut buf), Ok(10_000));
    assert!(buf.iter().all(|&b| b == 1));
    assert!(free(&env) < before);
    drop(open);
    assert_eq!(free(&env), before);
}

#[test]
fn attributes_follow_linux_vfat() {
    let dev = formatted();
    let env = fat_root(&dev);
    let (r, cwd) = (&env.root, env.cwd());
    env.write("f", b"data");
    // chown to the mount's owner is a no-op, to anyone else EPERM.
    env.vfs.chown(r, &cwd, "/f", Some(0), Some(0), true).unwrap();
    assert_eq!(env.vfs.chown(r, &cwd, "/f", Some(1000), None, true), Err(Errno::EPERM));
    // chmod: set-ID bits EPERM; modes FAT cannot show silently ignored.
    assert_eq!(env.vfs.chmod(r, &cwd, "/f", 0o4755), Err(Errno::EPERM));
    env.vfs.chmod(r, &cwd, "/f", 0o700).unwrap();
    env.vfs.chmod(r, &cwd, "/f", 0o755).unwrap();
    assert_eq!(env.stat("f").unwrap().meta.perm, 0o755);
    // Times are stored (2-second mtime, access date only).
    let t = Timespec::new(1_600_000_001, 500);
    env.vfs.utimens(r, &cwd, "/f", Some(SetTime::At(t)), Some(SetTime::At(t)), true).unwrap();
    let meta = env.stat("f").unwrap().meta;
    assert_eq!(meta.mtime, Timespec::new(1_600_000_000, 0));
    assert_eq!(meta.atime, Timespec::new(1_600_000_001 - 1_600_000_001 % 86_400, 0));
    env.vfs.utimens(r, &cwd, "/f", None, Some(SetTime::Now), true).unwrap();
    assert_eq!(env.stat("f").unwrap().meta.mtime, Timespec::new(NOW, 0));
    // truncate through the VFS.
    env.vfs.truncate(r, &cwd, "/f", 2).unwrap();
    assert_eq!(env.read("f"), b"da");
    env.vfs.truncate(r, &cwd, "/f", 600).unwrap();
    assert_eq!(env.stat("f").unwrap().meta.size, 600);
    assert_eq!(env.vfs.truncate(r, &cwd, "/f", 1 << 32), Err(Errno::EFBIG));
    // Data ops on a directory.
    let root = env.fat.root();
    assert_eq!(root.read_at(0, &mut [0u8; 4]), Err(Errno::EISDIR));
    assert_eq!(root.write_at(0, b"x"), Err(Errno::EISDIR));
}

#[test]
fn many_entries_list_once_each() {
    let dev = formatted();
    let env = fat_root(&dev);
    env.mkdir("many");
    let mut expected: Vec<String> = (0..300).map(|i| format!("Entry number {i:03}.data")).collect();
    for name in &expected {
        env.write(&format!("many/{name}"), name.as_bytes());
    }
    expected.extend([".".to_string(), "..".to_string()]);
    expected.sort();
    assert_eq!(env.names("many"), expected);
    assert_eq!(env.read("many/ENTRY NUMBER 123.DATA"), b"Entry number 123.data");
}
