//! Reading an EROFS image through a [`Backing`] store, lazily: mounting reads the
//! superblock only; an inode, a directory block or file data is read when asked for.
//!
//! Every offset is computed with checked arithmetic and checked against the image's size
//! (the superblock's block count, itself checked against the store's size at mount), so
//! a corrupt image gives an [`Error`], never a panic or a read outside the image; every
//! loop is bounded by a size read from the image (blocks of a directory, entries of a
//! block, xattr entries of an inode).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use errno::{Errno, KResult};
use spin::Mutex;

use crate::format::*;

/// Where an image's bytes come from (a file of another filesystem, memory, ...).
pub trait Backing: Send + Sync {
    /// Size in bytes.
    fn size(&self) -> u64;
    /// Fills `buf` from `offset`; the caller stays within [`Backing::size`].
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KResult<()>;
}

impl Backing for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> KResult<()> {
        let start = usize::try_from(offset).map_err(|_| Errno::EIO)?;
        let end = start.checked_add(buf.len()).ok_or(Errno::EIO)?;
        buf.copy_from_slice(self.get(start..end).ok_or(Errno::EIO)?);
        Ok(())
    }
}

/// Why an image or a part of it cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The store failed.
    Io(Errno),
    /// No EROFS superblock (wrong magic, or too short to hold one).
    NotErofs,
    /// The superblock's CRC32C does not match its contents.
    BadChecksum { stored: u32, computed: u32 },
    /// The superblock claims more blocks than the store holds.
    Truncated { needed: u64, size: u64 },
    /// A feature this reader does not implement (compression, extra devices, ...).
    Unsupported(String),
    /// Inconsistent metadata.
    Corrupt { nid: Option<u64>, what: &'static str },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "read error: {e}"),
            Error::NotErofs => f.write_str("not an EROFS image (no superblock magic)"),
            Error::BadChecksum { stored, computed } => {
                write!(f, "superblock checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")
            }
            Error::Truncated { needed, size } => {
                write!(f, "image truncated: the superblock needs {needed} bytes, the file has {size}")
            }
            Error::Unsupported(what) => write!(f, "unsupported EROFS feature: {what}"),
            Error::Corrupt { nid: Some(nid), what } => write!(f, "corrupt image: inode {nid}: {what}"),
            Error::Corrupt { nid: None, what } => write!(f, "corrupt image: {what}"),
        }
    }
}

impl From<Error> for Errno {
    /// Linux's choices: `EBADMSG` for a bad checksum, `EFSCORRUPTED` (`EUCLEAN`) for bad
    /// metadata, `EOPNOTSUPP` for unknown features.
    fn from(e: Error) -> Errno {
        match e {
            Error::Io(e) => e,
            Error::BadChecksum { .. } => Errno::EBADMSG,
            Error::Unsupported(_) => Errno::EOPNOTSUPP,
            Error::NotErofs | Error::Truncated { .. } | Error::Corrupt { .. } => Errno::EUCLEAN,
        }
    }
}

pub type Result<T> = core::result::Result<T, Error>;

fn corrupt(nid: u64, what: &'static str) -> Error {
    Error::Corrupt { nid: Some(nid), what }
}

/// One parsed on-disk inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inode {
    pub nid: u64,
    /// Full `st_mode` (type and permission bits).
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime: u64,
    pub mtime_nsec: u32,
    /// (major, minor) of a device node.
    pub rdev: (u32, u32),
    pub layout: u8,
    /// The inode's `i_u` (block address, device number or chunk format).
    raw: u32,
    /// Byte offset of the inode in the image.
    pos: u64,
    /// 32 or 64.
    inode_size: u8,
    xattr_size: u32,
}

impl Inode {
    pub fn is_dir(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & 0o170000 == 0o120000
    }

    pub fn is_regular(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }

    /// Whether the inode's data is stored in blocks or inline (not compressed).
    fn has_data_layout(&self) -> bool {
        matches!(self.mode & 0o170000, 0o100000 | 0o040000 | 0o120000)
    }

