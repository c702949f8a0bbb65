//! Overlay semantics over EROFS lower layers and a tmpfs upper, through the VFS.

mod common;

use common::*;
use errno::Errno;
use vfs::{Cred, DevId, FileKind, FileSystem, OpenFlags, SetTime, Timespec};

fn base() -> Env {
    let bottom = layer(&[
        ("etc/passwd", Spec::File(b"root:x:0:0::/root:/bin/sh\n")),
        ("etc/hostname", Spec::File(b"bottom\n")),
        ("etc/gone", Spec::File(b"removed by the top layer\n")),
        ("etc/skel/.profile", Spec::File(b"# profile\n")),
        ("usr/lib/a.so", Spec::FileMeta(b"library a", 0o755, 0, 77)),
        ("usr/lib/b.so", Spec::File(b"library b")),
        ("opaque/old", Spec::File(b"hidden by the opaque top\n")),
        ("replaced", Spec::Dir(0o755)),
        ("replaced/inside", Spec::File(b"x")),
        ("data/file", Spec::FileMeta(b"0123456789", 0o640, 1000, 42)),
        ("data/dir", Spec::Dir(0o750)),
        ("data/dir/nested", Spec::File(b"nested")),
        ("link", Spec::Symlink("etc/hostname")),
        ("fifo", Spec::Fifo),
    ]);
    let top = layer(&[
        ("etc/hostname", Spec::File(b"top\n")),
        ("etc/gone", Spec::Whiteout),
        ("etc/new", Spec::File(b"added by the top layer\n")),
        ("usr/lib/c.so", Spec::File(b"library c")),
        ("opaque", Spec::Opaque(0o700)),
        ("opaque/fresh", Spec::File(b"only this\n")),
        ("replaced", Spec::File(b"a file now\n")),
    ]);
    env(vec![top, bottom])
}

#[test]
fn layers_merge_with_whiteouts_and_opaque_directories() {
    let e = base();
    assert_eq!(e.read("/etc/hostname"), b"top\n");
    assert_eq!(e.read("/etc/passwd"), b"root:x:0:0::/root:/bin/sh\n");
    assert_eq!(e.try_read("/etc/gone"), Err(Errno::ENOENT));
    assert_eq!(e.names("/etc"), ["hostname", "new", "passwd", "skel"]);
    assert_eq!(e.names("/usr/lib"), ["a.so", "b.so", "c.so"]);
    assert_eq!(e.names("/opaque"), ["fresh"]);
    assert_eq!(e.stat("/opaque").meta.perm, 0o700);
    assert_eq!(e.stat("/replaced").meta.kind, FileKind::Regular);
    assert_eq!(e.try_read("/replaced/inside"), Err(Errno::ENOTDIR));
    assert_eq!(e.names("/"), ["data", "etc", "fifo", "link", "opaque", "replaced", "usr"]);
    assert_eq!(e.read("/link"), b"top\n");
    assert_eq!(e.stat("/fifo").meta.kind, FileKind::Fifo);
    let m = e.stat("/data/file").meta;
    assert_eq!((m.perm, m.uid, m.gid, m.mtime.sec, m.size), (0o640, 1000, 1000, 42, 10));
    // Merged directories report one link, as overlayfs.
    assert_eq!(e.stat("/etc").meta.nlink, 1);
    assert_eq!(e.stat("/").dev, e.fs.id());
    assert_eq!(e.vfs.statfs(&e.root, &e.cwd(), "/").unwrap().magic, overlay::OVERLAY_MAGIC);
    // Nothing was written.
    assert!(e.names_upper().is_empty());
    // The whole tree lists each name once, readdir and stat agreeing.
    let t = tree(&e.vfs, &e.root);
    assert_eq!(t.len(), 20);
}

impl Env {
    fn names_upper(&self) -> Vec<String> {
        let direct = vfs::Vfs::new(self.upper.clone());
        let mut v: Vec<String> =
            direct.open_dir_entries(&self.root, &direct.root(), "/").unwrap().into_iter().map(|e| e.name).filter(|n| n != "." && n != "..").collect();
        v.sort();
        v
    }
}

