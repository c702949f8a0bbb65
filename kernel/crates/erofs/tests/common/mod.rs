//! Shared by the tests: trees as maps of path -> what `lstat` and reading give, taken from a
//! host directory or from a mounted image, and the `erofs-utils` oracles.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use erofs::ErofsFs;
use vfs::{FileKind, FileSystem, Inode};

/// What a test compares of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: FileKind,
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    /// For non-directories (directory link counts depend on the host filesystem).
    pub nlink: Option<u64>,
    /// File contents or symlink target.
    pub data: Vec<u8>,
    pub rdev: (u32, u32),
}

pub type Tree = BTreeMap<String, Entry>;

/// Whether we may chown and mknod.
pub fn is_root() -> bool {
    // SAFETY-free: read our effective uid from /proc.
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

fn kind_of(ft: fs::FileType) -> FileKind {
    if ft.is_dir() {
        FileKind::Directory
    } else if ft.is_symlink() {
        FileKind::Symlink
    } else if ft.is_char_device() {
        FileKind::CharDevice
    } else if ft.is_block_device() {
        FileKind::BlockDevice
    } else if ft.is_fifo() {
        FileKind::Fifo
    } else if ft.is_socket() {
        FileKind::Socket
    } else {
        FileKind::Regular
    }
}

/// The tree under `dir` (paths relative, `/`-separated, the root as "").
pub fn host_tree(dir: &Path) -> Tree {
    let mut out = Tree::new();
    host_walk(dir, String::new(), &mut out);
    out
}

fn host_walk(path: &Path, rel: String, out: &mut Tree) {
    let meta = fs::symlink_metadata(path).unwrap();
    let kind = kind_of(meta.file_type());
    let data = match kind {
        FileKind::Regular => fs::read(path).unwrap(),
        FileKind::Symlink => fs::read_link(path).unwrap().into_os_string().into_encoded_bytes(),
        _ => Vec::new(),
    };
    let rdev = meta.rdev();
    let dev = vfs::DevId::decode(rdev);
    out.insert(
        rel.clone(),
        Entry {
            kind,
            perm: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            mtime: meta.mtime(),
            nlink: (kind != FileKind::Directory).then_some(meta.nlink()),
            data,
            rdev: if matches!(kind, FileKind::CharDevice | FileKind::BlockDevice) { (dev.major, dev.minor) } else { (0, 0) },
        },
    );
    if kind == FileKind::Directory {
        for e in fs::read_dir(path).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let child = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            host_walk(&e.path(), child, out);
        }
    }
}

/// The tree of a mounted filesystem, read through the `vfs::Inode` interface.
pub fn fs_tree(fs: &Arc<dyn FileSystem>) -> Tree {
    let mut out = Tree::new();
    fs_walk(&fs.root(), String::new(), &mut out, 0);
    out
}

pub fn read_all(inode: &Arc<dyn Inode>) -> Vec<u8> {
    let mut data = Vec::new();
    let mut buf = vec![0u8; 5000];
    loop {
        let n = inode.read_at(data.len() as u64, &mut buf).unwrap();
        if n == 0 {
            return data;
        }
        data.extend_from_slice(&buf[..n]);
    }
}

fn fs_walk(inode: &Arc<dyn Inode>, rel: String, out: &mut Tree, depth: usize) {
    assert!(depth < 64, "tree too deep at {rel}");
    let m = inode.metadata().unwrap();
    let data = match m.kind {
        FileKind::Regular => read_all(inode),
        FileKind::Symlink => inode.readlink().unwrap().into_bytes(),
        _ => Vec::new(),
    };
    assert_eq!(data.len() as u64, if m.kind == FileKind::Regular || m.kind == FileKind::Symlink { m.size } else { data.len() as u64 });
    out.insert(
        rel.clone(),
        Entry {
            kind: m.kind,
            perm: m.perm,
            uid: m.uid,
            gid: m.gid,
            mtime: m.mtime.sec,
            nlink: (m.kind != FileKind::Directory).then_some(m.nlink),
            data,
            rdev: (m.rdev.major, m.rdev.minor),
        },
    );
    if m.kind == FileKind::Directory {
        let mut cookie = 0;
        let mut names = Vec::new();
        while let Some((e, next)) = inode.readdir(cookie).unwrap() {
            assert!(next > cookie);
            cookie = next;
            names.push(e.name.clone());
            let child = inode.lookup(&e.name).unwrap_or_else(|err| panic!("lookup {rel}/{}: {err:?}", e.name));
            assert_eq!(child.metadata().unwrap().ino, e.ino, "readdir and lookup agree on {rel}/{}", e.name);
            assert_eq!(child.kind().unwrap(), e.kind);
            let path = if rel.is_empty() { e.name.clone() } else { format!("{rel}/{}", e.name) };
            fs_walk(&child, path, out, depth + 1);
        }
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "readdir order of {rel:?}");
        let expected_dirs = out.iter().filter(|(p, e)| e.kind == FileKind::Directory && parent_of(p) == Some(rel.as_str())).count();
        assert_eq!(m.nlink, 2 + expected_dirs as u64, "link count of directory {rel:?}");
    }
}

fn parent_of(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    Some(path.rsplit_once('/').map_or("", |(p, _)| p))
}

/// Mounts an image held in memory.
pub fn mount(image: Vec<u8>) -> Arc<dyn FileSystem> {
    ErofsFs::mount(Arc::new(image)).unwrap_or_else(|e| panic!("mount: {e}"))
}

/// Runs a command, panicking with its output if it fails or is missing.
pub fn run(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("{shown}: {e} (erofs-utils missing? run scripts/setup)"));
    assert!(out.status.success(), "{shown} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Compares two trees entry by entry, with a readable first difference.
pub fn assert_same(expected: &Tree, actual: &Tree, what: &str) {
    for (path, e) in expected {
        let a = actual.get(path).unwrap_or_else(|| panic!("{what}: {path:?} missing"));
        assert_eq!(e, a, "{what}: {path:?} differs");
    }
    for path in actual.keys() {
        assert!(expected.contains_key(path), "{what}: unexpected {path:?}");
    }
}
