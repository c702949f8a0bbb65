//! The page cache of file contents for private mappings: executables and
//! MAP_PRIVATE file mmaps map these frames (read-only, or copy-on-write when
//! the mapping is writable) instead of reading and copying the file again.
//!
//! A [`FileImage`] is one file's contents at one moment, read page by page
//! into frames; it never changes afterwards. Images of files whose
//! filesystem gives a content id ([`vfs::Inode::content_id`]: tmpfs, and
//! so every container root) are kept in a global cache under that id, so
//! the next exec of the same bytes (even from another container's snapshot
//! of the same image) finds them: a write, truncate or rename-over changes
//! or replaces the id, which is the invalidation. Files without an id get a
//! private image per exec/mmap.
//!
//! Bounded: at most a quarter of RAM in cached pages (least recently used
//! images go first), and [`shrink`] gives back every image no mapping uses
//! when a frame allocation fails. An image keeps its file (the inode, and so
//! a tmpfs file's data) only while a mapping uses it or it is being looked
//! up: a cached image no one uses lets go of the file ([`trim`],
//! [`release_files`]), so a deleted container's files are freed at once and
//! only the bounded frames stay; a later hit gives the file back. Cached frames are never charged to a
//! container's memory limit; a process pays only for pages it copies.
//! Invariants: a loaded page's frame holds one owner for the image
//! (`frameref`); pages past the end of the file are never loaded; the cache
//! lock is never held while reading a file or allocating a frame.
//! May call: `frameref`, `frame`, the VFS inode.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use errno::{Errno, KResult};
use spin::Mutex;
use vfs::Inode;
use x86_64::structures::paging::PhysFrame;

use super::frameref::{self, PAGE};

const PAGE_U64: u64 = PAGE as u64;

/// A new frame holding the file's page at byte offset `at` (zeros past the
/// end of the file). The frame has one owner, the caller; on an error none
/// is kept. Also serves `filemap`'s shared pages.
pub fn read_page(inode: &dyn Inode, at: u64) -> KResult<PhysFrame> {
    let f = frameref::alloc().ok_or(Errno::ENOMEM)?;
    let bytes = frameref::bytes_mut(f);
    let mut done = 0;
    while done < PAGE {
        match inode.read_at(at + done as u64, &mut bytes[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) => {
                frameref::release(f);
                return Err(e);
            }
        }
    }
    bytes[done..].fill(0);
    Ok(f)
}

/// One file's contents, as frames.
pub struct FileImage {
    /// The file, while anyone but the cache uses the image.
    inode: Mutex<Option<Arc<dyn Inode>>>,
    /// The content id the image stands for (None: not cached).
    id: Option<u64>,
    size: u64,
    pages: Mutex<BTreeMap<u64, PhysFrame>>,
    loaded: AtomicUsize,
}

impl FileImage {
    fn new(inode: &Arc<dyn Inode>, id: Option<u64>, size: u64) -> FileImage {
        FileImage { inode: Mutex::new(Some(inode.clone())), id, size, pages: Mutex::new(BTreeMap::new()), loaded: AtomicUsize::new(0) }
    }

