//! [`copy_tree`]: a directory of one namespace copied into the root of another
//! (a bundle's `rootfs/` on the data disk into a container's tmpfs).
//!
//! What the source filesystem reports is what is copied: kinds, permission bits,
//! owners, mtimes, symlink targets, device numbers, and hard links (files with a
//! link count above one and the same inode number become one inode). A FAT
//! source has none of these beyond files and directories: every file comes out
//! with the mount's fixed mode and owner, and each name is its own file.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use errno::{Errno, KResult};
use vfs::{Cred, FileKind, Location, Metadata, OpenFlags, SetTime, Vfs};

/// Bytes read from the source per call.
const CHUNK: usize = 64 * 1024;

/// What a copy made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyStats {
    pub dirs: usize,
    pub files: usize,
    pub bytes: u64,
    pub symlinks: usize,
    pub hard_links: usize,
    pub special: usize,
    /// Sockets: not copied (they mean nothing without their process).
    pub skipped: usize,
}

/// Where a copy failed: the path (relative to the source directory) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyError {
    pub path: String,
    pub errno: Errno,
}

impl fmt::Display for CopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "copying {}: {}", self.path, self.errno.message())
    }
}

/// A directory still to copy: where it is on both sides, and its path for errors.
struct Pending {
    src: Location,
    dst: Location,
    path: String,
}

/// Copies everything below the directory `src_dir` of `src` (read as `cred`) into
/// the root of `dst` (written as root), which should be empty; the root takes
/// `src_dir`'s metadata. Walks by locations, one name at a time, so neither depth
/// nor path length is limited.
pub fn copy_tree(src: &Vfs, cred: &Cred, src_dir: &Location, dst: &Vfs) -> Result<CopyStats, CopyError> {
    let root = Cred::root();
    let mut stats = CopyStats::default();
    // First copy of each multiply-linked file: (its directory, its name).
    let mut linked: BTreeMap<(u64, u64), (Location, String)> = BTreeMap::new();
    let mut dirs: Vec<(Location, Metadata)> = vec![(dst.root(), src_dir.metadata().map_err(at("/"))?)];
    let mut pending = vec![Pending { src: src_dir.clone(), dst: dst.root(), path: String::new() }];
    while let Some(dir) = pending.pop() {
        let entries = src.open_dir_entries(cred, &dir.src, ".").map_err(at(&dir.path))?;
        for name in entries.into_iter().map(|e| e.name).filter(|n| n != "." && n != "..") {
            let path = format!("{}/{name}", dir.path);
            let fail = at(&path);
            let st = src.lstat(cred, &dir.src, &name).map_err(&fail)?;
            let meta = &st.meta;
            match meta.kind {
                FileKind::Directory => {
                    let made = dst.mkdir(&root, &dir.dst, &name, 0o700).map_err(&fail)?;
                    let from = src.resolve_as(cred, &dir.src, &name, false).map_err(&fail)?;
                    dirs.push((made.clone(), meta.clone()));
                    pending.push(Pending { src: from, dst: made, path: path.clone() });
                    stats.dirs += 1;
                }
                FileKind::Regular => {
                    let key = (st.dev, meta.ino);
                    if meta.nlink > 1 {
                        if let Some((first_dir, first)) = linked.get(&key) {
                            dst.link_at(&root, first_dir, first, &dir.dst, &name, false).map_err(&fail)?;
                            stats.hard_links += 1;
                            continue;
                        }
                        linked.insert(key, (dir.dst.clone(), name.clone()));
                    }
                    let (made, bytes) = copy_file(src, cred, &dir.src, dst, &dir.dst, &name).map_err(&fail)?;
                    set_meta(&made, meta).map_err(&fail)?;
                    stats.bytes += bytes;
                    stats.files += 1;
                }
                FileKind::Symlink => {
                    let to = src.readlink(cred, &dir.src, &name).map_err(&fail)?;
                    let made = dst.symlink(&root, &dir.dst, &to, &name).map_err(&fail)?;
                    set_meta(&made, meta).map_err(&fail)?;
                    stats.symlinks += 1;
                }
                FileKind::CharDevice | FileKind::BlockDevice | FileKind::Fifo => {
                    let made = dst.mknod(&root, &dir.dst, &name, meta.kind, meta.perm, meta.rdev).map_err(&fail)?;
                    set_meta(&made, meta).map_err(&fail)?;
                    stats.special += 1;
                }
                FileKind::Socket => stats.skipped += 1,
            }
        }
    }
    // Directory metadata last (filling them changed their mtimes), deepest first.
    for (loc, meta) in dirs.iter().rev() {
        set_meta(loc, meta).map_err(at(&loc.path()))?;
    }
    Ok(stats)
}

fn at(path: &str) -> impl Fn(Errno) -> CopyError + '_ {
    move |errno| CopyError { path: if path.is_empty() { String::from("/") } else { String::from(path) }, errno }
}

