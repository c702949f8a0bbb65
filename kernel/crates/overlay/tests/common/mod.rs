//! Fixtures: EROFS lower layers made with the erofs writer, a tmpfs upper, and a namespace
//! over their overlay.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use erofs::writer::{Content, Meta, Options, Tree};
use erofs::ErofsFs;
use overlay::OverlayFs;
use vfs::{Cred, FileKind, FileSystem, Location, ManualClock, TmpFs, TmpFsOptions, Timespec, Vfs};

/// What a lower layer holds at a path (parents are made as 0755 directories).
#[derive(Clone, Copy)]
pub enum Spec {
    Dir(u32),
    /// A directory marked opaque.
    Opaque(u32),
    File(&'static [u8]),
    /// A file with mode, owner and mtime.
    FileMeta(&'static [u8], u32, u32, u64),
    Symlink(&'static str),
    Whiteout,
    Fifo,
}

pub const LOWER_TIME: u64 = 1_000;

fn meta(perm: u32) -> Meta {
    Meta { perm, uid: 0, gid: 0, mtime: LOWER_TIME, mtime_nsec: 0 }
}

/// A lower layer: an EROFS image of `entries`, mounted.
pub fn layer(entries: &[(&str, Spec)]) -> Arc<dyn FileSystem> {
    let mut t = Tree::new(meta(0o755));
    for (path, spec) in entries {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let (last, dirs) = parts.split_last().expect("a path");
        let mut at = Tree::ROOT;
        for d in dirs {
            at = match t.lookup(at, d.as_bytes()) {
                Some(id) => id,
                None => t.add(at, d.as_bytes(), meta(0o755), Content::Dir(BTreeMap::new())).unwrap(),
            };
        }
        let existing = t.lookup(at, last.as_bytes());
        match spec {
            Spec::Dir(p) | Spec::Opaque(p) => {
                let id = match existing {
                    Some(id) => {
                        t.set_meta(id, meta(*p));
                        id
                    }
                    None => t.add(at, last.as_bytes(), meta(*p), Content::Dir(BTreeMap::new())).unwrap(),
                };
                if matches!(spec, Spec::Opaque(_)) {
                    t.set_xattr(id, overlay::OPAQUE_XATTR, b"y");
                }
            }
            Spec::File(data) => {
                t.add(at, last.as_bytes(), meta(0o644), Content::File(data.to_vec().into())).unwrap();
            }
            Spec::FileMeta(data, perm, uid, mtime) => {
                let m = Meta { perm: *perm, uid: *uid, gid: *uid, mtime: *mtime, mtime_nsec: 0 };
                t.add(at, last.as_bytes(), m, Content::File(data.to_vec().into())).unwrap();
            }
            Spec::Symlink(target) => {
                t.add(at, last.as_bytes(), meta(0o777), Content::Symlink(target.as_bytes().to_vec())).unwrap();
            }
            Spec::Whiteout => {
                t.add(at, last.as_bytes(), meta(0), Content::CharDevice { major: 0, minor: 0 }).unwrap();
            }
            Spec::Fifo => {
                t.add(at, last.as_bytes(), meta(0o644), Content::Fifo).unwrap();
            }
        }
    }
    ErofsFs::mount(Arc::new(t.to_vec(&Options::default()).unwrap())).unwrap()
}

pub const T0: Timespec = Timespec::new(5_000_000, 0);

pub struct Env {
    pub clock: Arc<ManualClock>,
    pub upper: Arc<TmpFs>,
    pub fs: Arc<OverlayFs>,
    pub vfs: Vfs,
    pub root: Cred,
}

/// An overlay of `lowers` (top first) under a fresh tmpfs.
pub fn env(lowers: Vec<Arc<dyn FileSystem>>) -> Env {
    let clock = Arc::new(ManualClock::new(T0));
    let upper = TmpFs::new(clock.clone(), TmpFsOptions { root_perm: 0o755, ..TmpFsOptions::default() });
    let fs = OverlayFs::new(upper.clone(), lowers).unwrap();
    let vfs = Vfs::new(fs.clone());
    Env { clock, upper, fs, vfs, root: Cred::root() }
}

impl Env {
    pub fn cwd(&self) -> Location {
        self.vfs.root()
    }

    pub fn read(&self, path: &str) -> Vec<u8> {
        self.vfs.read_file(&self.root, &self.cwd(), path).unwrap_or_else(|e| panic!("read {path}: {e:?}"))
    }

    pub fn try_read(&self, path: &str) -> Result<Vec<u8>, errno::Errno> {
        self.vfs.read_file(&self.root, &self.cwd(), path)
    }

    pub fn write(&self, path: &str, data: &[u8]) {
        self.vfs.write_file(&self.root, &self.cwd(), path, data, 0o644).unwrap_or_else(|e| panic!("write {path}: {e:?}"))
    }

    pub fn stat(&self, path: &str) -> vfs::Stat {
        self.vfs.lstat(&self.root, &self.cwd(), path).unwrap_or_else(|e| panic!("lstat {path}: {e:?}"))
    }

    pub fn exists(&self, path: &str) -> bool {
        self.vfs.lstat(&self.root, &self.cwd(), path).is_ok()
    }

    pub fn names(&self, path: &str) -> Vec<String> {
        let entries = self.vfs.open_dir_entries(&self.root, &self.cwd(), path).unwrap_or_else(|e| panic!("ls {path}: {e:?}"));
        let mut names: Vec<String> = entries.into_iter().map(|e| e.name).filter(|n| n != "." && n != "..").collect();
        names.sort();
        names
    }

    /// What the upper layer holds at `path` (kind, rdev), seen directly.
    pub fn upper_kind(&self, path: &str) -> Option<(FileKind, vfs::DevId)> {
        let direct = Vfs::new(self.upper.clone());
        direct.lstat(&self.root, &direct.root(), path).ok().map(|s| (s.meta.kind, s.meta.rdev))
    }
}

/// The whole tree under `dir` of a namespace: path -> (kind, perm, uid, size, content).
pub fn tree(vfs: &Vfs, cred: &Cred) -> BTreeMap<String, (FileKind, u32, u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![String::from("/")];
    while let Some(dir) = stack.pop() {
        for e in vfs.open_dir_entries(cred, &vfs.root(), &dir).unwrap() {
            if e.name == "." || e.name == ".." {
                continue;
            }
            let path = if dir == "/" { format!("/{}", e.name) } else { format!("{dir}/{}", e.name) };
            let st = vfs.lstat(cred, &vfs.root(), &path).unwrap();
            assert_eq!(st.meta.kind, e.kind, "readdir type of {path}");
            assert_eq!(st.meta.ino, e.ino, "readdir ino of {path}");
            let data = match st.meta.kind {
                FileKind::Regular => vfs.read_file(cred, &vfs.root(), &path).unwrap(),
                FileKind::Symlink => vfs.readlink(cred, &vfs.root(), &path).unwrap().into_bytes(),
                FileKind::Directory => {
                    stack.push(path.clone());
                    Vec::new()
                }
                _ => Vec::new(),
            };
            assert!(out.insert(path.clone(), (st.meta.kind, st.meta.perm, st.meta.uid, data)).is_none(), "{path} listed twice");
        }
    }
    out
}
