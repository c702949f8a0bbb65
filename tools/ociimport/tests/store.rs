//! The image store round-trips images: the EROFS layers ociimport writes, stacked by the
//! kernel's `overlay` crate (as `oci-runtime` does), show the same tree as `umoci unpack` of
//! the same image: names, kinds, modes, owners, mtimes, contents, symlink targets, hard-link
//! groups and device numbers; whiteouts and opaque directories hide what they should.
//! Fixtures: an image built layer by layer with `umoci` (changes made in an unpacked rootfs,
//! then `umoci repack`), and a `docker save` archive whose layers are written here with
//! explicit whiteouts, opaque markers, implicit directories and hard links.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use oci::store::{chain_ids, layer_file, STORE_DIR};
use oci::Digest;
use ociimport::erofs_store::open_layer;
use ociimport::{build_store, import};
use overlay::OverlayFs;
use vfs::{Cred, FileKind, FileSystem, ManualClock, TmpFs, TmpFsOptions, Timespec, Vfs};

fn run(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("{shown}: {e} (run scripts/setup)"));
    assert!(out.status.success(), "{shown}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn is_root() -> bool {
    fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// One file as compared: kind, mode, owner, mtime, data/target, device, hard-link group.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    kind: FileKind,
    perm: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    data: Vec<u8>,
    rdev: (u32, u32),
    /// The first path (in order) sharing this inode, for non-directories with links.
    link_group: Option<String>,
}

type Tree = BTreeMap<String, Node>;

fn kind_of(ft: fs::FileType) -> FileKind {
    use std::os::unix::fs::FileTypeExt;
    match () {
        _ if ft.is_dir() => FileKind::Directory,
        _ if ft.is_symlink() => FileKind::Symlink,
        _ if ft.is_char_device() => FileKind::CharDevice,
        _ if ft.is_block_device() => FileKind::BlockDevice,
        _ if ft.is_fifo() => FileKind::Fifo,
        _ if ft.is_socket() => FileKind::Socket,
        _ => FileKind::Regular,
    }
}

fn group_links(tree: &mut Tree, inos: &BTreeMap<String, u64>) {
    let mut first: BTreeMap<u64, String> = BTreeMap::new();
    let mut count: BTreeMap<u64, usize> = BTreeMap::new();
    for (path, ino) in inos {
        first.entry(*ino).or_insert_with(|| path.clone());
        *count.entry(*ino).or_default() += 1;
    }
    for (path, ino) in inos {
        if count[ino] > 1 {
            tree.get_mut(path).unwrap().link_group = Some(first[ino].clone());
        }
    }
}

/// The tree of a host directory (an unpacked rootfs).
fn host_tree(root: &Path) -> Tree {
    let mut tree = Tree::new();
    let mut inos = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), String::from("/"))];
    while let Some((dir, rel)) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let path = if rel == "/" { format!("/{name}") } else { format!("{rel}/{name}") };
            let m = fs::symlink_metadata(e.path()).unwrap();
            let kind = kind_of(m.file_type());
            let data = match kind {
                FileKind::Regular => fs::read(e.path()).unwrap(),
                FileKind::Symlink => fs::read_link(e.path()).unwrap().into_os_string().into_encoded_bytes(),
                FileKind::Directory => {
                    stack.push((e.path(), path.clone()));
                    Vec::new()
                }
                _ => Vec::new(),
            };
            let dev = vfs::DevId::decode(m.rdev());
            let rdev = if matches!(kind, FileKind::CharDevice | FileKind::BlockDevice) { (dev.major, dev.minor) } else { (0, 0) };
            if kind != FileKind::Directory {
                inos.insert(path.clone(), m.ino());
            }
            let node = Node { kind, perm: m.mode() & 0o7777, uid: m.uid(), gid: m.gid(), mtime: m.mtime(), data, rdev, link_group: None };
            tree.insert(path, node);
        }
    }
    group_links(&mut tree, &inos);
    tree
}

