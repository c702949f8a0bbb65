//! Shared memory objects behind MAP_SHARED mappings: a file's pages (one
//! frame per page, mapped by every process that maps the file shared), or
//! anonymous shared memory (inherited across fork).
//!
//! Coherence with read()/write(): the frames are the newest bytes of the
//! file's mapped pages. Stores through a mapping reach the file when they
//! are written back: on msync, munmap, when the last mapping goes (exit),
//! before a read() of those bytes ([`before_read`]) and before an exec or a
//! private mapping of the file ([`sync_inode`]). A write() to the file is
//! applied to the frames too ([`wrote`]), a truncate zeroes what lies past
//! the new end ([`truncated`]). Write-back never extends the file.
//! Differences from Linux: a page wholly past the end after a truncate stays
//! mapped where it already was (its stores are dropped) instead of raising
//! SIGBUS; writers inside the kernel that bypass `abi::linux::io` (the host
//! shell's redirections) are not seen by mappings.
//! Invariants: a loaded page's frame holds one owner for the object
//! (`frameref`); the registry holds weak references only, so an object
//! lives exactly as long as a mapping of it; no lock here is held while
//! reading or writing the file.
//! May call: `frameref`, `pagecache::read_page`, the VFS inode, `user::MemLimit`.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use errno::{Errno, KResult};
use spin::Mutex;
use vfs::Inode;
use x86_64::structures::paging::PhysFrame;

use super::frameref::{self, PAGE};
use super::pagecache;
use super::user::MemLimit;

const PAGE_U64: u64 = PAGE as u64;

/// (filesystem id, inode number): which file.
type Key = (u64, u64);

pub struct SharedFile {
    /// None: anonymous shared memory.
    file: Option<(Arc<dyn Inode>, Key)>,
    /// Anonymous pages are charged here (the creator's memory limit).
    charge: Option<Arc<MemLimit>>,
    pages: Mutex<BTreeMap<u64, PhysFrame>>,
    /// Pages some mapping could write: what a write-back copies.
    writable: Mutex<BTreeSet<u64>>,
    _live: crate::live::Live,
}

static REGISTRY: Mutex<BTreeMap<Key, Weak<SharedFile>>> = Mutex::new(BTreeMap::new());
/// Live file objects (the hooks return at once while there are none).
static LIVE: AtomicUsize = AtomicUsize::new(0);

fn key_of(inode: &Arc<dyn Inode>) -> KResult<Key> {
    let fs = inode.fs().map(|f| f.id()).ok_or(Errno::ENODEV)?;
    Ok((fs, inode.metadata()?.ino))
}

/// The shared object of `inode` (the existing one while anyone maps it).
pub fn file(inode: &Arc<dyn Inode>) -> KResult<Arc<SharedFile>> {
    let key = key_of(inode)?;
    let mut registry = REGISTRY.lock();
    if let Some(live) = registry.get(&key).and_then(Weak::upgrade) {
        return Ok(live);
    }
    let object = Arc::new(SharedFile {
        _live: crate::live::Live::new(crate::live::Kind::SharedFile),
        file: Some((inode.clone(), key)),
        charge: None,
        pages: Mutex::new(BTreeMap::new()),
        writable: Mutex::new(BTreeSet::new()),
    });
    registry.insert(key, Arc::downgrade(&object));
    LIVE.fetch_add(1, Ordering::Relaxed);
    Ok(object)
}

/// New anonymous shared memory whose pages are charged to `charge`.
pub fn anonymous(charge: Option<Arc<MemLimit>>) -> Arc<SharedFile> {
    Arc::new(SharedFile { _live: crate::live::Live::new(crate::live::Kind::SharedFile), file: None, charge, pages: Mutex::new(BTreeMap::new()), writable: Mutex::new(BTreeSet::new()) })
}

/// Whether any file is mapped shared (the hooks have work only then).
pub fn any_live() -> bool {
    LIVE.load(Ordering::Relaxed) != 0
}

fn live(inode: &Arc<dyn Inode>) -> Option<Arc<SharedFile>> {
    if LIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let key = key_of(inode).ok()?;
    REGISTRY.lock().get(&key).and_then(Weak::upgrade)
}

