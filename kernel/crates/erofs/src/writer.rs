//! Writing EROFS images: a [`Tree`] of directories, files, symlinks, device nodes, FIFOs and
//! sockets (with owners, modes, mtimes, hard links and xattrs) laid out as an uncompressed
//! image that Linux, `fsck.erofs` and [`crate::Image`] read.
//!
//! Layout (block size 4096, metadata from block 0 as `mkfs.erofs` does):
//! - block 0: 1024 bytes left free, the superblock (CRC32C-checksummed over the rest of the
//!   block), then the inode area: every inode on a 32-byte slot (nid = offset / 32), the root
//!   first (breadth-first order, so a directory's children sit together), each inode followed
//!   by its inline xattrs and, when it fits in the same block, the tail of its data
//!   (`FLAT_INLINE`); nothing straddles a block boundary;
//! - then the data blocks, in inode order: whole blocks of files, symlinks and directories
//!   (`FLAT_PLAIN` when the tail could not go inline).
//!
//! Inodes are compact (32 bytes) when their mtime is the image's build time (the most common
//! mtime) and their numbers fit 16/32 bits, extended (64 bytes) otherwise. Directory blocks
//! hold `.` and `..` and are sorted bytewise, as the format requires for binary search.
//! The output depends only on the tree and the options (reproducible).

use alloc::borrow::Cow;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use errno::Errno;

use crate::format::*;

const BLKBITS: u32 = 12;
const BLKSZ: usize = 1 << BLKBITS;

/// A node's index in its [`Tree`].
pub type NodeId = usize;

/// Ownership, permission bits (`0o7777`) and modification time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
    pub mtime_nsec: u32,
}

/// What a node is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content<'a> {
    /// Entries by name (bytes; sorted as the image needs them).
    Dir(BTreeMap<Vec<u8>, NodeId>),
    File(Cow<'a, [u8]>),
    Symlink(Vec<u8>),
    CharDevice { major: u32, minor: u32 },
    BlockDevice { major: u32, minor: u32 },
    Fifo,
    Socket,
}

impl Content<'_> {
    fn type_bits(&self) -> u32 {
        match self {
            Content::Dir(_) => 0o040000,
            Content::File(_) => 0o100000,
            Content::Symlink(_) => 0o120000,
            Content::CharDevice { .. } => 0o020000,
            Content::BlockDevice { .. } => 0o060000,
            Content::Fifo => 0o010000,
            Content::Socket => 0o140000,
        }
    }
}

#[derive(Clone, Debug)]
struct Node<'a> {
    meta: Meta,
    content: Content<'a>,
    xattrs: BTreeMap<String, Vec<u8>>,
}

/// Why a tree operation or the image failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// Empty, `.`, `..`, longer than 255 bytes, or holding `/` or NUL.
    BadName(Vec<u8>),
    NotADirectory,
    Exists(Vec<u8>),
    /// Hard links to directories are not allowed.
    LinkToDirectory,
    /// An xattr name without a prefix EROFS can encode (`user.`, `trusted.`, `security.`,
    /// the POSIX ACL names), or a name/value too long.
    BadXattr(String),
    /// The image would exceed a format limit.
    TooLarge(&'static str),
    /// The output failed.
    Output(Errno),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::BadName(n) => write!(f, "bad file name {:?}", String::from_utf8_lossy(n)),
            WriteError::NotADirectory => f.write_str("not a directory"),
            WriteError::Exists(n) => write!(f, "{:?} exists", String::from_utf8_lossy(n)),
            WriteError::LinkToDirectory => f.write_str("hard link to a directory"),
            WriteError::BadXattr(n) => write!(f, "xattr {n:?} cannot be stored in EROFS"),
            WriteError::TooLarge(what) => write!(f, "too large for EROFS: {what}"),
            WriteError::Output(e) => write!(f, "writing the image: {e}"),
        }
    }
}

/// Image-wide settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub uuid: [u8; 16],
    pub volume_name: [u8; 16],
    /// Build time (compact inodes' mtime); `None`: the most common mtime in the tree.
    pub build_time: Option<u64>,
}

/// What [`Tree::write`] produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub inodes: u64,
    pub blocks: u32,
    pub root_nid: u16,
}

