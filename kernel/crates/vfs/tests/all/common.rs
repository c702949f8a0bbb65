//! Shared fixtures: a namespace over a fresh tmpfs with a manual clock.

use std::sync::Arc;

use vfs::{Cred, FileKind, Location, ManualClock, TmpFs, TmpFsOptions, Timespec, Vfs};

pub const T0: Timespec = Timespec::new(1_000_000, 0);

pub struct Env {
    pub clock: Arc<ManualClock>,
    pub fs: Arc<TmpFs>,
    pub vfs: Vfs,
    pub root: Cred,
}

pub fn env() -> Env {
    env_with(TmpFsOptions { root_perm: 0o755, ..TmpFsOptions::default() })
}

pub fn env_with(options: TmpFsOptions) -> Env {
    let clock = Arc::new(ManualClock::new(T0));
    let fs = TmpFs::new(clock.clone(), options);
    let vfs = Vfs::new(fs.clone());
    Env { clock, fs, vfs, root: Cred::root() }
}

pub fn tmpfs(clock: &Arc<ManualClock>) -> Arc<TmpFs> {
    TmpFs::new(clock.clone(), TmpFsOptions::default())
}

impl Env {
    pub fn cwd(&self) -> Location {
        self.vfs.root()
    }

    pub fn mkdir(&self, path: &str) -> Location {
        self.vfs.mkdir(&self.root, &self.cwd(), path, 0o755).unwrap_or_else(|e| panic!("mkdir {path}: {e:?}"))
    }

    pub fn write(&self, path: &str, data: &[u8]) {
        self.vfs.write_file(&self.root, &self.cwd(), path, data, 0o644).unwrap_or_else(|e| panic!("write {path}: {e:?}"))
    }

    pub fn read(&self, path: &str) -> Vec<u8> {
        self.vfs.read_file(&self.root, &self.cwd(), path).unwrap_or_else(|e| panic!("read {path}: {e:?}"))
    }

    pub fn symlink(&self, target: &str, path: &str) {
        self.vfs.symlink(&self.root, &self.cwd(), target, path).unwrap_or_else(|e| panic!("symlink {path}: {e:?}"));
    }

    pub fn resolve(&self, path: &str) -> Location {
        self.vfs.resolve(&self.cwd(), path, true).unwrap_or_else(|e| panic!("resolve {path}: {e:?}"))
    }

    pub fn stat(&self, path: &str) -> vfs::Stat {
        self.vfs.lstat(&self.root, &self.cwd(), path).unwrap_or_else(|e| panic!("lstat {path}: {e:?}"))
    }

    pub fn nlink(&self, path: &str) -> u64 {
        self.stat(path).meta.nlink
    }

    pub fn names(&self, path: &str) -> Vec<String> {
        let entries = self.vfs.open_dir_entries(&self.root, &self.cwd(), path).unwrap();
        entries.into_iter().map(|e| e.name).collect()
    }

    pub fn kind(&self, path: &str) -> FileKind {
        self.stat(path).meta.kind
    }
}

/// A non-root user.
pub fn user(uid: u32) -> Cred {
    Cred::new(uid, uid, Vec::new())
}