/// The tree a namespace shows.
fn vfs_tree(ns: &Vfs) -> Tree {
    let cred = Cred::root();
    let mut tree = Tree::new();
    let mut inos = BTreeMap::new();
    let mut stack = vec![String::from("/")];
    while let Some(dir) = stack.pop() {
        for e in ns.open_dir_entries(&cred, &ns.root(), &dir).unwrap() {
            if e.name == "." || e.name == ".." {
                continue;
            }
            let path = if dir == "/" { format!("/{}", e.name) } else { format!("{dir}/{}", e.name) };
            let st = ns.lstat(&cred, &ns.root(), &path).unwrap();
            let m = st.meta;
            assert_eq!((m.kind, m.ino), (e.kind, e.ino), "readdir and stat agree on {path}");
            let data = match m.kind {
                FileKind::Regular => ns.read_file(&cred, &ns.root(), &path).unwrap(),
                FileKind::Symlink => ns.readlink(&cred, &ns.root(), &path).unwrap().into_bytes(),
                FileKind::Directory => {
                    stack.push(path.clone());
                    Vec::new()
                }
                _ => Vec::new(),
            };
            if m.kind != FileKind::Directory {
                inos.insert(path.clone(), m.ino);
            }
            let rdev = (m.rdev.major, m.rdev.minor);
            tree.insert(path, Node { kind: m.kind, perm: m.perm, uid: m.uid, gid: m.gid, mtime: m.mtime.sec, data, rdev, link_group: None });
        }
    }
    group_links(&mut tree, &inos);
    tree
}

/// A container's view of an imported layout: its store layers under an empty tmpfs.
fn mount_store(layout: &Path) -> (Vfs, Vec<u64>) {
    let index: serde_json::Value = serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    let digest = |v: &serde_json::Value| Digest::parse(v.as_str().unwrap()).unwrap();
    let manifest_digest = digest(&index["manifests"][0]["digest"]);
    let manifest: serde_json::Value = serde_json::from_slice(&fs::read(layout.join(manifest_digest.blob_path())).unwrap()).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&fs::read(layout.join(digest(&manifest["config"]["digest"]).blob_path())).unwrap()).unwrap();
    let diff_ids: Vec<Digest> = config["rootfs"]["diff_ids"].as_array().unwrap().iter().map(digest).collect();
    let mut lowers: Vec<Arc<dyn FileSystem>> = Vec::new();
    let mut sizes = Vec::new();
    for chain in chain_ids(&diff_ids) {
        let path = layout.join(layer_file(&chain));
        sizes.push(fs::metadata(&path).unwrap().len());
        run(Command::new("fsck.erofs").arg(&path));
        lowers.insert(0, open_layer(&path, &chain).unwrap());
    }
    let upper = TmpFs::new(Arc::new(ManualClock::new(Timespec::ZERO)), TmpFsOptions::default());
    (Vfs::new(OverlayFs::new(upper, lowers).unwrap()), sizes)
}

/// `umoci unpack` of `layout:tag` into `bundle`; its rootfs.
fn umoci_unpack(layout: &Path, tag: &str, bundle: &Path) -> PathBuf {
    let mut cmd = Command::new("umoci");
    cmd.arg("unpack");
    if !is_root() {
        cmd.arg("--rootless");
    }
    run(cmd.arg("--image").arg(format!("{}:{tag}", layout.display())).arg(bundle));
    bundle.join("rootfs")
}