/// A directory tree to be written as an image; node 0 is the root directory.
#[derive(Clone, Debug)]
pub struct Tree<'a> {
    nodes: Vec<Node<'a>>,
}

fn check_name(name: &[u8]) -> Result<(), WriteError> {
    if name.is_empty() || name == b"." || name == b".." || name.len() > NAME_LEN || name.iter().any(|&b| b == b'/' || b == 0) {
        return Err(WriteError::BadName(name.to_vec()));
    }
    Ok(())
}

/// The name index and suffix of an xattr name.
fn xattr_index(name: &str) -> Option<(u8, &str)> {
    // Exact names first (the ACL indexes have an empty suffix).
    for (index, prefix) in XATTR_PREFIXES {
        if name == prefix && !prefix.ends_with('.') {
            return Some((index, ""));
        }
    }
    XATTR_PREFIXES
        .iter()
        .filter(|(_, p)| p.ends_with('.'))
        .find_map(|(i, p)| name.strip_prefix(p).filter(|s| !s.is_empty()).map(|s| (*i, s)))
}

impl<'a> Tree<'a> {
    /// A tree holding an empty root directory with `meta`.
    pub fn new(meta: Meta) -> Tree<'a> {
        Tree { nodes: vec![Node { meta, content: Content::Dir(BTreeMap::new()), xattrs: BTreeMap::new() }] }
    }

    pub const ROOT: NodeId = 0;

    fn dir(&self, dir: NodeId) -> Result<&BTreeMap<Vec<u8>, NodeId>, WriteError> {
        match self.nodes.get(dir).map(|n| &n.content) {
            Some(Content::Dir(entries)) => Ok(entries),
            _ => Err(WriteError::NotADirectory),
        }
    }

    fn dir_mut(&mut self, dir: NodeId) -> Result<&mut BTreeMap<Vec<u8>, NodeId>, WriteError> {
        match self.nodes.get_mut(dir).map(|n| &mut n.content) {
            Some(Content::Dir(entries)) => Ok(entries),
            _ => Err(WriteError::NotADirectory),
        }
    }

    /// The node named `name` in directory `dir`.
    pub fn lookup(&self, dir: NodeId, name: &[u8]) -> Option<NodeId> {
        self.dir(dir).ok()?.get(name).copied()
    }

    /// The entries of directory `dir`, sorted by name.
    pub fn entries(&self, dir: NodeId) -> Vec<(Vec<u8>, NodeId)> {
        self.dir(dir).map(|d| d.iter().map(|(n, id)| (n.clone(), *id)).collect()).unwrap_or_default()
    }

    /// Adds a new node `name` to directory `dir`.
    pub fn add(&mut self, dir: NodeId, name: &[u8], meta: Meta, content: Content<'a>) -> Result<NodeId, WriteError> {
        check_name(name)?;
        if self.dir(dir)?.contains_key(name) {
            return Err(WriteError::Exists(name.to_vec()));
        }
        let id = self.nodes.len();
        self.nodes.push(Node { meta, content, xattrs: BTreeMap::new() });
        self.dir_mut(dir)?.insert(name.to_vec(), id);
        Ok(id)
    }

    /// Adds `name` in `dir` as another name of the non-directory `target`.
    pub fn link(&mut self, dir: NodeId, name: &[u8], target: NodeId) -> Result<(), WriteError> {
        check_name(name)?;
        match self.nodes.get(target).map(|n| &n.content) {
            None => return Err(WriteError::NotADirectory),
            Some(Content::Dir(_)) => return Err(WriteError::LinkToDirectory),
            Some(_) => {}
        }
        if self.dir(dir)?.contains_key(name) {
            return Err(WriteError::Exists(name.to_vec()));
        }
        self.dir_mut(dir)?.insert(name.to_vec(), target);
        Ok(())
    }

    /// Removes the entry `name` from `dir` (a directory's whole subtree goes with it).
    pub fn remove(&mut self, dir: NodeId, name: &[u8]) -> Option<NodeId> {
        self.dir_mut(dir).ok()?.remove(name)
    }

    pub fn meta(&self, id: NodeId) -> Option<Meta> {
        self.nodes.get(id).map(|n| n.meta)
    }

    pub fn set_meta(&mut self, id: NodeId, meta: Meta) {
        if let Some(n) = self.nodes.get_mut(id) {
            n.meta = meta;
        }
    }

    pub fn content(&self, id: NodeId) -> Option<&Content<'a>> {
        self.nodes.get(id).map(|n| &n.content)
    }

    pub fn is_dir(&self, id: NodeId) -> bool {
        matches!(self.content(id), Some(Content::Dir(_)))
    }

    /// Sets xattr `name` (checked when the image is written).
    pub fn set_xattr(&mut self, id: NodeId, name: &str, value: &[u8]) {
        if let Some(n) = self.nodes.get_mut(id) {
            n.xattrs.insert(String::from(name), value.to_vec());
        }
    }

    pub fn xattr(&self, id: NodeId, name: &str) -> Option<&[u8]> {
        self.nodes.get(id)?.xattrs.get(name).map(Vec::as_slice)
    }

    /// Writes the image to `out` in order, chunk by chunk.
    pub fn write(&self, options: &Options, out: &mut dyn FnMut(&[u8]) -> Result<(), Errno>) -> Result<Summary, WriteError> {
        let plan = Plan::make(self, options)?;
        plan.emit(self, out)
    }

    /// The image as bytes.
    pub fn to_vec(&self, options: &Options) -> Result<Vec<u8>, WriteError> {
        let mut image = Vec::new();
        self.write(options, &mut |chunk| {
            image.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(image)
    }
}

/// Where each reachable node goes.
struct Slot {
    id: NodeId,
    /// Parent directory (for `..`), for directories.
    parent: NodeId,
    nlink: u64,
    /// Data bytes (directory data encoded later, its size known now).
    data_len: u64,
    xattrs: Vec<u8>,
    extended: bool,
    inline: bool,
    /// Byte offset of the inode.
    pos: u64,
    /// First data block (`FLAT_*` `raw_blkaddr`).
    blkaddr: u32,
}

struct Plan {
    slots: Vec<Slot>,
    /// Node id -> slot index.
    index: BTreeMap<NodeId, usize>,
    build_time: u64,
    meta_end: u64,
    blocks: u32,
    options: Options,
}

/// `(name, nid-slot)` entries of a directory including `.` and `..`, sorted.
fn dir_names<'t>(tree: &'t Tree<'_>, slot: &Slot) -> Vec<(&'t [u8], NodeId)> {
    let mut names: Vec<(&[u8], NodeId)> = vec![(b".", slot.id), (b"..", slot.parent)];
    if let Ok(entries) = tree.dir(slot.id) {
        names.extend(entries.iter().map(|(n, id)| (n.as_slice(), *id)));
    }
    names.sort_by(|a, b| a.0.cmp(b.0));
    names
}