/// Owner, then mode (a chown clears set-ID bits), then mtime; a symlink's mode is fixed.
fn set_meta(loc: &Location, meta: &Metadata) -> KResult<()> {
    let root = Cred::root();
    loc.set_owner(&root, Some(meta.uid), Some(meta.gid))?;
    if meta.kind != FileKind::Symlink {
        loc.set_mode(&root, meta.perm)?;
    }
    loc.set_times(&root, None, Some(SetTime::At(meta.mtime)))
}

/// Streams one regular file `name` of `src_dir` into a new file of `dst_dir`;
/// returns the new file and its size.
fn copy_file(
    src: &Vfs,
    cred: &Cred,
    src_dir: &Location,
    dst: &Vfs,
    dst_dir: &Location,
    name: &str,
) -> KResult<(Location, u64)> {
    let input = src.open(cred, src_dir, name, OpenFlags::read_only(), 0)?;
    let output = dst.create(&Cred::root(), dst_dir, name, 0o600)?;
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    loop {
        let n = input.inode().read_at(offset, &mut buf)?;
        let Some(data) = buf.get(..n).filter(|d| !d.is_empty()) else { return Ok((output, offset)) };
        let mut done = 0;
        while let Some(rest) = data.get(done..).filter(|r| !r.is_empty()) {
            let written = output.inode().write_at(offset + done as u64, rest)?;
            if written == 0 {
                return Err(Errno::ENOSPC);
            }
            done += written;
        }
        offset += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::sync::Arc;
    use vfs::{DevId, ManualClock, SetTime, Timespec, TmpFs, TmpFsOptions};

    fn fresh() -> Vfs {
        let clock = Arc::new(ManualClock::new(Timespec { sec: 1_000, nsec: 0 }));
        Vfs::new(TmpFs::new(clock, TmpFsOptions::default()))
    }

    #[test]
    fn copies_a_tree_with_metadata_and_links() {
        let (src, cred) = (fresh(), Cred::root());
        let r = src.root();
        src.mkdir(&cred, &r, "/b", 0o750).unwrap();
        src.mkdir(&cred, &r, "/b/rootfs", 0o755).unwrap();
        src.mkdir(&cred, &r, "/b/rootfs/bin", 0o711).unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        src.write_file(&cred, &r, "/b/rootfs/bin/busybox", &big, 0o755).unwrap();
        src.link(&cred, &r, "/b/rootfs/bin/busybox", "/b/rootfs/bin/sh").unwrap();
        src.symlink(&cred, &r, "busybox", "/b/rootfs/bin/ls").unwrap();
        src.mknod(&cred, &r, "/b/rootfs/null", FileKind::CharDevice, 0o666, DevId::new(1, 3)).unwrap();
        let f = src.resolve(&r, "/b/rootfs/bin/busybox", false).unwrap();
        f.set_owner(&cred, Some(5), Some(6)).unwrap();
        f.set_times(&cred, None, Some(SetTime::At(Timespec::new(42, 0)))).unwrap();
        src.write_file(&cred, &r, "/b/outside", b"not copied", 0o644).unwrap();

        let dir = src.resolve(&r, "/b/rootfs", true).unwrap();
        dir.set_mode(&cred, 0o701).unwrap();
        let dst = fresh();
        let stats = copy_tree(&src, &cred, &dir, &dst).unwrap();
        assert_eq!((stats.dirs, stats.files, stats.hard_links, stats.symlinks, stats.special), (1, 1, 1, 1, 1));
        assert_eq!(stats.bytes, big.len() as u64);
        let d = dst.root();
        assert_eq!(dst.read_file(&cred, &d, "/bin/sh").unwrap(), big);
        let st = dst.stat(&cred, &d, "/bin/sh").unwrap();
        assert_eq!((st.meta.nlink, st.meta.perm, st.meta.uid, st.meta.gid, st.meta.mtime.sec), (2, 0o755, 5, 6, 42));
        assert_eq!(dst.stat(&cred, &d, "/bin").unwrap().meta.perm, 0o711);
        assert_eq!(dst.stat(&cred, &d, "/").unwrap().meta.perm, 0o701);
        assert_eq!(dst.readlink(&cred, &d, "/bin/ls").unwrap(), "busybox");
        assert_eq!(dst.lstat(&cred, &d, "/null").unwrap().meta.rdev, DevId::new(1, 3));
        assert_eq!(dst.stat(&cred, &d, "/outside").map(|_| ()), Err(Errno::ENOENT));
    }

    #[test]
    fn deep_trees_do_not_recurse() {
        let (src, cred) = (fresh(), Cred::root());
        let mut here = src.root();
        // Paths of 6000 bytes: longer than PATH_MAX.
        for _ in 0..3_000 {
            here = src.mkdir(&cred, &here, "d", 0o755).unwrap();
        }
        src.write_file(&cred, &here, "leaf", b"deep", 0o644).unwrap();
        let dst = fresh();
        let stats = copy_tree(&src, &cred, &src.root(), &dst).unwrap();
        assert_eq!((stats.dirs, stats.files), (3_000, 1));
    }
}
