//! Layer application onto the in-memory target: whiteouts, links, metadata, confinement.

use errno::Errno;
use ocitar::builder::{HeaderSpec, TarBuilder};
use ocitar::memfs::MemFs;
use ocitar::{apply_layer, apply_layer_blob, decompress, ApplyError, ApplyStats, LayerTarget, Meta, NodeType};

fn apply(fs: &mut MemFs, tar: &[u8]) -> ApplyStats {
    apply_layer(fs, tar).unwrap()
}

fn base_layer() -> Vec<u8> {
    TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/passwd", 0o644, b"root")
        .file("etc/group", 0o644, b"root")
        .dir("etc/conf.d", 0o755)
        .file("etc/conf.d/a", 0o600, b"a")
        .dir("var", 0o755)
        .dir("var/cache", 0o700)
        .file("var/cache/x", 0o644, b"x")
        .file("var/cache/y", 0o644, b"y")
        .dir("tmp", 0o1777)
        .finish()
}

#[test]
fn applies_files_dirs_modes_and_owners() {
    let mut fs = MemFs::new();
    let tar = TarBuilder::new()
        .entry(&HeaderSpec { uid: 1000, gid: 100, mtime: 42, ..HeaderSpec::new("home/user/", b'5', 0o750) }, &[])
        .entry(&HeaderSpec { uid: 1000, gid: 100, mtime: 43, ..HeaderSpec::new("home/user/.profile", b'0', 0o640) }, b"PS1=$")
        .entry(&HeaderSpec { dev: (1, 3), ..HeaderSpec::new("dev/null", b'3', 0o666) }, &[])
        .entry(&HeaderSpec::new("run/fifo", b'6', 0o600), &[])
        .file("bin/su", 0o4755, b"su")
        .finish();
    let stats = apply(&mut fs, &tar);
    assert_eq!(stats, ApplyStats { entries: 5, whiteouts: 0 });
    let home = fs.stat("/home/user").unwrap();
    assert_eq!((home.kind, home.meta), (NodeType::Dir, Meta { mode: 0o750, uid: 1000, gid: 100, mtime: 42 }));
    // Parents missing from the archive are created root-owned 0755.
    assert_eq!(fs.stat("/home").unwrap().meta.mode, 0o755);
    let profile = fs.stat("/home/user/.profile").unwrap();
    assert_eq!((profile.meta.mode, profile.meta.uid, profile.meta.mtime), (0o640, 1000, 43));
    assert_eq!(fs.read("/home/user/.profile"), Some(&b"PS1=$"[..]));
    assert_eq!(fs.stat("/dev/null").unwrap().kind, NodeType::CharDevice);
    assert_eq!(fs.stat("/run/fifo").unwrap().kind, NodeType::Fifo);
    assert_eq!(fs.stat("/bin/su").unwrap().meta.mode, 0o4755);
}

#[test]
fn symlinks_are_kept_verbatim_and_hard_links_share_inodes() {
    let mut fs = MemFs::new();
    let tar = TarBuilder::new()
        .file("bin/busybox", 0o755, b"\x7fELF")
        .hard_link("bin/sh", "bin/busybox")
        .hard_link("usr/bin/env", "./bin/busybox")
        .symlink("bin/abs", "/bin/busybox")
        .symlink("lib", "usr/lib")
        .finish();
    apply(&mut fs, &tar);
    let bb = fs.stat("/bin/busybox").unwrap();
    assert_eq!(fs.stat("/bin/sh").unwrap().ino, bb.ino);
    assert_eq!(fs.stat("/usr/bin/env").unwrap().ino, bb.ino);
    assert_eq!(bb.nlink, 3);
    assert_eq!(fs.readlink("/bin/abs"), Some("/bin/busybox"));
    assert_eq!(fs.readlink("/lib"), Some("usr/lib"));
}

#[test]
fn whiteout_removes_lower_files_and_trees() {
    let mut fs = MemFs::new();
    apply(&mut fs, &base_layer());
    let upper = TarBuilder::new()
        .file("etc/.wh.passwd", 0o644, b"")
        .file("etc/.wh.conf.d", 0o644, b"")
        .file(".wh.nonexistent", 0o644, b"")
        .finish();
    let stats = apply(&mut fs, &upper);
    assert_eq!(stats.whiteouts, 3);
    assert!(fs.stat("/etc/passwd").is_none());
    assert!(fs.stat("/etc/conf.d").is_none());
    assert!(fs.stat("/etc/conf.d/a").is_none());
    assert!(fs.stat("/etc/group").is_some());
    // The markers themselves never appear.
    assert!(fs.paths().all(|p| !p.contains(".wh.")));
}

#[test]
fn opaque_directory_hides_lower_contents_but_keeps_this_layer() {
    let mut fs = MemFs::new();
    apply(&mut fs, &base_layer());
    // The marker comes after this layer's own file in the same directory.
    let upper = TarBuilder::new()
        .dir("var/cache", 0o755)
        .file("var/cache/new", 0o644, b"n")
        .file("var/cache/.wh..wh..opq", 0o644, b"")
        .finish();
    apply(&mut fs, &upper);
    assert!(fs.stat("/var/cache/x").is_none());
    assert!(fs.stat("/var/cache/y").is_none());
    assert_eq!(fs.read("/var/cache/new"), Some(&b"n"[..]));
    assert_eq!(fs.stat("/var/cache").unwrap().meta.mode, 0o755);
}

