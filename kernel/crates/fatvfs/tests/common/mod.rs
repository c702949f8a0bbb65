//! Shared fixtures: a freshly formatted FAT32 memory device mounted through `FatVfs`.
#![allow(dead_code)]

use std::sync::Arc;

use fat32::{FatFs, MemDevice};
use fatvfs::{FatVfs, FatVfsOptions};
use vfs::{Cred, DirEntry, Location, ManualClock, Stat, Timespec, Vfs};

/// Smallest FAT32 with 512-byte clusters (65525 clusters) plus a little.
pub const BLOCKS: usize = 67_000;
pub const NOW: i64 = 1_700_000_000;

pub type Dev = Arc<MemDevice>;
pub type Fat = FatVfs<Dev>;

pub fn formatted() -> Dev {
    let dev = Arc::new(MemDevice::zeroed(BLOCKS));
    fat32::format(&*dev, "DATA").expect("format");
    dev
}

pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(Timespec::new(NOW, 0)))
}

pub fn mount(dev: &Dev) -> Arc<Fat> {
    let fat = FatFs::mount(dev.clone(), || NOW).expect("mount");
    FatVfs::new(fat, clock(), FatVfsOptions::default())
}

/// A namespace and the paths' prefix: `""` when FAT is the root, `"/mnt"` under tmpfs.
pub struct Env {
    pub vfs: Vfs,
    pub fat: Arc<Fat>,
    pub prefix: &'static str,
    pub root: Cred,
}

pub fn fat_root(dev: &Dev) -> Env {
    let fat = mount(dev);
    Env { vfs: Vfs::new(fat.clone()), fat, prefix: "", root: Cred::root() }
}

pub fn under_tmpfs(dev: &Dev) -> Env {
    let tmp = vfs::TmpFs::new(clock(), vfs::TmpFsOptions::default());
    let vfs = Vfs::new(tmp);
    let root = Cred::root();
    vfs.mkdir(&root, &vfs.root(), "/mnt", 0o755).expect("mkdir /mnt");
    let fat = mount(dev);
    vfs.mount("/mnt", fat.clone(), vfs::MountOptions::new("/dev/vda")).expect("mount");
    Env { vfs, fat, prefix: "/mnt", root }
}

impl Env {
    pub fn path(&self, p: &str) -> String {
        format!("{}/{}", self.prefix, p.trim_start_matches('/'))
    }

    pub fn cwd(&self) -> Location {
        self.vfs.root()
    }

    pub fn mkdir(&self, p: &str) -> vfs::Location {
        self.vfs.mkdir(&self.root, &self.cwd(), &self.path(p), 0o755).unwrap_or_else(|e| panic!("mkdir {p}: {e:?}"))
    }

    pub fn write(&self, p: &str, data: &[u8]) {
        self.vfs.write_file(&self.root, &self.cwd(), &self.path(p), data, 0o644).unwrap_or_else(|e| panic!("write {p}: {e:?}"))
    }

    pub fn read(&self, p: &str) -> Vec<u8> {
        self.vfs.read_file(&self.root, &self.cwd(), &self.path(p)).unwrap_or_else(|e| panic!("read {p}: {e:?}"))
    }

    pub fn stat(&self, p: &str) -> Result<Stat, errno::Errno> {
        self.vfs.lstat(&self.root, &self.cwd(), &self.path(p))
    }

    pub fn entries(&self, p: &str) -> Vec<DirEntry> {
        self.vfs.open_dir_entries(&self.root, &self.cwd(), &self.path(p)).unwrap_or_else(|e| panic!("ls {p}: {e:?}"))
    }

    pub fn names(&self, p: &str) -> Vec<String> {
        let mut names: Vec<String> = self.entries(p).into_iter().map(|e| e.name).collect();
        names.sort();
        names
    }
}
