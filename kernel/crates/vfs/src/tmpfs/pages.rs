//! File contents as sparse 4 KiB pages: holes read as zeros and cost nothing.
//! Pages are reference-counted so a [`PagedData::share`] copy (a tmpfs
//! snapshot) costs no page copies; a page is copied on its first write while
//! shared (per-page copy-on-write), so writing one byte of a shared 2 MB file
//! copies 4 KiB.
//!
//! Invariants: every page is exactly `PAGE_SIZE` bytes; every byte at or past
//! `size` in an allocated page is zero, so growing the file (by truncate or a
//! write past the end) exposes zeros; a page is only ever modified through a
//! unique reference; `id` names the contents: a fresh one on every change,
//! kept by a [`PagedData::share`] copy until either side changes.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use errno::{Errno, KResult};

use crate::types::MAX_FILE_SIZE;

/// Page size of file data.
pub const PAGE_SIZE: usize = 4096;
const PAGE: u64 = PAGE_SIZE as u64;

/// One page of data; shared between snapshots until written.
type Page = Arc<[u8]>;

static ZERO_PAGE: [u8; PAGE_SIZE] = [0; PAGE_SIZE];

/// A content id never handed out before (unique across every tmpfs instance).
fn fresh_id() -> u64 {
    crate::node::alloc_content_ids(1)
}

/// Sparse file data.
pub struct PagedData {
    pages: BTreeMap<u64, Page>,
    size: u64,
    id: u64,
}

impl Default for PagedData {
    fn default() -> PagedData {
        PagedData { pages: BTreeMap::new(), size: 0, id: fresh_id() }
    }
}

impl PagedData {
    /// A copy sharing every page with `self` (no data is copied).
    pub fn share(&self) -> PagedData {
        PagedData { pages: self.pages.clone(), size: self.size, id: self.id }
    }

    /// The id of the current contents ([`crate::Inode::content_id`]).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// How many pages `self` and `other` share (the same memory).
    #[cfg(test)]
    pub fn pages_shared_with(&self, other: &PagedData) -> u64 {
        self.pages.iter().filter(|(i, p)| other.pages.get(i).is_some_and(|q| Arc::ptr_eq(p, q))).count() as u64
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Pages allocated.
    pub fn page_count(&self) -> u64 {
        self.pages.len() as u64
    }

    /// Copies bytes at `offset` into `buf`; returns how many (0 at the end).
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        let Some(available) = self.size.checked_sub(offset) else { return 0 };
        let total = usize::try_from(available).map_or(buf.len(), |a| a.min(buf.len()));
        // Slices below stay in bounds: `chunk <= PAGE_SIZE - in_page` and
        // `done + chunk <= total <= buf.len()`.
        let mut done = 0;
        while done < total {
            // `offset + done` stays below `size`, so no overflow.
            let pos = offset + done as u64;
            let in_page = (pos % PAGE) as usize;
            let chunk = (PAGE_SIZE - in_page).min(total - done);
            let dst = &mut buf[done..done + chunk];
            match self.pages.get(&(pos / PAGE)) {
                Some(page) => dst.copy_from_slice(&page[in_page..in_page + chunk]),
                None => dst.fill(0),
            }
            done += chunk;
        }
        total
    }

    /// Writes `data` at `offset`. `reserve_page` is asked before each new
    /// page is allocated and returns false when the space limit is reached;
    /// the write then stops short. A shared page is copied first (no new
    /// charge: the file's page count does not change) and `copied` is told.
    /// `EFBIG` past the maximum file size, `ENOSPC` if nothing could be written.
    pub fn write(
        &mut self,
        offset: u64,
        data: &[u8],
        mut reserve_page: impl FnMut() -> bool,
        mut copied: impl FnMut(),
    ) -> KResult<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let room = MAX_FILE_SIZE - offset;
        let total = usize::try_from(room).map_or(data.len(), |r| r.min(data.len()));
        // As in `read`: slices stay in bounds and `offset + done < MAX_FILE_SIZE`.
        let mut done = 0;
        while done < total {
            let pos = offset + done as u64;
            let index = pos / PAGE;
            let in_page = (pos % PAGE) as usize;
            let chunk = (PAGE_SIZE - in_page).min(total - done);
            if !self.pages.contains_key(&index) {
                if !reserve_page() {
                    break;
                }
                self.pages.insert(index, Arc::from(&ZERO_PAGE[..]));
            }
            if let Some(page) = self.pages.get_mut(&index) {
                unique(page, &mut copied)[in_page..in_page + chunk].copy_from_slice(&data[done..done + chunk]);
            }
            done += chunk;
        }
        if done == 0 {
            return Err(Errno::ENOSPC);
        }
        self.id = fresh_id();
        self.size = self.size.max(offset + done as u64);
        Ok(done)
    }

    /// Sets the size (at most `MAX_FILE_SIZE`, else `EFBIG`); returns how
    /// many pages were dropped. A shared last page that must be zeroed past
    /// the new end is copied first, and `copied` is told.
    pub fn truncate(&mut self, len: u64, mut copied: impl FnMut()) -> KResult<u64> {
        if len > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut freed = 0;
        if len < self.size {
            let keep = len.div_ceil(PAGE);
            let dropped = self.pages.split_off(&keep);
            freed = dropped.len() as u64;
            let tail = (len % PAGE) as usize;
            if tail != 0 {
                if let Some(page) = self.pages.get_mut(&(len / PAGE)) {
                    unique(page, &mut copied)[tail..].fill(0);
                }
            }
        }
        self.size = len;
        self.id = fresh_id();
        Ok(freed)
    }
}