impl SharedFile {
    /// The frame of page `index`, read from the file (or zeroed) on first
    /// use; None past the end of the file (SIGBUS for the toucher).
    pub fn frame(&self, index: u64) -> KResult<Option<PhysFrame>> {
        let mut pages = self.pages.lock();
        if let Some(&f) = pages.get(&index) {
            return Ok(Some(f));
        }
        let at = index.checked_mul(PAGE_U64).ok_or(Errno::EFAULT)?;
        if let Some((inode, _)) = &self.file {
            if at >= inode.metadata()?.size {
                return Ok(None);
            }
        }
        if let Some(c) = &self.charge {
            c.charge()?;
        }
        let filled = match &self.file {
            Some((inode, _)) => pagecache::read_page(inode.as_ref(), at),
            None => frameref::alloc().inspect(|&f| frameref::bytes_mut(f).fill(0)).ok_or(Errno::ENOMEM),
        };
        let f = filled.inspect_err(|_| {
            self.charge.as_ref().inspect(|c| c.uncharge());
        })?;
        pages.insert(index, f);
        Ok(Some(f))
    }

    /// Page `index` is mapped writable somewhere: write-backs include it.
    pub fn mark_writable(&self, index: u64) {
        if self.file.is_some() {
            self.writable.lock().insert(index);
        }
    }

    /// Writes pages `[first, end)` that a mapping could have changed back to
    /// the file, never past its current end.
    pub fn write_back(&self, first: u64, end: u64) -> KResult<()> {
        let Some((inode, _)) = &self.file else { return Ok(()) };
        let todo: Vec<(u64, PhysFrame)> = {
            let writable = self.writable.lock();
            if writable.is_empty() {
                return Ok(());
            }
            let pages = self.pages.lock();
            writable.range(first..end).filter_map(|i| Some((*i, *pages.get(i)?))).collect()
        };
        if todo.is_empty() {
            return Ok(());
        }
        let size = inode.metadata()?.size;
        for (index, f) in todo {
            let at = index * PAGE_U64;
            if at >= size {
                continue;
            }
            let n = (size - at).min(PAGE_U64) as usize;
            inode.write_at(at, &frameref::bytes(f)[..n])?;
        }
        Ok(())
    }

    /// Writes back every page (msync of the whole file).
    pub fn write_back_all(&self) -> KResult<()> {
        self.write_back(0, u64::MAX)
    }
}

impl Drop for SharedFile {
    fn drop(&mut self) {
        if let Err(e) = self.write_back_all() {
            log::warn!("shared mapping: write-back failed: {e}");
        }
        let pages = core::mem::take(&mut *self.pages.lock());
        for (_, f) in pages {
            if frameref::release(f) {
                self.charge.as_ref().inspect(|c| c.uncharge());
            }
        }
        if let Some((_, key)) = &self.file {
            let mut registry = REGISTRY.lock();
            if registry.get(key).is_some_and(|w| w.strong_count() == 0) {
                registry.remove(key);
            }
            LIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// read() hook: stores through shared mappings of `inode` in
/// `[offset, offset+len)` reach the file first.
pub fn before_read(inode: &Arc<dyn Inode>, offset: u64, len: u64) {
    if let Some(object) = live(inode) {
        let end = offset.saturating_add(len).div_ceil(PAGE_U64);
        if let Err(e) = object.write_back(offset / PAGE_U64, end) {
            log::warn!("shared mapping: write-back failed: {e}");
        }
    }
}

/// Writes back every shared mapping's stores to `inode` (before exec or a
/// private mapping reads the file).
pub fn sync_inode(inode: &Arc<dyn Inode>) {
    if let Some(object) = live(inode) {
        if let Err(e) = object.write_back_all() {
            log::warn!("shared mapping: write-back failed: {e}");
        }
    }
}

/// write() hook: `data` was written to `inode` at `offset`; the mapped
/// pages show it too.
pub fn wrote(inode: &Arc<dyn Inode>, offset: u64, data: &[u8]) {
    let Some(object) = live(inode) else { return };
    let pages = object.pages.lock();
    let end = offset.saturating_add(data.len() as u64);
    for (&index, &f) in pages.range(offset / PAGE_U64..end.div_ceil(PAGE_U64)) {
        let page_start = index * PAGE_U64;
        let from = offset.max(page_start);
        let to = end.min(page_start + PAGE_U64);
        let src = &data[(from - offset) as usize..(to - offset) as usize];
        let at = (from - page_start) as usize;
        frameref::bytes_mut(f)[at..at + src.len()].copy_from_slice(src);
    }
}

/// truncate hook: what lies past `len` reads as zeros in the mappings.
pub fn truncated(inode: &Arc<dyn Inode>, len: u64) {
    let Some(object) = live(inode) else { return };
    let pages = object.pages.lock();
    for (&index, &f) in pages.range(len / PAGE_U64..) {
        let from = len.saturating_sub(index * PAGE_U64).min(PAGE_U64) as usize;
        frameref::bytes_mut(f)[from..].fill(0);
    }
}