/// Splits sorted directory entries into blocks: each block's entry range and used bytes.
fn dir_blocks(names: &[(&[u8], NodeId)]) -> Vec<(core::ops::Range<usize>, usize)> {
    let mut blocks = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, (name, _)) in names.iter().enumerate() {
        let need = DIRENT_SIZE + name.len();
        if used + need > BLKSZ {
            blocks.push((start..i, used));
            start = i;
            used = 0;
        }
        used += need;
    }
    blocks.push((start..names.len(), used));
    blocks
}

fn encode_xattrs(node: &Node<'_>) -> Result<Vec<u8>, WriteError> {
    if node.xattrs.is_empty() {
        return Ok(Vec::new());
    }
    let mut body = vec![0u8; XATTR_IBODY_HEADER];
    for (name, value) in &node.xattrs {
        let (index, suffix) = xattr_index(name).ok_or_else(|| WriteError::BadXattr(name.clone()))?;
        if suffix.len() > 255 || value.len() > usize::from(u16::MAX) {
            return Err(WriteError::BadXattr(name.clone()));
        }
        let start = body.len();
        body.extend_from_slice(&[suffix.len() as u8, index]);
        body.extend_from_slice(&(value.len() as u16).to_le_bytes());
        body.extend_from_slice(suffix.as_bytes());
        body.extend_from_slice(value);
        body.resize(start + align4(body.len() - start), 0);
    }
    if (body.len() - XATTR_IBODY_HEADER) / 4 + 1 > usize::from(u16::MAX) {
        return Err(WriteError::TooLarge("xattrs of one inode"));
    }
    Ok(body)
}

