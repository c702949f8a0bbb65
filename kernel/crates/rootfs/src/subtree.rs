//! [`unpack_subtree`]: one directory of a plain (not layer) tar extracted into a
//! namespace's root, as `tar -x` would: modes, owners, mtimes, symlinks, hard
//! links and device nodes kept; a later entry replaces an earlier one; no
//! whiteout rules (a bundle's root filesystem is not a layer).

use alloc::string::String;
use alloc::vec::Vec;
use ocitar::{normalize, ApplyError, Archive, EntryKind, LayerTarget, Meta, NodeType, Special};
use vfs::Vfs;

use crate::target::VfsTarget;

/// Extracts the entries of `tar` under the archive directory `prefix` (a normalized
/// absolute path such as `/rootfs`) into `vfs`'s root, `prefix` itself becoming `/`.
/// Entries elsewhere are skipped; a hard link to something outside `prefix` is an
/// `UnsafePath` error. Returns the number of entries extracted.
pub fn unpack_subtree(vfs: &Vfs, tar: &[u8], prefix: &str) -> Result<usize, ApplyError> {
    let mut target = VfsTarget::new(vfs);
    let mut dirs: Vec<(String, Meta)> = Vec::new();
    let mut count = 0;
    for entry in Archive::new(tar) {
        let entry = entry?;
        let unsafe_path = |p: &str| ApplyError::UnsafePath { path: String::from(p) };
        let full = normalize(&entry.path).ok_or_else(|| unsafe_path(&entry.path))?;
        let Some(path) = inside(&full, prefix) else { continue };
        let meta = Meta { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime };
        if entry.kind == EntryKind::Dir {
            dirs.push((String::from(path), meta));
        }
        if path == "/" {
            count += 1;
            continue;
        }
        let parent = parent_of(path);
        if lookup(&target, parent)? != Some(NodeType::Dir) {
            target.mkdir_all(parent).map_err(|e| fail("mkdir", parent, e))?;
        }
        match lookup(&target, path)? {
            Some(NodeType::Dir) if entry.kind == EntryKind::Dir => {
                count += 1;
                continue;
            }
            Some(_) => target.remove_all(path).map_err(|e| fail("replace", path, e))?,
            None => {}
        }
        let made = match &entry.kind {
            EntryKind::Dir => target.mkdir(path, &meta),
            EntryKind::File => target.write_file(path, &meta, entry.data),
            EntryKind::Symlink(to) => target.symlink(path, to, &meta),
            EntryKind::HardLink(existing) => {
                let source = normalize(existing).ok_or_else(|| unsafe_path(existing))?;
                let source = inside(&source, prefix).ok_or_else(|| unsafe_path(existing))?;
                target.hard_link(path, source)
            }
            EntryKind::CharDevice { major, minor } => {
                target.mknod(path, Special::CharDevice { major: *major, minor: *minor }, &meta)
            }
            EntryKind::BlockDevice { major, minor } => {
                target.mknod(path, Special::BlockDevice { major: *major, minor: *minor }, &meta)
            }
            EntryKind::Fifo => target.mknod(path, Special::Fifo, &meta),
        };
        made.map_err(|e| fail("create", path, e))?;
        count += 1;
    }
    // Directory metadata last (creating entries changed their mtimes), deepest first.
    for (path, meta) in dirs.iter().rev() {
        if lookup(&target, path)? == Some(NodeType::Dir) {
            target.set_meta(path, meta).map_err(|e| fail("set metadata of", path, e))?;
        }
    }
    Ok(count)
}

/// `path` relative to `prefix` as an absolute path (`/` for `prefix` itself).
fn inside<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    if prefix == "/" {
        return Some(path);
    }
    match path.strip_prefix(prefix)? {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn lookup(target: &VfsTarget<'_>, path: &str) -> Result<Option<NodeType>, ApplyError> {
    target.lookup(path).map_err(|e| fail("lookup", path, e))
}

fn fail(op: &'static str, path: &str, errno: errno::Errno) -> ApplyError {
    ApplyError::Target { op, path: String::from(path), errno }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::sync::Arc;
    use ocitar::builder::TarBuilder;
    use vfs::{Cred, FileKind, ManualClock, Timespec, TmpFs, TmpFsOptions};

    fn fresh() -> Vfs {
        let clock = Arc::new(ManualClock::new(Timespec { sec: 1_000, nsec: 0 }));
        Vfs::new(TmpFs::new(clock, TmpFsOptions::default()))
    }

    #[test]
    fn extracts_only_the_root_with_modes_and_links() {
        let mut t = TarBuilder::new();
        t.file("config.json", 0o644, b"{}");
        t.dir("rootfs", 0o700);
        t.dir("rootfs/bin", 0o755);
        t.file("rootfs/bin/busybox", 0o4755, b"BB");
        t.hard_link("rootfs/bin/sh", "rootfs/bin/busybox");
        t.symlink("rootfs/bin/ls", "busybox");
        t.file("rootfs/etc/.wh.passwd", 0o600, b"not a whiteout here");
        t.file("rootfsX/other", 0o644, b"skip");
        let vfs = fresh();
        assert_eq!(unpack_subtree(&vfs, &t.finish(), "/rootfs"), Ok(6));
        let (cred, root) = (Cred::root(), vfs.root());
        let names: Vec<String> = vfs.open_dir_entries(&cred, &root, "/").unwrap().into_iter().map(|e| e.name).collect();
        assert!(names.contains(&String::from("bin")) && !names.iter().any(|n| n.contains("config") || n == "other"));
        let sh = vfs.stat(&cred, &root, "/bin/sh").unwrap();
        assert_eq!((sh.meta.nlink, sh.meta.perm), (2, 0o4755));
        assert_eq!(vfs.readlink(&cred, &root, "/bin/ls").unwrap(), "busybox");
        assert_eq!(vfs.read_file(&cred, &root, "/etc/.wh.passwd").unwrap(), b"not a whiteout here");
        assert_eq!(vfs.stat(&cred, &root, "/").unwrap().meta.perm, 0o700, "the root takes rootfs/'s mode");
        assert_eq!(vfs.stat(&cred, &root, "/bin").unwrap().meta.kind, FileKind::Directory);
    }

    #[test]
    fn hard_links_out_of_the_root_are_refused() {
        let mut t = TarBuilder::new();
        t.file("secret", 0o600, b"s");
        t.hard_link("rootfs/leak", "secret");
        let vfs = fresh();
        assert!(matches!(unpack_subtree(&vfs, &t.finish(), "/rootfs"), Err(ApplyError::UnsafePath { .. })));
    }
}