#[test]
fn writes_copy_up_with_metadata_and_leave_the_lower_layer_alone() {
    let e = base();
    let before = e.stat("/data/file");
    let f = e.vfs.open(&e.root, &e.cwd(), "/data/file", OpenFlags { read: true, write: true, ..OpenFlags::default() }, 0).unwrap();
    // Copied up when opened for writing (a new inode), before any write.
    assert!(e.upper_kind("/data/file").is_some());
    assert_ne!(e.stat("/data/file").meta.ino, before.meta.ino);
    assert_eq!(f.inode().write_at(2, b"ab").unwrap(), 2);
    assert_eq!(e.read("/data/file"), b"01ab456789");
    let m = e.stat("/data/file").meta;
    assert_eq!((m.perm, m.uid, m.gid), (0o640, 1000, 1000));
    // Parents made in the upper layer with their lower metadata.
    let direct = vfs::Vfs::new(e.upper.clone());
    let dir = direct.lstat(&e.root, &direct.root(), "/data").unwrap();
    assert_eq!((dir.meta.perm, dir.meta.mtime.sec), (0o755, LOWER_TIME as i64), "copy-up keeps the parent's times");
    assert_eq!(e.stat("/data").meta.mtime.sec, LOWER_TIME as i64);
    // Siblings still come from below.
    assert_eq!(e.read("/data/dir/nested"), b"nested");
    assert_eq!(e.names("/data"), ["dir", "file"]);
}

#[test]
fn metadata_changes_copy_up() {
    let e = base();
    e.vfs.chmod(&e.root, &e.cwd(), "/usr/lib/a.so", 0o700).unwrap();
    let m = e.stat("/usr/lib/a.so").meta;
    assert_eq!((m.perm, m.mtime.sec), (0o700, 77));
    assert_eq!(e.read("/usr/lib/a.so"), b"library a");
    e.vfs.chown(&e.root, &e.cwd(), "/usr/lib/b.so", Some(5), Some(6), false).unwrap();
    assert_eq!((e.stat("/usr/lib/b.so").meta.uid, e.stat("/usr/lib/b.so").meta.gid), (5, 6));
    let t = Timespec::new(123, 0);
    e.vfs.utimens(&e.root, &e.cwd(), "/etc/passwd", Some(SetTime::At(t)), Some(SetTime::At(t)), true).unwrap();
    assert_eq!(e.stat("/etc/passwd").meta.mtime, t);
    e.vfs.chmod(&e.root, &e.cwd(), "/data/dir", 0o700).unwrap();
    assert_eq!(e.stat("/data/dir").meta.perm, 0o700);
    assert_eq!(e.names("/data/dir"), ["nested"], "a copied-up directory still merges");
    // Symlinks copy up as symlinks.
    e.vfs.chown(&e.root, &e.cwd(), "/link", Some(9), None, false).unwrap();
    assert_eq!(e.vfs.readlink(&e.root, &e.cwd(), "/link").unwrap(), "etc/hostname");
    assert_eq!(e.upper_kind("/link").map(|k| k.0), Some(FileKind::Symlink));
}

#[test]
fn truncation_copies_no_data() {
    let e = base();
    let flags = OpenFlags { write: true, truncate: true, ..OpenFlags::default() };
    e.vfs.open(&e.root, &e.cwd(), "/usr/lib/b.so", flags, 0).unwrap();
    assert_eq!(e.read("/usr/lib/b.so"), b"");
    e.vfs.truncate(&e.root, &e.cwd(), "/data/file", 4).unwrap();
    assert_eq!(e.read("/data/file"), b"0123");
    e.vfs.truncate(&e.root, &e.cwd(), "/etc/passwd", 100).unwrap();
    assert_eq!(e.read("/etc/passwd").len(), 100);
    assert!(e.read("/etc/passwd").starts_with(b"root:x"));
}