impl Plan {
    fn make(tree: &Tree<'_>, options: &Options) -> Result<Plan, WriteError> {
        // Breadth-first from the root; every node once; link counts as found.
        let mut slots: Vec<Slot> = Vec::new();
        let mut index: BTreeMap<NodeId, usize> = BTreeMap::new();
        let mut queue = VecDeque::from([(Tree::ROOT, Tree::ROOT)]);
        while let Some((id, parent)) = queue.pop_front() {
            if let Some(&at) = index.get(&id) {
                slots[at].nlink += 1;
                continue;
            }
            let node = &tree.nodes[id];
            index.insert(id, slots.len());
            let mut slot = Slot {
                id,
                parent,
                nlink: 1,
                data_len: 0,
                xattrs: encode_xattrs(node)?,
                extended: false,
                inline: false,
                pos: 0,
                blkaddr: 0,
            };
            match &node.content {
                Content::Dir(entries) => {
                    slot.nlink = 2 + entries.values().filter(|c| tree.is_dir(**c)).count() as u64;
                    for child in entries.values() {
                        queue.push_back((*child, id));
                    }
                }
                Content::File(data) => slot.data_len = data.len() as u64,
                Content::Symlink(target) => slot.data_len = target.len() as u64,
                _ => {}
            }
            slots.push(slot);
        }
        for slot in &mut slots {
            if tree.is_dir(slot.id) {
                let names = dir_names(tree, slot);
                let blocks = dir_blocks(&names);
                slot.data_len = ((blocks.len() - 1) * BLKSZ + blocks.last().map_or(0, |b| b.1)) as u64;
            }
        }
        let build_time = options.build_time.unwrap_or_else(|| {
            let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
            for s in &slots {
                *counts.entry(tree.nodes[s.id].meta.mtime).or_default() += 1;
            }
            counts.into_iter().max_by_key(|(t, n)| (*n, core::cmp::Reverse(*t))).map_or(0, |(t, _)| t)
        });

        // The inode area, from right after the superblock.
        let blksz = BLKSZ as u64;
        let mut pos = SUPER_OFFSET + SUPER_SIZE as u64;
        for slot in &mut slots {
            let m = tree.nodes[slot.id].meta;
            slot.extended = m.mtime != build_time
                || m.mtime_nsec != 0
                || slot.data_len > u64::from(u32::MAX)
                || m.uid > 0xFFFF
                || m.gid > 0xFFFF
                || slot.nlink > 0xFFFF;
            if slot.nlink > u64::from(u32::MAX) {
                return Err(WriteError::TooLarge("link count"));
            }
            let isize = if slot.extended { EXTENDED_INODE_SIZE } else { COMPACT_INODE_SIZE } as u64;
            let head = isize + slot.xattrs.len() as u64;
            if head > blksz {
                return Err(WriteError::TooLarge("xattrs of one inode"));
            }
            let tail = if slot.data_len == 0 { 0 } else { slot.data_len - (slot.data_len.div_ceil(blksz) - 1) * blksz };
            let room = blksz - pos % blksz;
            slot.inline = false;
            if tail > 0 && tail < blksz && head + tail <= blksz {
                if head + tail <= room {
                    slot.inline = true;
                } else if room < blksz - tail {
                    // Padding to the next block wastes less than a data block for the tail.
                    pos += room;
                    slot.inline = true;
                }
            }
            let record = head + if slot.inline { tail } else { 0 };
            if record > blksz - pos % blksz {
                pos = pos.next_multiple_of(blksz);
            }
            slot.pos = pos;
            pos = (pos + record).next_multiple_of(1 << SLOT_BITS);
        }
        let root_nid = slots[0].pos >> SLOT_BITS;
        if root_nid > u64::from(u16::MAX) {
            return Err(WriteError::TooLarge("root inode position"));
        }
        let meta_end = pos.next_multiple_of(blksz);

        // The data blocks.
        let mut next = meta_end / blksz;
        for slot in &mut slots {
            let blocks = slot.data_len.div_ceil(blksz) - u64::from(slot.inline);
            if blocks > 0 {
                slot.blkaddr = u32::try_from(next).map_err(|_| WriteError::TooLarge("block count"))?;
                next += blocks;
            }
        }
        let blocks = u32::try_from(next).map_err(|_| WriteError::TooLarge("block count"))?;
        Ok(Plan { slots, index, build_time, meta_end, blocks, options: *options })
    }

