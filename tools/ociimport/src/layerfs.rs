//! One image layer (an uncompressed tar) as an EROFS tree for the kernel's overlay: what the
//! layer adds or changes, with OCI whiteouts turned into overlayfs ones.
//!
//! - `.wh.NAME` becomes a character device 0/0 named NAME (an overlayfs whiteout); an entry
//!   of NAME earlier in the same layer is dropped first, as `ocitar::apply_layer` does.
//! - `.wh..wh..opq` marks its directory opaque (`trusted.overlay.opaque` = `y`): the layer
//!   keeps what it adds there, the layers below are hidden.
//! - A directory made where this layer put a whiteout is opaque as well.
//! - Directories the layer only implies (a file under a directory the tar has no entry for)
//!   take the metadata the layers below give that directory, else 0755 root-owned: the
//!   merged directory then looks as if the layer had been unpacked over the lower ones.
//! - A hard link to a file of a lower layer cannot point into that layer: the file is copied
//!   into this layer, under every name the lower layers give its inode, and all of them,
//!   with the new name, are linked together (what overlayfs' copy-up does when a container
//!   makes the link); links within the layer stay links.
//! - Conflicts resolve in archive order: a directory over a directory merges (the later
//!   metadata wins), anything else replaces.
//!
//! The lower layers are seen through `lower`, a namespace over their overlay (the same
//! `overlay` and `erofs` code the kernel runs).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use erofs::writer::{Content, Meta, NodeId, Tree};
use ocitar::{normalize, Archive, EntryKind, OPAQUE_MARKER, WHITEOUT_PREFIX};
use overlay::OPAQUE_XATTR;
use vfs::{Cred, FileKind, Vfs};

/// Metadata of directories nothing else describes.
const DEFAULT_DIR: Meta = Meta { perm: 0o755, uid: 0, gid: 0, mtime: 0, mtime_nsec: 0 };

fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("/", path),
    }
}

fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

struct Converter<'t, 'l> {
    tree: Tree<'t>,
    lower: Option<&'l Vfs>,
    /// Paths this layer whited out.
    whited: BTreeSet<String>,
    /// Lower inodes with several names: ino -> paths (made on the first link into a lower
    /// layer).
    lower_links: Option<BTreeMap<u64, Vec<String>>>,
}