#[test]
fn removal_leaves_whiteouts_and_new_directories_are_opaque() {
    let e = base();
    e.vfs.unlink(&e.root, &e.cwd(), "/etc/passwd").unwrap();
    assert!(!e.exists("/etc/passwd"));
    assert_eq!(e.upper_kind("/etc/passwd"), Some((FileKind::CharDevice, DevId::NONE)));
    assert_eq!(e.names("/etc"), ["hostname", "new", "skel"]);
    e.write("/etc/passwd", b"new\n");
    assert_eq!(e.read("/etc/passwd"), b"new\n");
    assert_eq!(e.upper_kind("/etc/passwd").map(|k| k.0), Some(FileKind::Regular));
    // A copied-up file removed: the whiteout replaces it.
    e.write("/etc/hostname", b"changed\n");
    e.vfs.unlink(&e.root, &e.cwd(), "/etc/hostname").unwrap();
    assert!(!e.exists("/etc/hostname"));
    // An upper-only file removed: nothing left behind.
    e.write("/etc/mine", b"");
    e.vfs.unlink(&e.root, &e.cwd(), "/etc/mine").unwrap();
    assert_eq!(e.upper_kind("/etc/mine"), None);

    assert_eq!(e.vfs.rmdir(&e.root, &e.cwd(), "/data/dir"), Err(Errno::ENOTEMPTY));
    e.vfs.unlink(&e.root, &e.cwd(), "/data/dir/nested").unwrap();
    assert_eq!(e.names("/data/dir"), Vec::<String>::new());
    e.vfs.rmdir(&e.root, &e.cwd(), "/data/dir").unwrap();
    assert!(!e.exists("/data/dir"));
    e.vfs.mkdir(&e.root, &e.cwd(), "/data/dir", 0o755).unwrap();
    assert_eq!(e.names("/data/dir"), Vec::<String>::new(), "a directory made over a whiteout is opaque");
    // Still opaque when looked up afresh (no live inode objects left).
    drop(e.vfs.resolve(&e.cwd(), "/data", true).unwrap());
    assert_eq!(e.try_read("/data/dir/nested"), Err(Errno::ENOENT));
    // A lower directory emptied of everything and removed with rmdir.
    e.vfs.unlink(&e.root, &e.cwd(), "/etc/skel/.profile").unwrap();
    e.vfs.rmdir(&e.root, &e.cwd(), "/etc/skel").unwrap();
    assert_eq!(e.names("/etc"), ["new", "passwd"]);
    assert_eq!(e.vfs.unlink(&e.root, &e.cwd(), "/usr"), Err(Errno::EISDIR));
    assert_eq!(e.vfs.rmdir(&e.root, &e.cwd(), "/link"), Err(Errno::ENOTDIR));
}

#[test]
fn rename_rules() {
    let e = base();
    let rename = |a: &str, b: &str| e.vfs.rename(&e.root, &e.cwd(), a, b);
    // A lower file: copied up, moved, a whiteout where it was.
    rename("/usr/lib/a.so", "/usr/lib/a2.so").unwrap();
    assert_eq!(e.read("/usr/lib/a2.so"), b"library a");
    assert_eq!(e.names("/usr/lib"), ["a2.so", "b.so", "c.so"]);
    // Over a lower file in another directory.
    rename("/usr/lib/b.so", "/etc/passwd").unwrap();
    assert_eq!(e.read("/etc/passwd"), b"library b");
    assert!(!e.exists("/usr/lib/b.so"));
    // Directories with lower parts: EXDEV (as overlayfs without redirect_dir).
    assert_eq!(rename("/etc", "/etc2"), Err(Errno::EXDEV));
    assert_eq!(rename("/data/dir", "/data/dir2"), Err(Errno::EXDEV));
    // Upper-only directories move, even over an emptied lower directory, which then stays
    // hidden (opaque).
    e.vfs.mkdir(&e.root, &e.cwd(), "/mine", 0o755).unwrap();
    e.write("/mine/f", b"f");
    e.vfs.unlink(&e.root, &e.cwd(), "/data/dir/nested").unwrap();
    rename("/mine", "/data/dir").unwrap();
    assert_eq!(e.names("/data/dir"), ["f"]);
    drop(e.vfs.resolve(&e.cwd(), "/", true).unwrap());
    assert_eq!(e.names("/data/dir"), ["f"]);
    assert!(!e.exists("/mine"));
    assert_eq!(rename("/etc/new", "/usr"), Err(Errno::EISDIR));
    assert_eq!(rename("/usr", "/etc/new"), Err(Errno::ENOTDIR));
    assert_eq!(rename("/data", "/etc/skel"), Err(Errno::ENOTEMPTY));
}