    fn nid(&self, id: NodeId) -> u64 {
        self.index.get(&id).map_or(0, |&i| self.slots[i].pos >> SLOT_BITS)
    }

    /// The data of `slot` (directory data encoded with the final nids).
    fn data<'t>(&self, tree: &'t Tree<'_>, slot: &Slot) -> Cow<'t, [u8]> {
        match &tree.nodes[slot.id].content {
            Content::File(data) => Cow::Borrowed(data.as_ref()),
            Content::Symlink(target) => Cow::Borrowed(target.as_slice()),
            Content::Dir(_) => {
                let names = dir_names(tree, slot);
                let mut out = Vec::with_capacity(slot.data_len as usize);
                let blocks = dir_blocks(&names);
                let last = blocks.len() - 1;
                for (b, (range, used)) in blocks.into_iter().enumerate() {
                    let start = out.len();
                    let count = range.len();
                    let mut nameoff = count * DIRENT_SIZE;
                    for (name, id) in &names[range.clone()] {
                        let ft = file_type_of_mode(tree.nodes[*id].content.type_bits());
                        out.extend_from_slice(&self.nid(*id).to_le_bytes());
                        out.extend_from_slice(&(nameoff as u16).to_le_bytes());
                        out.extend_from_slice(&[ft, 0]);
                        nameoff += name.len();
                    }
                    for (name, _) in &names[range] {
                        out.extend_from_slice(name);
                    }
                    debug_assert_eq!(out.len() - start, used);
                    if b != last {
                        out.resize(start + BLKSZ, 0);
                    }
                }
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(&[]),
        }
    }

    fn encode_inode(&self, tree: &Tree<'_>, seq: usize, slot: &Slot, out: &mut [u8]) {
        let node = &tree.nodes[slot.id];
        let layout = if slot.inline { LAYOUT_FLAT_INLINE } else { LAYOUT_FLAT_PLAIN };
        let mode = (node.content.type_bits() | (node.meta.perm & 0o7777)) as u16;
        let icount = if slot.xattrs.is_empty() { 0 } else { ((slot.xattrs.len() - XATTR_IBODY_HEADER) / 4 + 1) as u16 };
        let i_u = match node.content {
            Content::CharDevice { major, minor } | Content::BlockDevice { major, minor } => encode_dev(major, minor),
            Content::Fifo | Content::Socket => 0,
            _ => slot.blkaddr,
        };
        let m = node.meta;
        let ino = (seq + 1) as u32;
        if slot.extended {
            put16(out, 0, (u16::from(layout) << 1) | I_VERSION_EXTENDED);
            put16(out, 2, icount);
            put16(out, 4, mode);
            put64(out, 8, slot.data_len);
            put32(out, 16, i_u);
            put32(out, 20, ino);
            put32(out, 24, m.uid);
            put32(out, 28, m.gid);
            put64(out, 32, m.mtime);
            put32(out, 40, m.mtime_nsec);
            put32(out, 44, slot.nlink as u32);
        } else {
            put16(out, 0, u16::from(layout) << 1);
            put16(out, 2, icount);
            put16(out, 4, mode);
            put16(out, 6, slot.nlink as u16);
            put32(out, 8, slot.data_len as u32);
            put32(out, 16, i_u);
            put32(out, 20, ino);
            put16(out, 24, m.uid as u16);
            put16(out, 26, m.gid as u16);
        }
    }

    fn emit(&self, tree: &Tree<'_>, out: &mut dyn FnMut(&[u8]) -> Result<(), Errno>) -> Result<Summary, WriteError> {
        let blksz = BLKSZ as u64;
        let mut meta = vec![0u8; self.meta_end as usize];
        let mut datas: Vec<Cow<'_, [u8]>> = Vec::with_capacity(self.slots.len());
        for (seq, slot) in self.slots.iter().enumerate() {
            let at = slot.pos as usize;
            let isize = if slot.extended { EXTENDED_INODE_SIZE } else { COMPACT_INODE_SIZE };
            self.encode_inode(tree, seq, slot, &mut meta[at..at + isize]);
            let x = at + isize;
            meta[x..x + slot.xattrs.len()].copy_from_slice(&slot.xattrs);
            let data = self.data(tree, slot);
            if slot.inline {
                let tail_start = (slot.data_len.div_ceil(blksz) - 1) * blksz;
                let tail = &data[tail_start as usize..];
                let t = x + slot.xattrs.len();
                meta[t..t + tail.len()].copy_from_slice(tail);
            }
            datas.push(data);
        }
        let sb = SuperBlock {
            checksum: 0,
            feature_compat: FEATURE_COMPAT_SB_CHKSUM | FEATURE_COMPAT_MTIME,
            blkszbits: BLKBITS as u8,
            sb_extslots: 0,
            root_nid: (self.slots[0].pos >> SLOT_BITS) as u16,
            inos: self.slots.len() as u64,
            build_time: self.build_time,
            build_time_nsec: 0,
            blocks: self.blocks,
            meta_blkaddr: 0,
            xattr_blkaddr: 0,
            uuid: self.options.uuid,
            volume_name: self.options.volume_name,
            feature_incompat: 0,
            extra_devices: 0,
            dirblkbits: 0,
            xattr_prefix_count: 0,
        };
        let off = SUPER_OFFSET as usize;
        meta[off..off + SUPER_SIZE].copy_from_slice(&sb.encode());
        let crc = super_checksum(&meta[off..BLKSZ]);
        put32(&mut meta, off + 4, crc);
        out(&meta).map_err(WriteError::Output)?;
        let zeros = [0u8; BLKSZ];
        for (slot, data) in self.slots.iter().zip(&datas) {
            let blocks = slot.data_len.div_ceil(blksz) - u64::from(slot.inline);
            if blocks == 0 {
                continue;
            }
            let len = (blocks * blksz).min(slot.data_len) as usize;
            out(&data[..len]).map_err(WriteError::Output)?;
            let pad = (blocks * blksz) as usize - len;
            if pad > 0 {
                out(&zeros[..pad]).map_err(WriteError::Output)?;
            }
        }
        Ok(Summary { inodes: self.slots.len() as u64, blocks: self.blocks, root_nid: sb.root_nid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xattr_names_map_to_indexes() {
        assert_eq!(xattr_index("trusted.overlay.opaque"), Some((4, "overlay.opaque")));
        assert_eq!(xattr_index("user.x"), Some((1, "x")));
        assert_eq!(xattr_index("system.posix_acl_access"), Some((2, "")));
        assert_eq!(xattr_index("security.capability"), Some((6, "capability")));
        assert_eq!(xattr_index("system.other"), None);
        assert_eq!(xattr_index("user."), None);
    }

    #[test]
    fn names_are_checked() {
        let mut t = Tree::new(Meta::default());
        for bad in [&b""[..], b".", b"..", b"a/b", b"a\0"] {
            assert!(matches!(t.add(Tree::ROOT, bad, Meta::default(), Content::Fifo), Err(WriteError::BadName(_))));
        }
        let long = vec![b'x'; 256];
        assert!(t.add(Tree::ROOT, &long, Meta::default(), Content::Fifo).is_err());
        let f = t.add(Tree::ROOT, b"f", Meta::default(), Content::Fifo).unwrap();
        assert_eq!(t.add(Tree::ROOT, b"f", Meta::default(), Content::Fifo), Err(WriteError::Exists(b"f".to_vec())));
        assert_eq!(t.add(f, b"x", Meta::default(), Content::Fifo), Err(WriteError::NotADirectory));
        let d = t.add(Tree::ROOT, b"d", Meta::default(), Content::Dir(BTreeMap::new())).unwrap();
        assert_eq!(t.link(Tree::ROOT, b"l", d), Err(WriteError::LinkToDirectory));
    }
}
