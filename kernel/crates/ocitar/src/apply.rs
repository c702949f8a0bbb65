//! Applying an OCI layer (an uncompressed tar) onto a filesystem, with whiteouts.
//!
//! Rules (image-spec `layer.md`, as containerd applies them):
//! - entries are applied in archive order; paths are normalized under the root and any
//!   path (or hard-link target) climbing above it is rejected;
//! - `.wh.<name>` removes `<name>` (and everything below it) from the lower layers;
//! - `.wh..wh..opq` empties its directory of everything the lower layers put there, but
//!   keeps what this layer adds, wherever the marker appears in the archive;
//! - an existing node is replaced, except that a directory entry over an existing
//!   directory merges (only its metadata changes);
//! - missing parent directories are created; directory metadata (mode, owner, mtime) is
//!   set after the whole layer, so later writes inside them cannot disturb it.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use errno::KResult;

use crate::archive::{Archive, EntryKind};
use crate::error::ApplyError;
use crate::gzip::decompress;
use crate::path::{ancestors, join, normalize, split};

/// Ownership, permissions and time of a node, as stored in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Permission bits including set-id and sticky (`0o7777` at most).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
}

/// The type of an existing node, as [`LayerTarget::lookup`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
}

/// A special file for [`LayerTarget::mknod`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    CharDevice { major: u32, minor: u32 },
    BlockDevice { major: u32, minor: u32 },
    Fifo,
}

/// The filesystem a layer is applied to; the kernel implements it over its VFS.
///
/// Every path is absolute and normalized (`/bin/sh`), relative to the container's root
/// filesystem. Implementations MUST confine resolution to that root (treat it as `/`, never
/// follow a symlink out of it) and MUST NOT follow a symlink in the final component.
/// The applier only creates nodes whose path does not exist (it removes the old one first)
/// and whose parent directory exists.
pub trait LayerTarget {
    /// The type of the node at `path`, or `None` if nothing is there.
    fn lookup(&self, path: &str) -> KResult<Option<NodeType>>;
    /// Creates `path` and any missing ancestors as directories (mode 0755, root-owned).
    fn mkdir_all(&mut self, path: &str) -> KResult<()>;
    /// Creates a directory.
    fn mkdir(&mut self, path: &str, meta: &Meta) -> KResult<()>;
    /// Creates a regular file with the given contents.
    fn write_file(&mut self, path: &str, meta: &Meta, data: &[u8]) -> KResult<()>;
    /// Creates a symbolic link holding `target` verbatim.
    fn symlink(&mut self, path: &str, target: &str, meta: &Meta) -> KResult<()>;
    /// Creates `path` as another name for the existing non-directory `existing`.
    fn hard_link(&mut self, path: &str, existing: &str) -> KResult<()>;
    /// Creates a device node or FIFO.
    fn mknod(&mut self, path: &str, node: Special, meta: &Meta) -> KResult<()>;
    /// Removes `path` and, for a directory, everything below it. Absent is not an error.
    fn remove_all(&mut self, path: &str) -> KResult<()>;
    /// The names in directory `path` (without `.` and `..`).
    fn list_dir(&self, path: &str) -> KResult<Vec<String>>;
    /// Sets mode, owner and mtime of `path` (without following a final symlink).
    fn set_meta(&mut self, path: &str, meta: &Meta) -> KResult<()>;
}

/// What [`apply_layer`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Nodes created or updated.
    pub entries: usize,
    /// Whiteout markers processed (including opaque markers).
    pub whiteouts: usize,
}

/// Prefix of a whiteout file name.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// Name of the opaque-directory marker.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Applies a layer blob (gzip or plain tar, told by magic) of at most `limit` bytes
/// uncompressed.
pub fn apply_layer_blob(target: &mut dyn LayerTarget, blob: &[u8], limit: usize) -> Result<ApplyStats, ApplyError> {
    let tar = decompress(blob, limit)?;
    apply_layer(target, &tar)
}

/// Applies an uncompressed layer tar to `target`.
pub fn apply_layer(target: &mut dyn LayerTarget, tar: &[u8]) -> Result<ApplyStats, ApplyError> {
    let mut applier = Applier { target, created: BTreeSet::new(), dirs: Vec::new(), stats: ApplyStats::default() };
    for entry in Archive::new(tar) {
        let entry = entry?;
        let path = normalize(&entry.path).ok_or_else(|| ApplyError::UnsafePath { path: entry.path.clone() })?;
        let (parent, name) = split(&path);
        if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
            applier.whiteout(parent, hidden, &path)?;
            continue;
        }
        let meta = Meta { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime };
        applier.create(&path, &entry.kind, &meta, entry.data)?;
    }
    applier.finish()
}

