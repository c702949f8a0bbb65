//! The reader against `mkfs.erofs` images, and the writer against `fsck.erofs` (which checks
//! and extracts) and `dump.erofs`: erofs-utils 1.5 (Debian) as the independent oracle.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::*;
use erofs::writer::{Content, Meta, Options, Tree as WTree};
use erofs::{ErofsFs, Image};
use vfs::{Cred, FileKind, FileSystem, Vfs};

fn set_mtime(path: &Path, secs: i64) {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    let f = fs::File::options().write(true).open(path).or_else(|_| fs::File::open(path)).unwrap();
    f.set_modified(t).unwrap();
}

/// A varied source tree: sizes around block boundaries, long and short symlinks, hard links,
/// a FIFO, a large directory, modes with set-id and sticky bits, and (as root) other owners
/// and device nodes.
fn make_source(dir: &Path) {
    let sizes = [0usize, 1, 100, 4095, 4096, 4097, 8191, 8192, 12_000, 100_000];
    fs::create_dir_all(dir.join("files")).unwrap();
    for size in sizes {
        let data: Vec<u8> = (0..size).map(|i| (i * 7 + size) as u8).collect();
        fs::write(dir.join(format!("files/f{size}")), data).unwrap();
    }
    fs::create_dir_all(dir.join("links/deeper/deepest")).unwrap();
    symlink("../files/f100", dir.join("links/short")).unwrap();
    symlink("x".repeat(300), dir.join("links/dangling-300")).unwrap();
    symlink("y/".repeat(1990), dir.join("links/long-3980")).unwrap();
    fs::hard_link(dir.join("files/f4097"), dir.join("links/hard")).unwrap();
    fs::hard_link(dir.join("files/f4097"), dir.join("links/deeper/hard2")).unwrap();
    Command::new("mkfifo").arg(dir.join("links/fifo")).status().unwrap();
    fs::create_dir_all(dir.join("big")).unwrap();
    for i in 0..700 {
        let name = format!("{}-entry-{i:04}", "n".repeat(i % 40));
        fs::write(dir.join("big").join(name), format!("{i}")).unwrap();
    }
    fs::write(dir.join("-dash"), b"sorts before .").unwrap();
    fs::write(dir.join("modes"), b"m").unwrap();
    fs::set_permissions(dir.join("modes"), fs::Permissions::from_mode(0o4751)).unwrap();
    fs::create_dir(dir.join("sticky")).unwrap();
    fs::set_permissions(dir.join("sticky"), fs::Permissions::from_mode(0o1777)).unwrap();
    if is_root() {
        std::os::unix::fs::lchown(dir.join("files/f1"), Some(1000), Some(100)).unwrap();
        std::os::unix::fs::lchown(dir.join("links/short"), Some(70000), Some(70001)).unwrap();
        std::os::unix::fs::chown(dir.join("sticky"), Some(65534), Some(65534)).unwrap();
        run(Command::new("mknod").arg(dir.join("links/null")).args(["c", "1", "3"]));
        run(Command::new("mknod").arg(dir.join("links/blk")).args(["b", "259", "70000"]));
        run(Command::new("mknod").arg(dir.join("links/whiteout")).args(["c", "0", "0"]));
    }
    set_mtime(&dir.join("files/f1"), 1_600_000_000);
    set_mtime(&dir.join("modes"), 0);
}

fn mkfs(source: &Path, image: &Path, args: &[&str]) -> Vec<u8> {
    run(Command::new("mkfs.erofs").arg("--quiet").args(args).arg(image).arg(source));
    fs::read(image).unwrap()
}

#[test]
fn mkfs_images_read_like_their_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_source(&src);
    let expected = host_tree(&src);
    let variants: [&[&str]; 4] = [&[], &["-T0", "-Eforce-inode-extended"], &["-Enoinline_data"], &["--chunksize=8192"]];
    for args in variants {
        let image = mkfs(&src, &tmp.path().join("x.erofs"), args);
        let fs = mount(image);
        let mut actual = fs_tree(&fs);
        if args.contains(&"-T0") {
            // -T sets every timestamp.
            let mut e = expected.clone();
            e.values_mut().for_each(|v| v.mtime = 0);
            assert_same(&e, &actual, &format!("mkfs.erofs {args:?}"));
            continue;
        }
        // mkfs.erofs 1.5 gives the root the build time, not the directory's mtime.
        actual.get_mut("").unwrap().mtime = expected[""].mtime;
        assert_same(&expected, &actual, &format!("mkfs.erofs {args:?}"));
    }
}