/// The page, writable: copied first if another file (a snapshot) shares it.
fn unique<'p>(page: &'p mut Page, copied: &mut impl FnMut()) -> &'p mut [u8] {
    if Arc::get_mut(page).is_none() {
        copied();
    }
    Arc::make_mut(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn read_all(data: &PagedData) -> Vec<u8> {
        let mut buf = vec![0xAA; data.size() as usize];
        assert_eq!(data.read(0, &mut buf), buf.len());
        buf
    }

    #[test]
    fn write_read_across_pages() {
        let mut d = PagedData::default();
        let bytes: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        assert_eq!(d.write(100, &bytes, || true, || {}), Ok(bytes.len()));
        assert_eq!(d.size(), 10_100);
        let all = read_all(&d);
        assert!(all[..100].iter().all(|&b| b == 0));
        assert_eq!(&all[100..], &bytes[..]);
        let mut buf = [0u8; 10];
        assert_eq!(d.read(10_095, &mut buf), 5);
        assert_eq!(d.read(20_000, &mut buf), 0);
    }

    #[test]
    fn sparse_offsets_allocate_only_touched_pages() {
        let mut d = PagedData::default();
        assert_eq!(d.write(1 << 40, b"x", || true, || {}), Ok(1));
        assert_eq!(d.page_count(), 1);
        let mut buf = [1u8; 8];
        assert_eq!(d.read(4096 * 7, &mut buf), 8);
        assert_eq!(buf, [0; 8]);
    }

    #[test]
    fn shrink_then_grow_exposes_zeros() {
        let mut d = PagedData::default();
        d.write(0, &[7u8; 5000], || true, || {}).unwrap();
        assert_eq!(d.truncate(10, || {}), Ok(1));
        assert_eq!(d.truncate(5000, || {}), Ok(0));
        let all = read_all(&d);
        assert_eq!(&all[..10], &[7u8; 10]);
        assert!(all[10..].iter().all(|&b| b == 0));
    }

    #[test]
    fn reservation_failure_gives_short_write_then_enospc() {
        let mut d = PagedData::default();
        let mut budget = 1;
        let mut reserve = || {
            if budget == 0 {
                return false;
            }
            budget -= 1;
            true
        };
        assert_eq!(d.write(0, &[1u8; 3 * PAGE_SIZE], &mut reserve, || {}), Ok(PAGE_SIZE));
        assert_eq!(d.write(PAGE, b"more", &mut reserve, || {}), Err(Errno::ENOSPC));
        assert_eq!(d.write(5, b"in place", &mut reserve, || {}), Ok(8));
    }

    #[test]
    fn content_id_changes_on_every_change_and_is_shared_by_copies() {
        let mut d = PagedData::default();
        assert_ne!(d.id(), PagedData::default().id());
        let first = d.id();
        d.write(0, b"abc", || true, || {}).unwrap();
        assert_ne!(d.id(), first);
        let mut copy = d.share();
        assert_eq!(copy.id(), d.id());
        copy.write(1, b"x", || true, || {}).unwrap();
        assert_ne!(copy.id(), d.id());
        let before = d.id();
        d.truncate(3, || {}).unwrap();
        assert_ne!(d.id(), before);
    }

    #[test]
    fn file_size_limit() {
        let mut d = PagedData::default();
        assert_eq!(d.write(MAX_FILE_SIZE, b"x", || true, || {}), Err(Errno::EFBIG));
        assert_eq!(d.write(MAX_FILE_SIZE - 1, b"xy", || true, || {}), Ok(1));
        assert_eq!(d.truncate(MAX_FILE_SIZE + 1, || {}), Err(Errno::EFBIG));
    }
}