fn assert_same(want: &Tree, got: &Tree) {
    for (path, w) in want {
        let g = got.get(path).unwrap_or_else(|| panic!("{path} missing from the store's tree"));
        assert_eq!(w, g, "{path}");
    }
    for path in got.keys() {
        assert!(want.contains_key(path), "{path} in the store's tree only");
    }
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Two layers made with umoci: a base with every kind of file, then changes over it.
fn umoci_image(dir: &Path) -> PathBuf {
    let layout = dir.join("layout");
    run(Command::new("umoci").arg("init").arg("--layout").arg(&layout));
    run(Command::new("umoci").arg("new").arg("--image").arg(format!("{}:t", layout.display())));
    let image = format!("{}:t", layout.display());
    let unpack = |b: &Path| {
        let mut cmd = Command::new("umoci");
        cmd.arg("unpack");
        if !is_root() {
            cmd.arg("--rootless");
        }
        run(cmd.arg("--image").arg(&image).arg(b));
        b.join("rootfs")
    };
    let repack = |b: &Path| run(Command::new("umoci").arg("repack").arg("--image").arg(&image).arg(b));

    let b1 = dir.join("b1");
    let r = unpack(&b1);
    for d in ["etc", "usr/lib/x", "var/cache/apt", "data/keep", "data/replace/old", "opaque/sub"] {
        fs::create_dir_all(r.join(d)).unwrap();
    }
    fs::write(r.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").unwrap();
    fs::write(r.join("etc/motd"), "hello\n").unwrap();
    fs::write(r.join("usr/lib/x/big"), vec![0x5a; 50_000]).unwrap();
    fs::write(r.join("usr/lib/x/small"), b"s").unwrap();
    fs::hard_link(r.join("usr/lib/x/big"), r.join("usr/lib/x/big-link")).unwrap();
    symlink("x/small", r.join("usr/lib/rel")).unwrap();
    symlink("/etc/passwd", r.join("usr/lib/abs")).unwrap();
    fs::write(r.join("var/cache/apt/pkgcache.bin"), vec![1u8; 9000]).unwrap();
    fs::write(r.join("data/keep/f"), b"kept").unwrap();
    fs::write(r.join("data/replace/old/f"), b"old").unwrap();
    fs::write(r.join("opaque/sub/a"), b"a").unwrap();
    fs::write(r.join("opaque/b"), b"b").unwrap();
    fs::write(r.join("setuid"), b"#!/bin/sh\n").unwrap();
    chmod(&r.join("setuid"), 0o4755);
    chmod(&r.join("var/cache/apt"), 0o700);
    run(Command::new("mkfifo").arg(r.join("data/fifo")));
    if is_root() {
        std::os::unix::fs::lchown(r.join("etc/motd"), Some(1000), Some(1001)).unwrap();
        std::os::unix::fs::lchown(r.join("usr/lib/abs"), Some(7), Some(8)).unwrap();
        run(Command::new("mknod").arg(r.join("data/null")).args(["c", "1", "3"]));
    }
    repack(&b1);

    let b2 = dir.join("b2");
    let r = unpack(&b2);
    fs::remove_file(r.join("etc/motd")).unwrap();
    fs::write(r.join("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    fs::remove_dir_all(r.join("var/cache/apt")).unwrap();
    fs::remove_dir_all(r.join("data/replace")).unwrap();
    fs::create_dir_all(r.join("data/replace/new")).unwrap();
    fs::write(r.join("data/replace/new/f"), b"new").unwrap();
    fs::remove_dir_all(r.join("opaque")).unwrap();
    fs::create_dir(r.join("opaque")).unwrap();
    fs::write(r.join("opaque/only"), b"only").unwrap();
    chmod(&r.join("usr/lib/x/small"), 0o600);
    fs::hard_link(r.join("etc/passwd"), r.join("etc/passwd-link")).unwrap();
    fs::write(r.join("usr/lib/x/new"), b"new file").unwrap();
    repack(&b2);
    layout
}

#[test]
fn umoci_image_round_trips_through_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let layout = umoci_image(tmp.path());
    let imported = import(&layout, &tmp.path().join("images"), Some("t")).unwrap();
    assert!(imported.store > 0);
    let want = host_tree(&umoci_unpack(&imported.dir, "t", &tmp.path().join("ref")));
    let (ns, sizes) = mount_store(&imported.dir);
    assert_eq!(sizes.len(), 2);
    let got = vfs_tree(&ns);
    assert_same(&want, &got);
    assert!(!got.contains_key("/etc/motd") && !got.contains_key("/var/cache/apt/pkgcache.bin"));
    assert_eq!(got["/opaque/only"].data, b"only");
    assert!(!got.contains_key("/opaque/b") && !got.contains_key("/data/replace/old"));
    assert_eq!(got["/usr/lib/x/big-link"].link_group.as_deref(), Some("/usr/lib/x/big"));
}

/// A layer tar of raw entries.
enum E<'a> {
    Dir(&'a str, u32),
    File(&'a str, &'a [u8], u32),
    Link(&'a str, &'a str),
    Sym(&'a str, &'a str),
    Char(&'a str, u32, u32),
}

fn tar_of(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_700_000_000);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(0);
        match e {
            E::Dir(p, mode) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(*mode);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::File(p, data, mode) => {
                h.set_mode(*mode);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p, *data).unwrap();
            }
            E::Link(p, target) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_mode(0o644);
                b.append_link(&mut h, p, target).unwrap();
            }
            E::Sym(p, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                b.append_link(&mut h, p, target).unwrap();
            }
            E::Char(p, major, minor) => {
                h.set_entry_type(tar::EntryType::Char);
                h.set_mode(0o666);
                h.set_device_major(*major).unwrap();
                h.set_device_minor(*minor).unwrap();
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

/// A legacy `docker save` archive of `layers`.
fn docker_save(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| Digest::of(l).to_string()).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": { "Cmd": ["/bin/sh"] },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    }))
    .unwrap();
    let config_name = format!("{}.json", Digest::of(&config).hex());
    let layer_names: Vec<String> = (0..layers.len()).map(|i| format!("l{i}/layer.tar")).collect();
    let manifest = serde_json::to_vec(&serde_json::json!([{ "Config": config_name, "RepoTags": ["example/app:1"], "Layers": layer_names }])).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data).unwrap();
    };
    add("manifest.json", &manifest);
    add(&config_name, &config);
    for (name, layer) in layer_names.iter().zip(layers) {
        add(name, layer);
    }
    b.into_inner().unwrap()
}

#[test]
fn docker_save_layers_with_whiteouts_round_trip() {
    let base = tar_of(&[
        E::Dir("etc/", 0o755),
        E::File("etc/os-release", b"base\n", 0o644),
        E::File("etc/shadow", b"secret\n", 0o640),
        E::Dir("etc/ssl/", 0o755),
        E::File("etc/ssl/cert", b"cert\n", 0o644),
        E::Dir("usr/", 0o755),
        E::Dir("usr/bin/", 0o755),
        E::File("usr/bin/tool", b"\x7fELF tool", 0o755),
        E::Link("usr/bin/tool2", "usr/bin/tool"),
        E::Sym("usr/bin/sh", "tool"),
        E::Dir("var/", 0o755),
        E::Dir("var/log/", 0o1777),
        E::File("var/log/old.log", b"old", 0o644),
        E::Dir("dev/", 0o755),
        E::Char("dev/null", 1, 3),
    ]);
    let top = tar_of(&[
        // Whiteouts of a file and of a directory, an opaque directory, a file replaced by
        // a directory, a directory (without its own entry: implied) gaining a file, a hard
        // link to a file of the base layer.
        E::File("etc/.wh.shadow", b"", 0o644),
        E::File("etc/ssl/.wh..wh..opq", b"", 0o644),
        E::File("etc/ssl/new-cert", b"new cert\n", 0o644),
        E::File("var/.wh.log", b"", 0o644),
        E::Dir("etc/os-release/", 0o700),
        E::File("etc/os-release/inside", b"now a directory\n", 0o644),
        E::File("usr/bin/added", b"added\n", 0o755),
        E::Link("usr/bin/tool-again", "usr/bin/tool"),
        E::File(".wh.dev", b"", 0o644),
        E::Dir("dev/", 0o700),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("app.tar");
    fs::write(&archive, docker_save(&[base, top])).unwrap();
    let imported = import(&archive, &tmp.path().join("images"), None).unwrap();
    assert_eq!(imported.name, "app-1");
    let want = host_tree(&umoci_unpack(&imported.dir, "1", &tmp.path().join("ref")));
    let (ns, _) = mount_store(&imported.dir);
    let got = vfs_tree(&ns);
    assert_same(&want, &got);
    for gone in ["/etc/shadow", "/etc/ssl/cert", "/var/log", "/dev/null"] {
        assert!(!got.contains_key(gone), "{gone} is whited out");
    }
    assert_eq!(got["/usr/bin/tool-again"].data, b"\x7fELF tool");
    // The implied /usr/bin keeps the base layer's metadata.
    assert_eq!(got["/usr/bin"].perm, 0o755);
}

#[test]
fn the_store_is_reused_rebuilt_and_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("app.tar");
    fs::write(&archive, docker_save(&[tar_of(&[E::File("a", b"a", 0o644)])])).unwrap();
    let imported = import(&archive, &tmp.path().join("images"), Some("app")).unwrap();
    let again = build_store(&imported.dir).unwrap();
    assert!(again.iter().all(|l| l.reused));
    // A damaged store file is rebuilt; a stray one is removed.
    let file = again[0].file.clone();
    let mut bytes = fs::read(&file).unwrap();
    bytes[1030] ^= 1;
    fs::write(&file, &bytes).unwrap();
    fs::write(imported.dir.join(STORE_DIR).join("stray.erofs"), b"x").unwrap();
    let rebuilt = build_store(&imported.dir).unwrap();
    assert!(!rebuilt[0].reused);
    assert!(!imported.dir.join(STORE_DIR).join("stray.erofs").exists());
    run(Command::new("fsck.erofs").arg(&file));
}