    /// Where inline data (or chunk indexes) would start: after the inode and its xattrs.
    fn after_xattrs(&self) -> u64 {
        self.pos + u64::from(self.inode_size) + u64::from(self.xattr_size)
    }
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: Vec<u8>,
    pub nid: u64,
    pub file_type: u8,
}

/// Parsed inodes kept per image (each well under 100 bytes).
const INODE_CACHE: usize = 4096;
/// Directory blocks kept per image (at most a block each: 1 MiB with 4 KiB blocks).
const DIR_BLOCK_CACHE: usize = 256;

/// A bounded map keeping what was used recently: entries live in a hot generation; when it
/// fills up it becomes the cold one (the old cold one is dropped), and a cold entry used
/// again moves back to the hot one. O(log n) per operation.
struct Recent<K, V> {
    hot: BTreeMap<K, V>,
    cold: BTreeMap<K, V>,
    capacity: usize,
}

impl<K: Ord + Copy, V: Clone> Recent<K, V> {
    const fn new(capacity: usize) -> Recent<K, V> {
        Recent { hot: BTreeMap::new(), cold: BTreeMap::new(), capacity }
    }

    fn get(&mut self, key: &K) -> Option<V> {
        if let Some(v) = self.hot.get(key) {
            return Some(v.clone());
        }
        let v = self.cold.remove(key)?;
        self.put(*key, v.clone());
        Some(v)
    }

    fn put(&mut self, key: K, value: V) {
        if self.hot.len() >= self.capacity / 2 {
            self.cold = core::mem::take(&mut self.hot);
        }
        self.hot.insert(key, value);
    }
}

/// An opened image. Parsed inodes and directory blocks are cached (bounded): the image never
/// changes, so a cached copy is always what a new read would give.
pub struct Image {
    dev: Arc<dyn Backing>,
    sb: SuperBlock,
    blkbits: u32,
    /// Bytes of the image (`blocks << blkbits`), all within the store.
    len: u64,
    inodes: Mutex<Recent<u64, Inode>>,
    dir_blocks: Mutex<Recent<(u64, u64), Arc<DirBlock>>>,
}

/// A directory block read into memory.
struct DirBlock {
    buf: Vec<u8>,
    count: usize,
}

impl DirBlock {
    fn parse(nid: u64, buf: Vec<u8>) -> Result<DirBlock> {
        if buf.len() < DIRENT_SIZE {
            return Err(corrupt(nid, "directory block shorter than one entry"));
        }
        let first = usize::from(le16(&buf, 8));
        if first < DIRENT_SIZE || first % DIRENT_SIZE != 0 || first > buf.len() {
            return Err(corrupt(nid, "bad first name offset in a directory block"));
        }
        Ok(DirBlock { count: first / DIRENT_SIZE, buf })
    }

    /// Entry `i` (`i < count`): name, nid, file type.
    fn entry(&self, dir: u64, i: usize) -> Result<(&[u8], u64, u8)> {
        let at = i * DIRENT_SIZE;
        let start = usize::from(le16(&self.buf, at + 8));
        let end = if i + 1 < self.count { usize::from(le16(&self.buf, at + DIRENT_SIZE + 8)) } else { self.buf.len() };
        if start < self.count * DIRENT_SIZE || start > end || end > self.buf.len() {
            return Err(corrupt(dir, "bad name offset in a directory block"));
        }
        let mut name = &self.buf[start..end];
        if i + 1 == self.count {
            // The last name runs to the end of the block, possibly padded with NULs.
            let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            name = &name[..len];
        }
        if name.is_empty() || name.len() > NAME_LEN {
            return Err(corrupt(dir, "bad name length in a directory block"));
        }
        Ok((name, le64(&self.buf, at), self.buf[at + 10]))
    }
}