/// The state of one layer application.
struct Applier<'t> {
    target: &'t mut dyn LayerTarget,
    /// Every path this layer put in place (and their ancestors): kept by opaque markers.
    created: BTreeSet<String>,
    /// Directories whose metadata is set once the layer is done.
    dirs: Vec<(String, Meta)>,
    stats: ApplyStats,
}

impl Applier<'_> {
    fn whiteout(&mut self, parent: &str, hidden: &str, path: &str) -> Result<(), ApplyError> {
        self.stats.whiteouts += 1;
        if hidden == &OPAQUE_MARKER[WHITEOUT_PREFIX.len()..] {
            if self.lookup(parent)? != Some(NodeType::Dir) {
                return Ok(());
            }
            let names = self.target.list_dir(parent).map_err(|e| target_err("list", parent, e))?;
            for name in names {
                let child = join(parent, &name);
                if !self.created.contains(&child) {
                    self.remove(&child)?;
                }
            }
            return Ok(());
        }
        if hidden.is_empty() || hidden == "." || hidden == ".." {
            return Err(ApplyError::BadWhiteout { path: String::from(path) });
        }
        self.remove(&join(parent, hidden))
    }

    fn create(&mut self, path: &str, kind: &EntryKind, meta: &Meta, data: &[u8]) -> Result<(), ApplyError> {
        let (parent, _) = split(path);
        if self.lookup(parent)? != Some(NodeType::Dir) {
            self.target.mkdir_all(parent).map_err(|e| target_err("mkdir", parent, e))?;
        }
        let existing = self.lookup(path)?;
        let is_dir = *kind == EntryKind::Dir;
        match existing {
            Some(NodeType::Dir) if is_dir => {}
            // Only a directory may stand at the root.
            _ if path == "/" => return Err(ApplyError::UnsafePath { path: String::from(path) }),
            Some(_) => self.remove(path)?,
            None => {}
        }
        let t = &mut *self.target;
        let result = match kind {
            EntryKind::Dir if existing == Some(NodeType::Dir) => Ok(()),
            EntryKind::Dir => t.mkdir(path, meta),
            EntryKind::File => t.write_file(path, meta, data),
            EntryKind::Symlink(target) => t.symlink(path, target, meta),
            EntryKind::HardLink(existing) => {
                let source = normalize(existing).ok_or_else(|| ApplyError::UnsafePath { path: existing.clone() })?;
                t.hard_link(path, &source)
            }
            EntryKind::CharDevice { major, minor } => {
                t.mknod(path, Special::CharDevice { major: *major, minor: *minor }, meta)
            }
            EntryKind::BlockDevice { major, minor } => {
                t.mknod(path, Special::BlockDevice { major: *major, minor: *minor }, meta)
            }
            EntryKind::Fifo => t.mknod(path, Special::Fifo, meta),
        };
        result.map_err(|e| target_err("create", path, e))?;
        if is_dir {
            self.dirs.push((String::from(path), *meta));
        }
        for ancestor in ancestors(path) {
            self.created.insert(String::from(ancestor));
        }
        self.created.insert(String::from(path));
        self.stats.entries += 1;
        Ok(())
    }

    fn finish(self) -> Result<ApplyStats, ApplyError> {
        // Children first, so a read-only parent mode cannot get in the way.
        for (path, meta) in self.dirs.iter().rev() {
            // A later entry may have replaced or removed the directory.
            if self.target.lookup(path).ok().flatten() == Some(NodeType::Dir) {
                self.target.set_meta(path, meta).map_err(|e| target_err("set metadata of", path, e))?;
            }
        }
        Ok(self.stats)
    }

    fn lookup(&self, path: &str) -> Result<Option<NodeType>, ApplyError> {
        self.target.lookup(path).map_err(|e| target_err("lookup", path, e))
    }

    fn remove(&mut self, path: &str) -> Result<(), ApplyError> {
        self.target.remove_all(path).map_err(|e| target_err("remove", path, e))
    }
}

fn target_err(op: &'static str, path: &str, errno: errno::Errno) -> ApplyError {
    ApplyError::Target { op, path: String::from(path), errno }
}