#[test]
fn mkfs_images_through_the_vfs() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_source(&src);
    let fs: Arc<dyn FileSystem> = mount(mkfs(&src, &tmp.path().join("x.erofs"), &[]));
    let ns = Vfs::new(fs.clone());
    let root = Cred::root();
    let cwd = ns.root();
    assert_eq!(ns.read_file(&root, &cwd, "/links/short").unwrap(), fs::read(src.join("files/f100")).unwrap());
    assert_eq!(ns.read_file(&root, &cwd, "/links/deeper/../hard").unwrap().len(), 4097);
    assert_eq!(ns.readlink(&root, &cwd, "/links/short").unwrap(), "../files/f100");
    let st = ns.stat(&root, &cwd, "/links/hard").unwrap();
    assert_eq!((st.meta.nlink, st.meta.size), (3, 4097));
    assert_eq!(st.dev, fs.id());
    assert_eq!(ns.statfs(&root, &cwd, "/").unwrap().magic, 0xE0F5_E1E2);
    assert_eq!(ns.stat(&root, &cwd, "/big/nnn-entry-0003").unwrap().meta.size, 1);
    assert_eq!(ns.stat(&root, &cwd, "/big/missing").unwrap_err(), errno::Errno::ENOENT);
    assert_eq!(ns.write_file(&root, &cwd, "/new", b"x", 0o644).unwrap_err(), errno::Errno::EROFS);
    assert_eq!(ns.mkdir(&root, &cwd, "/files/d", 0o755).unwrap_err(), errno::Errno::EROFS);
    assert_eq!(ns.unlink(&root, &cwd, "/files/f1").unwrap_err(), errno::Errno::EROFS);
    let f = ns.resolve(&cwd, "/files/f100", true).unwrap();
    assert!(f.inode().content_id().is_some());
    assert_eq!(f.inode().write_at(0, b"x").unwrap_err(), errno::Errno::EROFS);
}

/// The writer's tree for a host directory.
fn tree_of(dir: &Path) -> WTree<'static> {
    let meta_of = |m: &fs::Metadata| {
        use std::os::unix::fs::MetadataExt;
        Meta { perm: m.mode() & 0o7777, uid: m.uid(), gid: m.gid(), mtime: m.mtime() as u64, mtime_nsec: 0 }
    };
    let mut tree = WTree::new(meta_of(&fs::symlink_metadata(dir).unwrap()));
    let mut inodes: BTreeMap<u64, usize> = BTreeMap::new();
    fn walk(tree: &mut WTree<'static>, at: usize, dir: &Path, inodes: &mut BTreeMap<u64, usize>, meta_of: &dyn Fn(&fs::Metadata) -> Meta) {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let m = fs::symlink_metadata(e.path()).unwrap();
            let name = e.file_name().into_encoded_bytes();
            if !m.is_dir() {
                if let Some(&existing) = inodes.get(&m.ino()) {
                    tree.link(at, &name, existing).unwrap();
                    continue;
                }
            }
            let ft = m.file_type();
            let dev = vfs::DevId::decode(m.rdev());
            let content = if ft.is_dir() {
                Content::Dir(BTreeMap::new())
            } else if ft.is_symlink() {
                Content::Symlink(fs::read_link(e.path()).unwrap().into_os_string().into_encoded_bytes())
            } else if ft.is_char_device() {
                Content::CharDevice { major: dev.major, minor: dev.minor }
            } else if ft.is_block_device() {
                Content::BlockDevice { major: dev.major, minor: dev.minor }
            } else if ft.is_fifo() {
                Content::Fifo
            } else {
                Content::File(fs::read(e.path()).unwrap().into())
            };
            let id = tree.add(at, &name, meta_of(&m), content).unwrap();
            inodes.insert(m.ino(), id);
            if ft.is_dir() {
                walk(tree, id, &e.path(), inodes, meta_of);
            }
        }
    }
    walk(&mut tree, WTree::ROOT, dir, &mut inodes, &meta_of);
    tree
}

#[test]
fn writer_images_pass_fsck_and_extract_to_the_same_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    make_source(&src);
    let expected = host_tree(&src);
    let tree = tree_of(&src);
    let image = tree.to_vec(&Options { uuid: [7; 16], ..Options::default() }).unwrap();
    let path = tmp.path().join("ours.erofs");
    fs::write(&path, &image).unwrap();
    run(Command::new("fsck.erofs").arg(&path));
    // Our reader sees the source tree.
    assert_same(&expected, &fs_tree(&mount(image.clone())), "our reader on our image");
    // fsck.erofs extracts the source tree (as root with owners; else without them).
    let out = tmp.path().join("extracted");
    let preserve = if is_root() { "--preserve" } else { "--preserve-perms" };
    run(Command::new("fsck.erofs").arg(format!("--extract={}", out.display())).arg(preserve).arg(&path));
    let mut extracted = host_tree(&out);
    let mut wanted = expected.clone();
    if !is_root() {
        for t in [&mut extracted, &mut wanted] {
            t.values_mut().for_each(|e| (e.uid, e.gid) = (0, 0));
        }
    }
    // fsck.erofs 1.5 extracts hard links as separate files, sets no directory mtimes after
    // filling them and chowns after chmod (dropping set-ID bits): compare those fields
    // through dump.erofs instead.
    for t in [&mut extracted, &mut wanted] {
        for e in t.values_mut() {
            e.perm &= 0o1777;
            if e.kind == FileKind::Regular {
                e.nlink = None;
            }
            if e.kind == FileKind::Directory || e.kind == FileKind::Symlink {
                e.mtime = 0;
            }
        }
    }
    assert_same(&wanted, &extracted, "fsck.erofs --extract of our image");
    let dump = run(Command::new("dump.erofs").arg("--path=/links/hard").arg(&path));
    assert!(dump.contains("Links: 3"), "{dump}");
    assert!(dump.contains("Size: 4097"), "{dump}");
    let dump = run(Command::new("dump.erofs").arg("--path=/modes").arg(&path));
    assert!(dump.contains("Access: 0751"), "{dump}"); // dump.erofs shows no set-ID bits
    let dump = run(Command::new("dump.erofs").arg("-s").arg(&path));
    assert!(dump.contains("sb_csum"), "{dump}");
}