    /// File size when the image was taken.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Reads the pages holding file bytes `[offset, offset+len)` that are
    /// not loaded yet (the part past the end of the file is ignored).
    /// `ESTALE` if the file changed since the image was taken and a page is
    /// missing (the image may not mix two versions).
    pub fn load(&self, offset: u64, len: u64) -> KResult<()> {
        let end = offset.saturating_add(len).min(self.size);
        if offset >= end {
            return Ok(());
        }
        let mut pages = self.pages.lock();
        let (first, last) = (offset / PAGE_U64, end.div_ceil(PAGE_U64));
        if pages.range(first..last).count() as u64 == last - first {
            return Ok(());
        }
        let Some(inode) = self.inode.lock().clone() else { return Err(Errno::ESTALE) };
        if self.id.is_some() && inode.content_id() != self.id {
            return Err(Errno::ESTALE);
        }
        for index in first..last {
            if pages.contains_key(&index) {
                continue;
            }
            let f = read_page(inode.as_ref(), index * PAGE_U64)?;
            pages.insert(index, f);
            self.loaded.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The frame of page `index`, if loaded. The image keeps it alive.
    pub fn frame(&self, index: u64) -> Option<PhysFrame> {
        self.pages.lock().get(&index).copied()
    }

    /// Copies file bytes at `offset` into `buf` (loading them first); returns
    /// how many (fewer at the end of the file).
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> KResult<usize> {
        let end = offset.saturating_add(buf.len() as u64).min(self.size);
        if offset >= end {
            return Ok(0);
        }
        self.load(offset, end - offset)?;
        let mut at = offset;
        while at < end {
            let (index, in_page) = (at / PAGE_U64, (at % PAGE_U64) as usize);
            let n = (PAGE - in_page).min((end - at) as usize);
            let f = self.frame(index).ok_or(Errno::EIO)?;
            let dst = (at - offset) as usize;
            buf[dst..dst + n].copy_from_slice(&frameref::bytes(f)[in_page..in_page + n]);
            at += n as u64;
        }
        Ok((end - offset) as usize)
    }

    fn loaded_pages(&self) -> usize {
        self.loaded.load(Ordering::Relaxed)
    }
}

impl Drop for FileImage {
    fn drop(&mut self) {
        for (_, f) in core::mem::take(&mut *self.pages.lock()) {
            frameref::release(f);
        }
    }
}

struct Entry {
    image: Arc<FileImage>,
    last_use: u64,
}

/// Cached images by content id.
static CACHE: Mutex<BTreeMap<u64, Entry>> = Mutex::new(BTreeMap::new());
static CLOCK: AtomicU64 = AtomicU64::new(0);
static HITS: AtomicU64 = AtomicU64::new(0);
static MISSES: AtomicU64 = AtomicU64::new(0);

/// The image of `inode`'s current contents: the cached one if the file's
/// content id is known, else a new one (cached when it has an id). Pages are
/// loaded by [`FileImage::load`].
pub fn image(inode: &Arc<dyn Inode>) -> KResult<Arc<FileImage>> {
    let now = CLOCK.fetch_add(1, Ordering::Relaxed);
    let id = inode.content_id();
    if let Some(id) = id {
        if let Some(e) = CACHE.lock().get_mut(&id) {
            e.last_use = now;
            HITS.fetch_add(1, Ordering::Relaxed);
            let mut file = e.image.inode.lock();
            if file.is_none() {
                *file = Some(inode.clone());
            }
            drop(file);
            return Ok(e.image.clone());
        }
    }
    MISSES.fetch_add(1, Ordering::Relaxed);
    let image = Arc::new(FileImage::new(inode, id, inode.metadata()?.size));
    if let Some(id) = id {
        CACHE.lock().insert(id, Entry { image: image.clone(), last_use: now });
    }
    trim();
    Ok(image)
}

/// Most pages the cache keeps: a quarter of RAM.
fn cap_pages() -> usize {
    super::frame::counts().0 / 4
}

/// Drops least recently used images while the cache holds more than its
/// cap, and the files of images no one else uses.
pub fn trim() {
    let cap = cap_pages();
    let mut dropped = alloc::vec::Vec::new();
    let mut files = alloc::vec::Vec::new();
    {
        let mut cache = CACHE.lock();
        files.extend(unused_files(&cache));
        let mut total: usize = cache.values().map(|e| e.image.loaded_pages()).sum();
        while total > cap {
            let Some((&id, _)) = cache.iter().min_by_key(|(_, e)| e.last_use) else { break };
            if let Some(e) = cache.remove(&id) {
                total -= e.image.loaded_pages().min(total);
                dropped.push(e.image);
            }
        }
    }
    drop(dropped); // frames and files freed outside the lock
    drop(files);
}

/// Takes the files of the cached images only the cache holds.
fn unused_files(cache: &BTreeMap<u64, Entry>) -> alloc::vec::Vec<Arc<dyn Inode>> {
    cache
        .values()
        .filter(|e| Arc::strong_count(&e.image) == 1)
        .filter_map(|e| e.image.inode.lock().take())
        .collect()
}

/// Lets go of the files of cached images no one uses (a container was
/// deleted: its files are freed now, not when their images leave the cache).
pub fn release_files() {
    let files = unused_files(&CACHE.lock());
    drop(files);
}

/// Gives back every cached image no mapping uses (memory pressure).
/// Returns how many images were dropped.
pub fn shrink() -> usize {
    let dropped: alloc::vec::Vec<Arc<FileImage>> = {
        let Some(mut cache) = CACHE.try_lock() else { return 0 };
        let unused: alloc::vec::Vec<u64> =
            cache.iter().filter(|(_, e)| Arc::strong_count(&e.image) == 1).map(|(&id, _)| id).collect();
        unused.iter().filter_map(|id| cache.remove(id)).map(|e| e.image).collect()
    };
    dropped.len()
}

/// (images cached, pages they hold, hits, misses), for `mem` and tests.
pub fn stats() -> (usize, usize, u64, u64) {
    let cache = CACHE.lock();
    let pages = cache.values().map(|e| e.image.loaded_pages()).sum();
    (cache.len(), pages, HITS.load(Ordering::Relaxed), MISSES.load(Ordering::Relaxed))
}