#[test]
fn replacing_nodes_of_another_type() {
    let mut fs = MemFs::new();
    apply(&mut fs, &base_layer());
    let upper = TarBuilder::new()
        .symlink("var/cache", "/tmp") // directory -> symlink
        .dir("etc/passwd", 0o700) // file -> directory
        .file("tmp", 0o644, b"now a file") // directory -> file
        .dir("etc", 0o711) // directory over directory merges
        .finish();
    apply(&mut fs, &upper);
    assert_eq!(fs.readlink("/var/cache"), Some("/tmp"));
    assert!(fs.stat("/var/cache/x").is_none());
    assert_eq!(fs.stat("/etc/passwd").unwrap().kind, NodeType::Dir);
    assert_eq!(fs.read("/tmp"), Some(&b"now a file"[..]));
    assert_eq!(fs.stat("/etc").unwrap().meta.mode, 0o711);
    assert!(fs.stat("/etc/group").is_some());
}

#[test]
fn later_entry_for_same_path_wins() {
    let mut fs = MemFs::new();
    let tar = TarBuilder::new().file("f", 0o644, b"one").file("f", 0o600, b"two").finish();
    apply(&mut fs, &tar);
    assert_eq!(fs.read("/f"), Some(&b"two"[..]));
    assert_eq!(fs.stat("/f").unwrap().meta.mode, 0o600);
}

#[test]
fn directory_metadata_is_set_after_its_contents() {
    let mut fs = MemFs::new();
    let tar = TarBuilder::new()
        .entry(&HeaderSpec { mtime: 7, ..HeaderSpec::new("ro/", b'5', 0o555) }, &[])
        .file("ro/inside", 0o644, b"x")
        .entry(&HeaderSpec { mtime: 9, ..HeaderSpec::new("./", b'5', 0o700) }, &[])
        .finish();
    apply(&mut fs, &tar);
    assert_eq!(fs.stat("/ro").unwrap().meta, Meta { mode: 0o555, uid: 0, gid: 0, mtime: 7 });
    assert_eq!(fs.stat("/").unwrap().meta.mode, 0o700);
}

#[test]
fn paths_escaping_the_root_are_rejected() {
    for (tar, bad) in [
        (TarBuilder::new().file("../evil", 0o644, b"").finish(), "../evil"),
        (TarBuilder::new().file("a/../../evil", 0o644, b"").finish(), "a/../../evil"),
        (TarBuilder::new().hard_link("x", "../../etc/shadow").finish(), "../../etc/shadow"),
    ] {
        let mut fs = MemFs::new();
        assert_eq!(apply_layer(&mut fs, &tar), Err(ApplyError::UnsafePath { path: bad.into() }));
        assert_eq!(fs.paths().count(), 1, "nothing was created");
    }
    // Absolute names are taken relative to the root, as GNU tar extracts them.
    let mut fs = MemFs::new();
    apply(&mut fs, &TarBuilder::new().file("/etc/abs", 0o644, b"a").finish());
    assert!(fs.stat("/etc/abs").is_some());
    // A file entry cannot replace the root.
    let root_file = TarBuilder::new().file(".", 0o644, b"").finish();
    let mut fs = MemFs::new();
    assert!(matches!(apply_layer(&mut fs, &root_file), Err(ApplyError::UnsafePath { .. })));
}

#[test]
fn writes_never_go_through_a_symlinked_parent() {
    let mut fs = MemFs::new();
    let tar = TarBuilder::new().symlink("escape", "/").file("escape/pwned", 0o644, b"x").finish();
    let err = apply_layer(&mut fs, &tar).unwrap_err();
    assert_eq!(err.errno(), Errno::ENOTDIR);
    assert!(fs.stat("/pwned").is_none());
}

#[test]
fn bad_whiteouts_and_missing_link_targets() {
    let mut fs = MemFs::new();
    let tar = TarBuilder::new().file("dir/.wh.", 0o644, b"").finish();
    assert!(matches!(apply_layer(&mut fs, &tar), Err(ApplyError::BadWhiteout { .. })));
    let tar = TarBuilder::new().hard_link("a", "missing").finish();
    let err = apply_layer(&mut fs, &tar).unwrap_err();
    assert_eq!(err, ApplyError::Target { op: "create", path: "/a".into(), errno: Errno::ENOENT });
    assert_eq!(err.to_string(), "layer: create /a: No such file or directory");
}

#[test]
fn gzip_blob_applies_and_respects_limit() {
    let gz = include_bytes!("data/gnu.tar.gz");
    let mut fs = MemFs::new();
    let stats = apply_layer_blob(&mut fs, gz, 1 << 20).unwrap();
    assert_eq!(stats.entries, 10);
    assert_eq!(fs.stat("/hello.txt").unwrap().ino, fs.stat("/hard.txt").unwrap().ino);
    assert_eq!(fs.stat("/hello.txt").unwrap().meta.uid, 1000);
    let err = apply_layer_blob(&mut MemFs::new(), gz, 1000).unwrap_err();
    assert_eq!(err.errno(), Errno::EFBIG);
    assert!(decompress(gz, 1 << 20).is_ok());
}

#[test]
fn memfs_contract() {
    let mut fs = MemFs::new();
    let m = Meta { mode: 0o644, uid: 0, gid: 0, mtime: 0 };
    assert_eq!(fs.write_file("/a/b", &m, b""), Err(Errno::ENOENT));
    fs.write_file("/f", &m, b"").unwrap();
    assert_eq!(fs.write_file("/f", &m, b""), Err(Errno::EEXIST));
    assert_eq!(fs.write_file("/f/x", &m, b""), Err(Errno::ENOTDIR));
    assert_eq!(fs.mkdir_all("/f/x"), Err(Errno::ENOTDIR));
    assert_eq!(fs.hard_link("/g", "/"), Err(Errno::EPERM));
    assert_eq!(fs.remove_all("/"), Err(Errno::EBUSY));
    assert_eq!(fs.list_dir("/").unwrap(), vec!["f".to_string()]);
    fs.remove_all("/nothing").unwrap();
}