impl Image {
    /// Opens the image in `dev`: checks the magic, the superblock checksum (when the image
    /// has one), the features and that the store holds every block the superblock claims.
    pub fn open(dev: Arc<dyn Backing>) -> Result<Image> {
        let size = dev.size();
        if size < SUPER_OFFSET + SUPER_SIZE as u64 {
            return Err(Error::NotErofs);
        }
        let mut raw = [0u8; SUPER_SIZE];
        dev.read_at(SUPER_OFFSET, &mut raw).map_err(Error::Io)?;
        let sb = SuperBlock::parse(&raw).ok_or(Error::NotErofs)?;
        if !(9..=16).contains(&sb.blkszbits) {
            return Err(Error::Unsupported(format!("block size 2^{}", sb.blkszbits)));
        }
        let blkbits = u32::from(sb.blkszbits);
        let blksz = 1u64 << blkbits;
        if blksz <= SUPER_OFFSET + SUPER_SIZE as u64 && sb.feature_compat & FEATURE_COMPAT_SB_CHKSUM != 0 {
            return Err(Error::Unsupported(format!("superblock checksum with block size {blksz}")));
        }
        if sb.feature_compat & FEATURE_COMPAT_SB_CHKSUM != 0 {
            if size < blksz {
                return Err(Error::Truncated { needed: blksz, size });
            }
            let mut tail = vec![0u8; (blksz - SUPER_OFFSET) as usize];
            dev.read_at(SUPER_OFFSET, &mut tail).map_err(Error::Io)?;
            let computed = super_checksum(&tail);
            if computed != sb.checksum {
                return Err(Error::BadChecksum { stored: sb.checksum, computed });
            }
        }
        let unknown = sb.feature_incompat & !SUPPORTED_INCOMPAT;
        if unknown != 0 {
            return Err(Error::Unsupported(format!("incompatible features {unknown:#x}")));
        }
        if sb.extra_devices != 0 {
            return Err(Error::Unsupported(format!("{} extra devices", sb.extra_devices)));
        }
        if sb.dirblkbits != 0 {
            return Err(Error::Unsupported(format!("directory block bits {}", sb.dirblkbits)));
        }
        let len = u64::from(sb.blocks) << blkbits;
        if len > size {
            return Err(Error::Truncated { needed: len, size });
        }
        if len < SUPER_OFFSET + SUPER_SIZE as u64 {
            return Err(Error::Corrupt { nid: None, what: "block count smaller than the superblock" });
        }
        Ok(Image { dev, sb, blkbits, len, inodes: Mutex::new(Recent::new(INODE_CACHE)), dir_blocks: Mutex::new(Recent::new(DIR_BLOCK_CACHE)) })
    }

    pub fn superblock(&self) -> &SuperBlock {
        &self.sb
    }

    pub fn block_size(&self) -> u64 {
        1 << self.blkbits
    }