#[test]
fn writer_xattrs_and_whiteouts() {
    let mut tree = WTree::new(Meta { perm: 0o755, ..Meta::default() });
    let d = tree.add(WTree::ROOT, b"opaque", Meta { perm: 0o700, uid: 5, gid: 6, mtime: 9, mtime_nsec: 0 }, Content::Dir(BTreeMap::new())).unwrap();
    tree.set_xattr(d, "trusted.overlay.opaque", b"y");
    let f = tree.add(d, b"file", Meta { perm: 0o644, ..Meta::default() }, Content::File(b"hello"[..].into())).unwrap();
    tree.set_xattr(f, "user.note", b"a value");
    tree.set_xattr(f, "security.capability", &[1, 2, 3, 4, 5]);
    tree.add(WTree::ROOT, b"gone", Meta::default(), Content::CharDevice { major: 0, minor: 0 }).unwrap();
    let image = tree.to_vec(&Options::default()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("x.erofs"), &image).unwrap();
    run(Command::new("fsck.erofs").arg(tmp.path().join("x.erofs")));
    let fs = mount(image);
    let dir = fs.root().lookup("opaque").unwrap();
    assert_eq!(dir.getxattr("trusted.overlay.opaque").unwrap(), b"y");
    assert_eq!(dir.getxattr("user.other").unwrap_err(), errno::Errno::ENODATA);
    let file = dir.lookup("file").unwrap();
    assert_eq!(read_all(&file), b"hello");
    let mut names = file.listxattr().unwrap();
    names.sort();
    assert_eq!(names, ["security.capability", "user.note"]);
    assert_eq!(file.getxattr("security.capability").unwrap(), [1, 2, 3, 4, 5]);
    let gone = fs.root().lookup("gone").unwrap().metadata().unwrap();
    assert_eq!((gone.kind, gone.rdev), (FileKind::CharDevice, vfs::DevId::NONE));
}

#[test]
fn writer_is_reproducible_and_packs_large_trees() {
    let mut tree = WTree::new(Meta { perm: 0o755, mtime: 5, ..Meta::default() });
    // Many small files (inline tails), some large ones, names up to 255 bytes.
    for i in 0..3000u32 {
        let name = format!("{i:05}{}", "z".repeat((i as usize * 13) % 250));
        let data = vec![i as u8; (i as usize * 37) % 9000];
        let mtime = if i % 3 == 0 { 5 } else { u64::from(i) };
        tree.add(WTree::ROOT, name.as_bytes(), Meta { perm: 0o644, uid: i % 70_000, gid: 0, mtime, mtime_nsec: i % 1000 }, Content::File(data.into())).unwrap();
    }
    let a = tree.to_vec(&Options::default()).unwrap();
    assert_eq!(a, tree.to_vec(&Options::default()).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("x.erofs"), &a).unwrap();
    run(Command::new("fsck.erofs").arg(tmp.path().join("x.erofs")));
    let image = Image::open(Arc::new(a.clone())).unwrap();
    assert_eq!(image.superblock().build_time, 5);
    let fs = ErofsFs::mount(Arc::new(a)).unwrap();
    let root = fs.root();
    for i in (0..3000u32).step_by(7) {
        let name = format!("{i:05}{}", "z".repeat((i as usize * 13) % 250));
        let f = root.lookup(&name).unwrap();
        let m = f.metadata().unwrap();
        assert_eq!(m.size, ((i as usize * 37) % 9000) as u64);
        assert_eq!(m.uid, i % 70_000);
        assert_eq!(m.mtime.nsec, i % 1000);
        assert!(read_all(&f).iter().all(|&b| b == i as u8));
    }
    assert_eq!(root.lookup("00001").err(), Some(errno::Errno::ENOENT));
    assert_eq!(root.lookup("zzzz").err(), Some(errno::Errno::ENOENT));
    assert_eq!(root.lookup("0").err(), Some(errno::Errno::ENOENT));
    let mut n = 0;
    let mut cookie = 0;
    while let Some((_, next)) = root.readdir(cookie).unwrap() {
        cookie = next;
        n += 1;
    }
    assert_eq!(n, 3000);
}