impl<'t> Converter<'t, '_> {
    fn lower_meta(&self, path: &str) -> Option<(FileKind, Meta)> {
        let lower = self.lower?;
        let st = lower.lstat(&Cred::root(), &lower.root(), path).ok()?;
        let m = st.meta;
        Some((m.kind, Meta { perm: m.perm, uid: m.uid, gid: m.gid, mtime: m.mtime.sec.max(0) as u64, mtime_nsec: m.mtime.nsec }))
    }

    /// The directory at `path`, made (with what the lower layers say of it) where missing.
    fn ensure_dir(&mut self, path: &str) -> Result<NodeId, String> {
        let mut at = Tree::ROOT;
        let mut walked = String::new();
        for part in components(path) {
            walked.push('/');
            walked.push_str(part);
            at = match self.tree.lookup(at, part.as_bytes()) {
                Some(id) if self.tree.is_dir(id) => id,
                Some(_) => return Err(format!("{walked}: not a directory in the layer")),
                None => {
                    let meta = match self.lower_meta(&walked) {
                        Some((FileKind::Directory, m)) => m,
                        _ => DEFAULT_DIR,
                    };
                    let id = self.tree.add(at, part.as_bytes(), meta, Content::Dir(BTreeMap::new())).map_err(|e| format!("{walked}: {e}"))?;
                    if self.whited.contains(&walked) {
                        self.tree.set_xattr(id, OPAQUE_XATTR, b"y");
                    }
                    id
                }
            };
        }
        Ok(at)
    }

    /// The node at `path` in this layer, if any.
    fn find(&self, path: &str) -> Option<NodeId> {
        let mut at = Tree::ROOT;
        for part in components(path) {
            at = self.tree.lookup(at, part.as_bytes())?;
        }
        Some(at)
    }

    fn whiteout(&mut self, parent: &str, hidden: &str, meta: Meta) -> Result<(), String> {
        let dir = self.ensure_dir(parent)?;
        if hidden == &OPAQUE_MARKER[WHITEOUT_PREFIX.len()..] {
            self.tree.set_xattr(dir, OPAQUE_XATTR, b"y");
            return Ok(());
        }
        if hidden.is_empty() || hidden == "." || hidden == ".." {
            return Err(format!("bad whiteout {parent}/{WHITEOUT_PREFIX}{hidden}"));
        }
        self.tree.remove(dir, hidden.as_bytes());
        let meta = Meta { perm: 0, uid: 0, gid: 0, ..meta };
        self.tree.add(dir, hidden.as_bytes(), meta, Content::CharDevice { major: 0, minor: 0 }).map_err(|e| format!("{parent}/{hidden}: {e}"))?;
        let path = if parent == "/" { format!("/{hidden}") } else { format!("{parent}/{hidden}") };
        self.whited.insert(path);
        Ok(())
    }

    /// Every name of each lower non-directory with several links.
    fn lower_links(&mut self) -> &BTreeMap<u64, Vec<String>> {
        let lower = self.lower;
        self.lower_links.get_or_insert_with(|| {
            let mut map: BTreeMap<u64, Vec<String>> = BTreeMap::new();
            let Some(lower) = lower else { return map };
            let cred = Cred::root();
            let mut stack = vec![String::from("/")];
            while let Some(dir) = stack.pop() {
                let Ok(entries) = lower.open_dir_entries(&cred, &lower.root(), &dir) else { continue };
                for e in entries.into_iter().filter(|e| e.name != "." && e.name != "..") {
                    let path = if dir == "/" { format!("/{}", e.name) } else { format!("{dir}/{}", e.name) };
                    if e.kind == FileKind::Directory {
                        stack.push(path);
                    } else if lower.lstat(&cred, &lower.root(), &path).is_ok_and(|st| st.meta.nlink > 1) {
                        map.entry(e.ino).or_default().push(path);
                    }
                }
            }
            map
        })
    }

    /// Copies the lower file at `target` into this layer under all its lower names, linked
    /// together; returns the node.
    fn copy_up_links(&mut self, target: &str) -> Result<NodeId, String> {
        let (meta, content) = self.lower_copy(target)?;
        let lower = self.lower.ok_or_else(|| format!("hard link to {target}, which no layer has"))?;
        let ino = lower.lstat(&Cred::root(), &lower.root(), target).map_err(|e| format!("{target}: {e}"))?.meta.ino;
        let mut names = self.lower_links().get(&ino).cloned().unwrap_or_default();
        names.retain(|n| n != target);
        names.insert(0, String::from(target));
        let mut node = None;
        for name in names {
            if self.find(&name).is_some() {
                continue; // this layer already has its own version of that name
            }
            let (parent, last) = split(&name);
            let dir = self.ensure_dir(parent)?;
            match node {
                None => node = Some(self.tree.add(dir, last.as_bytes(), meta, content.clone()).map_err(|e| format!("{name}: {e}"))?),
                Some(id) => self.tree.link(dir, last.as_bytes(), id).map_err(|e| format!("{name}: {e}"))?,
            }
        }
        node.ok_or_else(|| format!("hard link to {target}: no name of it left to copy"))
    }

    /// A copy of the lower layers' file at `path` (for a hard link into them).
    fn lower_copy(&self, path: &str) -> Result<(Meta, Content<'t>), String> {
        let lower = self.lower.ok_or_else(|| format!("hard link to {path}, which no layer has"))?;
        let cred = Cred::root();
        let (kind, meta) = self.lower_meta(path).ok_or_else(|| format!("hard link to {path}, which no layer has"))?;
        let content = match kind {
            FileKind::Regular => Content::File(Cow::Owned(lower.read_file(&cred, &lower.root(), path).map_err(|e| format!("{path}: {e}"))?)),
            FileKind::Symlink => Content::Symlink(lower.readlink(&cred, &lower.root(), path).map_err(|e| format!("{path}: {e}"))?.into_bytes()),
            FileKind::Fifo => Content::Fifo,
            FileKind::CharDevice | FileKind::BlockDevice => {
                let st = lower.lstat(&cred, &lower.root(), path).map_err(|e| format!("{path}: {e}"))?;
                let (major, minor) = (st.meta.rdev.major, st.meta.rdev.minor);
                if kind == FileKind::CharDevice { Content::CharDevice { major, minor } } else { Content::BlockDevice { major, minor } }
            }
            _ => return Err(format!("hard link to {path}, a {kind:?}")),
        };
        Ok((meta, content))
    }

    fn add(&mut self, path: &str, kind: &EntryKind, meta: Meta, data: &'t [u8]) -> Result<(), String> {
        if path == "/" {
            return match kind {
                EntryKind::Dir => {
                    self.tree.set_meta(Tree::ROOT, meta);
                    Ok(())
                }
                _ => Err(String::from("only a directory may stand at the root")),
            };
        }
        let (parent, name) = split(path);
        let dir = self.ensure_dir(parent)?;
        let existing = self.tree.lookup(dir, name.as_bytes());
        let fail = |e: erofs::writer::WriteError| format!("{path}: {e}");
        if *kind == EntryKind::Dir {
            if let Some(id) = existing.filter(|id| self.tree.is_dir(*id)) {
                self.tree.set_meta(id, meta);
                return Ok(());
            }
            self.tree.remove(dir, name.as_bytes());
            let id = self.tree.add(dir, name.as_bytes(), meta, Content::Dir(BTreeMap::new())).map_err(fail)?;
            if self.whited.contains(path) {
                self.tree.set_xattr(id, OPAQUE_XATTR, b"y");
            }
            return Ok(());
        }
        let content = match kind {
            EntryKind::File => Content::File(Cow::Borrowed(data)),
            EntryKind::Symlink(target) => Content::Symlink(target.as_bytes().to_vec()),
            EntryKind::CharDevice { major, minor } => Content::CharDevice { major: *major, minor: *minor },
            EntryKind::BlockDevice { major, minor } => Content::BlockDevice { major: *major, minor: *minor },
            EntryKind::Fifo => Content::Fifo,
            EntryKind::HardLink(target) => {
                let target = normalize(target).ok_or_else(|| format!("{path}: hard link target {target:?} leaves the root"))?;
                if target == path {
                    return Ok(());
                }
                if let Some(id) = self.find(&target) {
                    if self.tree.is_dir(id) {
                        return Err(format!("{path}: hard link to the directory {target}"));
                    }
                    self.tree.remove(dir, name.as_bytes());
                    return self.tree.link(dir, name.as_bytes(), id).map_err(fail);
                }
                let id = self.copy_up_links(&target).map_err(|e| format!("{path}: {e}"))?;
                self.tree.remove(dir, name.as_bytes());
                return self.tree.link(dir, name.as_bytes(), id).map_err(fail);
            }
            EntryKind::Dir => unreachable!("handled above"),
        };
        self.tree.remove(dir, name.as_bytes());
        self.tree.add(dir, name.as_bytes(), meta, content).map_err(fail)?;
        Ok(())
    }
}

/// Converts the layer `tar` (uncompressed) laid over the layers seen through `lower`.
pub fn convert<'t>(tar: &'t [u8], lower: Option<&Vfs>) -> Result<Tree<'t>, String> {
    let root_meta = lower
        .and_then(|l| l.lstat(&Cred::root(), &l.root(), "/").ok())
        .map(|st| Meta { perm: st.meta.perm, uid: st.meta.uid, gid: st.meta.gid, mtime: st.meta.mtime.sec.max(0) as u64, mtime_nsec: st.meta.mtime.nsec })
        .unwrap_or(DEFAULT_DIR);
    let mut c = Converter { tree: Tree::new(root_meta), lower, whited: BTreeSet::new(), lower_links: None };
    for entry in Archive::new(tar) {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = normalize(&entry.path).ok_or_else(|| format!("unsafe path {:?}", entry.path))?;
        let meta = Meta { perm: entry.mode & 0o7777, uid: entry.uid, gid: entry.gid, mtime: entry.mtime.max(0) as u64, mtime_nsec: 0 };
        let (parent, name) = split(&path);
        if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
            c.whiteout(parent, hidden, meta)?;
            continue;
        }
        c.add(&path, &entry.kind, meta, entry.data)?;
    }
    Ok(c.tree)
}