    /// Bytes the image occupies.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn root_nid(&self) -> u64 {
        u64::from(self.sb.root_nid)
    }

    /// Reads `buf.len()` bytes at `offset`, which must lie within the image.
    fn read_exact(&self, nid: Option<u64>, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|end| end > self.len) {
            return Err(Error::Corrupt { nid, what: "reference past the end of the image" });
        }
        self.dev.read_at(offset, buf).map_err(Error::Io)
    }

    /// Reads and checks the inode `nid`.
    pub fn inode(&self, nid: u64) -> Result<Inode> {
        if let Some(inode) = self.inodes.lock().get(&nid) {
            return Ok(inode);
        }
        let inode = self.read_inode(nid)?;
        self.inodes.lock().put(nid, inode.clone());
        Ok(inode)
    }

    fn read_inode(&self, nid: u64) -> Result<Inode> {
        let meta = u64::from(self.sb.meta_blkaddr) << self.blkbits;
        let pos = nid
            .checked_mul(1 << SLOT_BITS)
            .and_then(|o| o.checked_add(meta))
            .filter(|p| p.checked_add(COMPACT_INODE_SIZE as u64).is_some_and(|e| e <= self.len))
            .ok_or_else(|| corrupt(nid, "inode number outside the image"))?;
        let mut b = [0u8; EXTENDED_INODE_SIZE];
        let avail = (self.len - pos).min(EXTENDED_INODE_SIZE as u64) as usize;
        self.read_exact(Some(nid), pos, &mut b[..avail])?;
        let format = le16(&b, 0);
        if format & !I_ALL != 0 {
            return Err(Error::Unsupported(format!("inode {nid}: i_format {format:#x}")));
        }
        let layout = ((format >> 1) & 7) as u8;
        if layout > LAYOUT_CHUNK_BASED {
            return Err(Error::Unsupported(format!("inode {nid}: data layout {layout}")));
        }
        let icount = le16(&b, 2);
        let mode = u32::from(le16(&b, 4));
        let mut inode = if format & I_VERSION_EXTENDED != 0 {
            if avail < EXTENDED_INODE_SIZE {
                return Err(corrupt(nid, "extended inode past the end of the image"));
            }
            Inode {
                nid,
                mode,
                nlink: le32(&b, 44),
                uid: le32(&b, 24),
                gid: le32(&b, 28),
                size: le64(&b, 8),
                mtime: le64(&b, 32),
                mtime_nsec: le32(&b, 40),
                rdev: (0, 0),
                layout,
                raw: le32(&b, 16),
                pos,
                inode_size: EXTENDED_INODE_SIZE as u8,
                xattr_size: xattr_ibody_size(icount) as u32,
            }
        } else {
            Inode {
                nid,
                mode,
                nlink: u32::from(le16(&b, 6)),
                uid: u32::from(le16(&b, 24)),
                gid: u32::from(le16(&b, 26)),
                size: u64::from(le32(&b, 8)),
                mtime: self.sb.build_time,
                mtime_nsec: self.sb.build_time_nsec,
                rdev: (0, 0),
                layout,
                raw: le32(&b, 16),
                pos,
                inode_size: COMPACT_INODE_SIZE as u8,
                xattr_size: xattr_ibody_size(icount) as u32,
            }
        };
        match mode & 0o170000 {
            0o100000 | 0o040000 | 0o120000 => {}
            0o020000 | 0o060000 => inode.rdev = decode_dev(inode.raw),
            0o010000 | 0o140000 => {}
            _ => return Err(corrupt(nid, "bad file type in i_mode")),
        }
        if inode.mtime_nsec >= 1_000_000_000 {
            return Err(corrupt(nid, "nanoseconds out of range"));
        }
        if inode.after_xattrs() > self.len {
            return Err(corrupt(nid, "xattrs past the end of the image"));
        }
        if inode.is_symlink() && inode.size >= 4096 {
            return Err(corrupt(nid, "symlink target too long"));
        }
        if !inode.has_data_layout() {
            return Ok(inode);
        }
        self.check_layout(&inode)?;
        Ok(inode)
    }

    /// Checks that the inode's data lies within the image.
    fn check_layout(&self, inode: &Inode) -> Result<()> {
        let nid = inode.nid;
        let blksz = self.block_size();
        let blocks = inode.size.div_ceil(blksz);
        let outside = || corrupt(nid, "data outside the image");
        match inode.layout {
            LAYOUT_FLAT_PLAIN | LAYOUT_FLAT_INLINE => {
                let in_blocks = if inode.layout == LAYOUT_FLAT_INLINE { blocks.saturating_sub(1) } else { blocks };
                if in_blocks > 0 {
                    let end = u64::from(inode.raw).checked_add(in_blocks).ok_or_else(outside)?;
                    if end.checked_shl(self.blkbits).is_none_or(|e| e > self.len) || end > u64::from(u32::MAX) + 1 {
                        return Err(outside());
                    }
                }
                if inode.layout == LAYOUT_FLAT_INLINE && blocks > 0 {
                    let tail = inode.size - (blocks - 1) * blksz;
                    let at = inode.after_xattrs();
                    if (at & (blksz - 1)) + tail > blksz {
                        return Err(corrupt(nid, "inline data crosses a block boundary"));
                    }
                    if at + tail > self.len {
                        return Err(outside());
                    }
                }
                Ok(())
            }
            LAYOUT_CHUNK_BASED => {
                let format = inode.raw as u16;
                if u32::from(format) != inode.raw & 0xFFFF || format & !(CHUNK_FORMAT_BLKBITS_MASK | CHUNK_FORMAT_INDEXES) != 0 {
                    return Err(Error::Unsupported(format!("inode {nid}: chunk format {:#x}", inode.raw)));
                }
                let bits = self.blkbits + u32::from(format & CHUNK_FORMAT_BLKBITS_MASK);
                if bits > 48 {
                    return Err(corrupt(nid, "chunk size too large"));
                }
                let chunks = inode.size.div_ceil(1 << bits);
                let unit = if format & CHUNK_FORMAT_INDEXES != 0 { 8 } else { 4 };
                let start = inode.after_xattrs().next_multiple_of(unit);
                let end = chunks.checked_mul(unit).and_then(|n| n.checked_add(start)).ok_or_else(outside)?;
                if end > self.len {
                    return Err(corrupt(nid, "chunk indexes outside the image"));
                }
                Ok(())
            }
            _ => Ok(()), // compressed: readable metadata, data refused on read
        }
    }

    /// Where the file bytes at `offset` are: `(Some(image offset) or None for a hole,
    /// how many bytes from there on are contiguous)`; `offset < size`.
    fn map(&self, inode: &Inode, offset: u64) -> Result<(Option<u64>, u64)> {
        let blksz = self.block_size();
        let left = inode.size - offset;
        match inode.layout {
            LAYOUT_FLAT_PLAIN => Ok((Some((u64::from(inode.raw) << self.blkbits) + offset), left)),
            LAYOUT_FLAT_INLINE => {
                let in_blocks = (inode.size.div_ceil(blksz) - 1) * blksz;
                if offset < in_blocks {
                    Ok((Some((u64::from(inode.raw) << self.blkbits) + offset), in_blocks - offset))
                } else {
                    Ok((Some(inode.after_xattrs() + (offset - in_blocks)), left))
                }
            }
            LAYOUT_CHUNK_BASED => {
                let format = inode.raw as u16;
                let bits = self.blkbits + u32::from(format & CHUNK_FORMAT_BLKBITS_MASK);
                let chunk = offset >> bits;
                let within = offset & ((1 << bits) - 1);
                let run = ((1u64 << bits) - within).min(left);
                let indexes = format & CHUNK_FORMAT_INDEXES != 0;
                let unit = if indexes { 8 } else { 4 };
                let at = inode.after_xattrs().next_multiple_of(unit) + chunk * unit;
                let mut e = [0u8; 8];
                self.read_exact(Some(inode.nid), at, &mut e[..unit as usize])?;
                let addr = if indexes {
                    if le16(&e, 2) != 0 {
                        return Err(Error::Unsupported(format!("inode {}: chunk on an extra device", inode.nid)));
                    }
                    le32(&e, 4)
                } else {
                    le32(&e, 0)
                };
                if addr == NULL_ADDR {
                    return Ok((None, run));
                }
                Ok((Some((u64::from(addr) << self.blkbits) + within), run))
            }
            other => Err(Error::Unsupported(format!("inode {}: compressed data (layout {other})", inode.nid))),
        }
    }

    /// Reads file data at `offset` into `buf`; returns the bytes read (0 at or past the end).
    pub fn read(&self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if !inode.has_data_layout() {
            return Ok(0);
        }
        if offset >= inode.size {
            return Ok(0);
        }
        let total = (inode.size - offset).min(buf.len() as u64) as usize;
        let mut done = 0;
        while done < total {
            let (at, run) = self.map(inode, offset + done as u64)?;
            let n = run.min((total - done) as u64) as usize;
            if n == 0 {
                return Err(corrupt(inode.nid, "empty data mapping"));
            }
            match at {
                Some(at) => self.read_exact(Some(inode.nid), at, &mut buf[done..done + n])?,
                None => buf[done..done + n].fill(0),
            }
            done += n;
        }
        Ok(total)
    }

    /// A symlink's target.
    pub fn readlink(&self, inode: &Inode) -> Result<Vec<u8>> {
        let mut target = vec![0u8; inode.size as usize];
        let n = self.read(inode, 0, &mut target)?;
        target.truncate(n);
        Ok(target)
    }

    fn dir_blocks(&self, dir: &Inode) -> u64 {
        dir.size.div_ceil(self.block_size())
    }

    fn dir_block(&self, dir: &Inode, block: u64) -> Result<Arc<DirBlock>> {
        let key = (dir.nid, block);
        if let Some(b) = self.dir_blocks.lock().get(&key) {
            return Ok(b);
        }
        let b = Arc::new(self.read_dir_block(dir, block)?);
        self.dir_blocks.lock().put(key, b.clone());
        Ok(b)
    }

    fn read_dir_block(&self, dir: &Inode, block: u64) -> Result<DirBlock> {
        let blksz = self.block_size();
        let start = block * blksz;
        let len = (dir.size - start).min(blksz) as usize;
        let mut buf = vec![0u8; len];
        let n = self.read(dir, start, &mut buf)?;
        if n != len {
            return Err(corrupt(dir.nid, "short directory block"));
        }
        DirBlock::parse(dir.nid, buf)
    }

    /// Finds `name` in directory `dir`: binary search over the blocks by their first name,
    /// then within the block (entries are sorted bytewise).
    pub fn lookup(&self, dir: &Inode, name: &[u8]) -> Result<Option<DirEntry>> {
        if !dir.is_dir() {
            return Err(corrupt(dir.nid, "lookup in a non-directory"));
        }
        let blocks = self.dir_blocks(dir);
        if blocks == 0 {
            return Ok(None);
        }
        let (mut lo, mut hi) = (0u64, blocks);
        let mut found = None;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let block = self.dir_block(dir, mid)?;
            let (first, nid, ft) = block.entry(dir.nid, 0)?;
            match first.cmp(name) {
                core::cmp::Ordering::Equal => {
                    return Ok(Some(DirEntry { name: name.to_vec(), nid, file_type: ft }));
                }
                core::cmp::Ordering::Less => {
                    lo = mid;
                    found = Some(block);
                }
                core::cmp::Ordering::Greater => hi = mid,
            }
        }
        let block = match found {
            Some(b) => b,
            None => self.dir_block(dir, lo)?,
        };
        let (mut a, mut b) = (0usize, block.count);
        while a < b {
            let mid = a + (b - a) / 2;
            let (n, nid, ft) = block.entry(dir.nid, mid)?;
            match n.cmp(name) {
                core::cmp::Ordering::Equal => return Ok(Some(DirEntry { name: name.to_vec(), nid, file_type: ft })),
                core::cmp::Ordering::Less => a = mid + 1,
                core::cmp::Ordering::Greater => b = mid,
            }
        }
        Ok(None)
    }

    /// The entry at position `cookie` of directory `dir` (0 starts; `.` and `..` included)
    /// and the cookie of the next one; `None` at the end. Cookies are byte offsets of
    /// entries in the directory's data.
    pub fn readdir(&self, dir: &Inode, cookie: u64) -> Result<Option<(DirEntry, u64)>> {
        if !dir.is_dir() {
            return Err(corrupt(dir.nid, "readdir of a non-directory"));
        }
        let blksz = self.block_size();
        let blocks = self.dir_blocks(dir);
        let mut block = cookie >> self.blkbits;
        let mut index = ((cookie & (blksz - 1)) / DIRENT_SIZE as u64) as usize;
        while block < blocks {
            let b = self.dir_block(dir, block)?;
            if index < b.count {
                let (name, nid, file_type) = b.entry(dir.nid, index)?;
                let next =
                    if index + 1 < b.count { (block << self.blkbits) + ((index + 1) * DIRENT_SIZE) as u64 } else { (block + 1) << self.blkbits };
                return Ok(Some((DirEntry { name: name.to_vec(), nid, file_type }, next)));
            }
            block += 1;
            index = 0;
        }
        Ok(None)
    }

    /// Every extended attribute of `inode` (full names such as `trusted.overlay.opaque`);
    /// entries with name indexes this reader does not know are skipped.
    pub fn xattrs(&self, inode: &Inode) -> Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        let size = inode.xattr_size as usize;
        if size == 0 {
            return Ok(out);
        }
        if size < XATTR_IBODY_HEADER {
            return Err(corrupt(inode.nid, "xattr area too small"));
        }
        let mut body = vec![0u8; size];
        self.read_exact(Some(inode.nid), inode.pos + u64::from(inode.inode_size), &mut body)?;
        let shared = usize::from(body[4]);
        let mut at = XATTR_IBODY_HEADER + 4 * shared;
        if at > size {
            return Err(corrupt(inode.nid, "too many shared xattrs"));
        }
        for i in 0..shared {
            let id = u64::from(le32(&body, XATTR_IBODY_HEADER + 4 * i));
            let pos = (u64::from(self.sb.xattr_blkaddr) << self.blkbits) + 4 * id;
            let mut head = [0u8; XATTR_ENTRY_HEADER];
            self.read_exact(Some(inode.nid), pos, &mut head)?;
            let len = usize::from(head[0]) + usize::from(le16(&head, 2));
            let mut rest = vec![0u8; len];
            self.read_exact(Some(inode.nid), pos + XATTR_ENTRY_HEADER as u64, &mut rest)?;
            push_xattr(&mut out, head[1], &rest, usize::from(head[0]));
        }
        while at + XATTR_ENTRY_HEADER <= size {
            let name_len = usize::from(body[at]);
            let index = body[at + 1];
            let value_len = usize::from(le16(&body, at + 2));
            let end = at + XATTR_ENTRY_HEADER + name_len + value_len;
            if end > size {
                return Err(corrupt(inode.nid, "xattr entry past its area"));
            }
            push_xattr(&mut out, index, &body[at + XATTR_ENTRY_HEADER..end], name_len);
            at = align4(end);
        }
        Ok(out)
    }

    /// The value of xattr `name`, if present.
    pub fn xattr(&self, inode: &Inode, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.xattrs(inode)?.into_iter().find(|(n, _)| n == name).map(|(_, v)| v))
    }
}

fn push_xattr(out: &mut Vec<(String, Vec<u8>)>, index: u8, bytes: &[u8], name_len: usize) {
    if index & XATTR_LONG_PREFIX != 0 {
        return;
    }
    let Some((_, prefix)) = XATTR_PREFIXES.iter().find(|(i, _)| *i == index) else { return };
    let Ok(suffix) = core::str::from_utf8(&bytes[..name_len]) else { return };
    let mut name = String::from(*prefix);
    name.push_str(suffix);
    out.push((name, bytes[name_len..].to_vec()));
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn recent_keeps_what_is_used_and_stays_bounded() {
        let mut r: Recent<u32, u32> = Recent::new(8);
        for i in 0..4 {
            r.put(i, i * 10);
        }
        // 0..4 rotate to the cold generation as 4..8 arrive; 0 used again comes back.
        for i in 4..8 {
            r.put(i, i * 10);
        }
        assert_eq!(r.get(&0), Some(0));
        for i in 8..20 {
            r.put(i, i);
            assert!(r.hot.len() + r.cold.len() <= 8);
        }
        assert_eq!(r.get(&1), None, "old entries go");
        assert_eq!(r.get(&19), Some(19));
    }
}
