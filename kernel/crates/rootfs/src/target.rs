//! [`VfsTarget`]: `ocitar::LayerTarget` over a `vfs::Vfs`, so image layers (and bundle
//! tars, through `subtree`) are applied into a namespace as root.

use alloc::string::String;
use alloc::vec::Vec;
use errno::{Errno, KResult};
use ocitar::{LayerTarget, Meta, NodeType, Special};
use vfs::{Cred, DevId, FileKind, Location, SetTime, Timespec, Vfs};

/// Applies layers to `vfs` as `cred` (root, for images).
pub struct VfsTarget<'a> {
    vfs: &'a Vfs,
    cred: Cred,
    root: Location,
}

impl<'a> VfsTarget<'a> {
    pub fn new(vfs: &'a Vfs) -> VfsTarget<'a> {
        VfsTarget { vfs, cred: Cred::root(), root: vfs.root() }
    }
}

fn node_type(kind: FileKind) -> NodeType {
    match kind {
        FileKind::Regular | FileKind::Socket => NodeType::File,
        FileKind::Directory => NodeType::Dir,
        FileKind::Symlink => NodeType::Symlink,
        FileKind::CharDevice => NodeType::CharDevice,
        FileKind::BlockDevice => NodeType::BlockDevice,
        FileKind::Fifo => NodeType::Fifo,
    }
}

impl LayerTarget for VfsTarget<'_> {
    fn lookup(&self, path: &str) -> KResult<Option<NodeType>> {
        match self.vfs.lstat(&self.cred, &self.root, path) {
            Ok(st) => Ok(Some(node_type(st.meta.kind))),
            Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn mkdir_all(&mut self, path: &str) -> KResult<()> {
        let mut prefix = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            prefix.push('/');
            prefix.push_str(part);
            match self.vfs.mkdir(&self.cred, &self.root, &prefix, 0o755) {
                Ok(_) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn mkdir(&mut self, path: &str, meta: &Meta) -> KResult<()> {
        self.vfs.mkdir(&self.cred, &self.root, path, meta.mode & 0o7777)?;
        self.set_meta(path, meta)
    }

    fn write_file(&mut self, path: &str, meta: &Meta, data: &[u8]) -> KResult<()> {
        let loc = self.vfs.create(&self.cred, &self.root, path, meta.mode & 0o7777)?;
        let mut done = 0;
        while done < data.len() {
            let n = loc.inode().write_at(done as u64, &data[done..])?;
            if n == 0 {
                return Err(Errno::ENOSPC);
            }
            done += n;
        }
        self.set_meta(path, meta)
    }

    fn symlink(&mut self, path: &str, target: &str, meta: &Meta) -> KResult<()> {
        self.vfs.symlink(&self.cred, &self.root, target, path)?;
        // Owner and mtime of the link itself; its mode is always 0777.
        let loc = self.vfs.resolve(&self.root, path, false)?;
        loc.set_owner(&self.cred, Some(meta.uid), Some(meta.gid))?;
        loc.set_times(&self.cred, None, Some(SetTime::At(Timespec { sec: meta.mtime, nsec: 0 })))
    }

    fn hard_link(&mut self, path: &str, existing: &str) -> KResult<()> {
        self.vfs.link_at(&self.cred, &self.root, existing, &self.root, path, false)
    }

    fn mknod(&mut self, path: &str, node: Special, meta: &Meta) -> KResult<()> {
        let (kind, rdev) = match node {
            Special::CharDevice { major, minor } => (FileKind::CharDevice, DevId { major, minor }),
            Special::BlockDevice { major, minor } => (FileKind::BlockDevice, DevId { major, minor }),
            Special::Fifo => (FileKind::Fifo, DevId { major: 0, minor: 0 }),
        };
        self.vfs.mknod(&self.cred, &self.root, path, kind, meta.mode & 0o7777, rdev)?;
        self.set_meta(path, meta)
    }

    fn remove_all(&mut self, path: &str) -> KResult<()> {
        let st = match self.vfs.lstat(&self.cred, &self.root, path) {
            Ok(st) => st,
            Err(Errno::ENOENT) => return Ok(()),
            Err(e) => return Err(e),
        };
        if st.meta.kind != FileKind::Directory {
            return self.vfs.unlink(&self.cred, &self.root, path);
        }
        for name in self.list_dir(path)? {
            self.remove_all(&alloc::format!("{}/{}", path.trim_end_matches('/'), name))?;
        }
        self.vfs.rmdir(&self.cred, &self.root, path)
    }

    fn list_dir(&self, path: &str) -> KResult<Vec<String>> {
        Ok(self
            .vfs
            .open_dir_entries(&self.cred, &self.root, path)?
            .into_iter()
            .map(|e| e.name)
            .filter(|n| n != "." && n != "..")
            .collect())
    }

    fn set_meta(&mut self, path: &str, meta: &Meta) -> KResult<()> {
        let loc = self.vfs.resolve(&self.root, path, false)?;
        loc.set_owner(&self.cred, Some(meta.uid), Some(meta.gid))?;
        if loc.kind()? != FileKind::Symlink {
            loc.set_mode(&self.cred, meta.mode & 0o7777)?;
        }
        loc.set_times(&self.cred, None, Some(SetTime::At(Timespec { sec: meta.mtime, nsec: 0 })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::sync::Arc;
    use ocitar::builder::TarBuilder;
    use vfs::{ManualClock, TmpFs, TmpFsOptions};

    fn fresh() -> Vfs {
        let clock = Arc::new(ManualClock::new(Timespec { sec: 1_000, nsec: 0 }));
        Vfs::new(TmpFs::new(clock, TmpFsOptions::default()))
    }

    fn read(vfs: &Vfs, path: &str) -> Vec<u8> {
        vfs.read_file(&Cred::root(), &vfs.root(), path).expect(path)
    }

    #[test]
    fn layers_apply_with_whiteouts_links_and_metadata() {
        let vfs = fresh();
        let mut base = TarBuilder::new();
        base.dir("bin", 0o755);
        base.file("bin/busybox", 0o755, b"BB");
        base.hard_link("bin/sh", "bin/busybox");
        base.symlink("bin/ls", "busybox");
        base.dir("etc", 0o755);
        base.file("etc/passwd", 0o644, b"root:x:0:0::/root:/bin/sh\n");
        base.dir("tmp", 0o1777);
        base.file("old.txt", 0o600, b"old");
        let mut top = TarBuilder::new();
        top.file(".wh.old.txt", 0o644, b"");
        top.file("etc/hostname", 0o644, b"c1\n");
        let mut target = VfsTarget::new(&vfs);
        ocitar::apply_layer(&mut target, &base.finish()).expect("base layer");
        ocitar::apply_layer(&mut target, &top.finish()).expect("top layer");
        assert_eq!(read(&vfs, "/bin/sh"), b"BB");
        assert_eq!(read(&vfs, "/bin/ls"), b"BB");
        assert_eq!(vfs.readlink(&Cred::root(), &vfs.root(), "/bin/ls").expect("link"), "busybox");
        let sh = vfs.stat(&Cred::root(), &vfs.root(), "/bin/sh").expect("stat");
        assert_eq!(sh.meta.nlink, 2);
        assert_eq!(sh.meta.perm & 0o7777, 0o755);
        let tmp = vfs.stat(&Cred::root(), &vfs.root(), "/tmp").expect("stat");
        assert_eq!(tmp.meta.perm & 0o7777, 0o1777);
        assert_eq!(vfs.stat(&Cred::root(), &vfs.root(), "/old.txt").map(|_| ()), Err(Errno::ENOENT));
        assert_eq!(read(&vfs, "/etc/hostname"), b"c1\n");
    }

    #[test]
    fn escaping_paths_stay_inside() {
        let vfs = fresh();
        let mut evil = TarBuilder::new();
        evil.symlink("up", "/../../..");
        evil.file("up/escaped", 0o644, b"x");
        let mut target = VfsTarget::new(&vfs);
        // Either refused or written inside the root; never outside (there is no outside).
        let _ = ocitar::apply_layer(&mut target, &evil.finish());
        let names = target.list_dir("/").expect("list");
        assert!(names.iter().all(|n| n == "up" || n == "escaped"), "{names:?}");
    }
}