#[test]
fn links_symlinks_and_nodes_are_made_in_the_upper_layer() {
    let e = base();
    e.vfs.link(&e.root, &e.cwd(), "/etc/passwd", "/etc/passwd.hard").unwrap();
    assert_eq!(e.stat("/etc/passwd.hard").meta.nlink, 2);
    assert_eq!(e.stat("/etc/passwd").meta.ino, e.stat("/etc/passwd.hard").meta.ino);
    e.vfs.symlink(&e.root, &e.cwd(), "/etc/passwd", "/sym").unwrap();
    assert_eq!(e.read("/sym"), b"root:x:0:0::/root:/bin/sh\n");
    e.vfs.mknod(&e.root, &e.cwd(), "/etc/pipe", FileKind::Fifo, 0o600, DevId::NONE).unwrap();
    assert_eq!(e.stat("/etc/pipe").meta.kind, FileKind::Fifo);
    e.vfs.mknod(&e.root, &e.cwd(), "/null", FileKind::CharDevice, 0o666, DevId::new(1, 3)).unwrap();
    assert_eq!(e.stat("/null").meta.rdev, DevId::new(1, 3));
    assert_eq!(e.vfs.mknod(&e.root, &e.cwd(), "/wh", FileKind::CharDevice, 0o666, DevId::NONE).err(), Some(Errno::EPERM));
    assert!(!e.exists("/wh"));
    assert_eq!(e.vfs.mkdir(&e.root, &e.cwd(), "/etc", 0o755).err(), Some(Errno::EEXIST));
    assert_eq!(e.vfs.create(&e.root, &e.cwd(), "/etc/passwd", 0o644).err(), Some(Errno::EEXIST));
}

#[test]
fn overlays_of_the_same_layers_are_independent() {
    let lower = layer(&[("shared/file", Spec::File(b"original"))]);
    let a = env(vec![lower.clone()]);
    let b = env(vec![lower]);
    a.write("/shared/file", b"changed in a");
    a.write("/shared/new", b"only in a");
    b.vfs.unlink(&b.root, &b.cwd(), "/shared/file").unwrap();
    assert_eq!(a.read("/shared/file"), b"changed in a");
    assert_eq!(b.try_read("/shared/file"), Err(Errno::ENOENT));
    assert!(!b.exists("/shared/new"));
    let c = env(vec![layer(&[("shared/file", Spec::File(b"original"))])]);
    assert_eq!(c.read("/shared/file"), b"original");
}

#[test]
fn listings_survive_changes() {
    let files: Vec<(String, Spec)> = (0..200).map(|i| (format!("d/f{i:03}"), Spec::File(b"x"))).collect();
    let entries: Vec<(&str, Spec)> = files.iter().map(|(p, s)| (p.as_str(), *s)).collect();
    let e = env(vec![layer(&entries)]);
    let dir = e.vfs.resolve(&e.cwd(), "/d", true).unwrap();
    let mut seen = Vec::new();
    let mut cookie = 0;
    let mut n = 0;
    while let Some((entry, next)) = dir.readdir(cookie).unwrap() {
        cookie = next;
        if entry.name == "." || entry.name == ".." {
            continue;
        }
        seen.push(entry.name.clone());
        n += 1;
        // Copy up entries still to come and one already listed: none is lost or repeated.
        if n == 10 {
            for i in [150, 151, 5] {
                e.vfs.chmod(&e.root, &e.cwd(), &format!("/d/f{i:03}"), 0o600).unwrap();
            }
            e.write("/d/zz-new", b"new");
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no entry repeated");
    for i in 0..200 {
        assert!(seen.contains(&format!("f{i:03}")), "f{i:03} listed");
    }
}

#[test]
fn deep_copy_up_and_non_root_credentials() {
    let deep: String = (0..150).map(|i| format!("d{i}/")).collect::<String>() + "leaf";
    let e = env(vec![layer(&[(deep.as_str(), Spec::File(b"deep"))])]);
    let path = format!("/{deep}");
    e.write(&path, b"written");
    assert_eq!(e.read(&path), b"written");
    // Permissions come from the merged metadata.
    let user = Cred::new(1000, 1000, Vec::new());
    assert_eq!(e.vfs.write_file(&user, &e.cwd(), "/d0/x", b"", 0o644), Err(Errno::EACCES));
}
