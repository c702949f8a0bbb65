//! User address spaces: the lower half of a private level-4 table, with the
//! kernel's upper half shared, and the mappings ([`vma`]) that say what may
//! be there. Pages become present lazily: the first touch (a user page
//! fault, or the kernel's own access) fills them from their mapping's
//! backing: zeros, the page cache's frame of a file ([`crate::mm::pagecache`],
//! shared read-only or copy-on-write), or a shared object's frame
//! ([`crate::mm::filemap`]). This is also the only way the kernel touches
//! user memory: [`AddressSpace::copy_in`] / [`AddressSpace::copy_out`] take
//! a [`UserSlice`] (a range that passed `access_ok`, see `linux_abi::user`)
//! and check (and fill) every page first, so a bad pointer is `EFAULT`,
//! never a kernel page fault. The mapping calls take [`PageRange`]s (whole
//! pages below `USER_END`): no number a process passes reaches the page
//! tables unchecked.
//!
//! Copy-on-write: [`AddressSpace::fork`] copies the mappings and shares every
//! present frame with the child; private pages that were writable become
//! read-only with the [`COW`] bit, and the first write gives the writer a
//! private copy. Frame owners are counted by `frameref`.
//! Memory limits: a space charges its container's [`MemLimit`] for the frames
//! it allocates (zero pages, private copies); frames of the page cache and of
//! shared files ([`FILE_PAGE`]) are not charged to the spaces mapping them.
//! Invariants: `pages` is exactly the set of present user pages; each
//! present page holds one owner of its frame; every present page lies in a
//! mapping.

mod vma;

use alloc::sync::Arc;
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use errno::{Errno, KResult};
use linux_abi::{PageRange, UserSlice};
use foundation::mm::pagetable::{Flush, UserPageTable};
use x86_64::structures::paging::{Page, PageTableFlags, PhysFrame, Size4KiB};
use x86_64::VirtAddr;

use super::frameref;
pub use vma::{Backing, Vma};
use vma::VmaMap;

/// First address above user space (as Linux: the last page below 2^47 is a guard).
pub use linux_abi::USER_END;
const PAGE: u64 = linux_abi::PAGE_SIZE;

/// Access a mapping allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prot {
    /// False only for PROT_NONE (on x86 writing or executing implies reading).
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    /// PROT_NONE: no user access at all. Its present pages keep their frames
    /// (mprotect may give access back) but lose USER_ACCESSIBLE, so a user
    /// access faults and `copy_in`/`copy_out` refuse it (EFAULT).
    fn flags(self) -> PageTableFlags {
        if !self.read {
            return PageTableFlags::PRESENT | PageTableFlags::NO_EXECUTE;
        }
        let mut f = PageTableFlags::PRESENT | PageTableFlags::USER_ACCESSIBLE;
        if self.write {
            f |= PageTableFlags::WRITABLE;
        }
        if !self.exec {
            f |= PageTableFlags::NO_EXECUTE;
        }
        f
    }
}

/// Page-table bit (OS-available) marking a logically writable page whose
/// frame is shared copy-on-write.
const COW: PageTableFlags = PageTableFlags::BIT_9;
/// Page-table bit marking a MAP_SHARED page: never copied on write; fork
/// shares it as it is, so writes on either side are seen by both.
const SHARED_MAPPING: PageTableFlags = PageTableFlags::BIT_10;
/// Page-table bit marking a frame owned by the page cache or a shared
/// object: not charged to this space (a private copy of it is).
const FILE_PAGE: PageTableFlags = PageTableFlags::BIT_11;
const PARENTS: PageTableFlags =
    PageTableFlags::PRESENT.union(PageTableFlags::WRITABLE).union(PageTableFlags::USER_ACCESSIBLE);

/// What a page fault came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The page is there now: run the access again.
    Resolved,
    /// No mapping, or the mapping forbids the access: SIGSEGV.
    Segv,
    /// A file mapping past the end of its file: SIGBUS.
    Bus,
    /// No frame may be had (the memory limit, or none left).
    Oom,
}

/// A memory limit shared by the address spaces of one container (what the
/// memory cgroup gives on Linux): user pages are charged when a frame is
/// allocated for them and uncharged when it is freed; past the limit an
/// allocation fails (ENOMEM, or SIGKILL for a fault that cannot fail).
#[derive(Default)]
pub struct MemLimit {
    used: core::sync::atomic::AtomicU64,
    /// In pages; 0 = unlimited.
    limit: core::sync::atomic::AtomicU64,
    /// Allocations refused for the limit (memory.failcnt).
    pub failures: core::sync::atomic::AtomicU64,
}

impl MemLimit {
    pub fn new() -> alloc::sync::Arc<MemLimit> {
        alloc::sync::Arc::new(MemLimit::default())
    }

    /// Sets the limit in bytes (0: none).
    pub fn set_limit(&self, bytes: u64) {
        self.limit.store(bytes.div_ceil(PAGE), core::sync::atomic::Ordering::Relaxed);
    }

    pub fn limit_bytes(&self) -> u64 {
        self.limit.load(core::sync::atomic::Ordering::Relaxed) * PAGE
    }

    pub fn used_bytes(&self) -> u64 {
        self.used.load(core::sync::atomic::Ordering::Relaxed) * PAGE
    }

    pub(crate) fn charge(&self) -> KResult<()> {
        use core::sync::atomic::Ordering::Relaxed;
        let limit = self.limit.load(Relaxed);
        let used = self.used.fetch_add(1, Relaxed);
        if limit != 0 && used + 1 > limit {
            self.used.fetch_sub(1, Relaxed);
            self.failures.fetch_add(1, Relaxed);
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    pub(crate) fn uncharge(&self) {
        let _ = self.used.try_update(core::sync::atomic::Ordering::Relaxed, core::sync::atomic::Ordering::Relaxed, |u| Some(u.saturating_sub(1)));
    }
}

/// Frames with more than one owner right now (for `mem`).
pub fn shared_frames() -> usize {
    frameref::shared_count()
}

pub struct AddressSpace {
    /// The page table (first: freed after the pages, before the mappings).
    pt: UserPageTable,
    /// Every present user page (to free them, and their frames, on drop).
    pages: BTreeSet<u64>,
    vmas: VmaMap,
    /// The container's memory limit its frames are charged to.
    charge: Option<Arc<MemLimit>>,
    _live: crate::live::Live,
}

/// The user page holding `addr`; `None` outside the user half (callers
/// only pass addresses of present pages or checked ranges, so this is the
/// guard that keeps a wrong one from becoming a panic).
fn page_of(addr: u64) -> Option<Page<Size4KiB>> {
    if addr >= USER_END {
        return None;
    }
    VirtAddr::try_new(addr).ok().map(Page::containing_address)
}

impl AddressSpace {
    /// The identity of the MAP_SHARED object mapped at `addr` and the offset of `addr` in
    /// it (what a shared futex is keyed by, as Linux keys it by inode/page and offset).
    pub fn shared_object_at(&self, addr: u64) -> Option<(usize, u64)> {
        let v = self.vmas.find(addr)?;
        match &v.backing {
            Backing::Shared { object, .. } => Some((Arc::as_ptr(object) as *const u8 as usize, v.offset_of(addr))),
            _ => None,
        }
    }

    /// A new space: empty lower half, the kernel's upper half.
    pub fn new() -> KResult<AddressSpace> {
        let pt = UserPageTable::new().ok_or(Errno::ENOMEM)?;
        Ok(AddressSpace { pt, pages: BTreeSet::new(), vmas: VmaMap::default(), charge: None, _live: crate::live::Live::new(crate::live::Kind::AddressSpace) })
    }

    /// Charges this space's new frames to `limit` from now on.
    pub fn set_charge(&mut self, limit: Option<Arc<MemLimit>>) {
        self.charge = limit;
    }

    pub fn charge(&self) -> Option<Arc<MemLimit>> {
        self.charge.clone()
    }

    fn charge_one(&self) -> KResult<()> {
        self.charge.as_ref().map_or(Ok(()), |c| c.charge())
    }

    fn uncharge_one(&self) {
        if let Some(c) = &self.charge {
            c.uncharge();
        }
    }

    /// A charged frame for a private page (contents undefined).
    fn private_frame(&self) -> Option<PhysFrame> {
        self.charge_one().ok()?;
        let f = frameref::alloc();
        if f.is_none() {
            self.uncharge_one();
        }
        f
    }

    /// Drops the owner a page-table entry with `flags` held on `f`.
    fn release(&self, f: PhysFrame, flags: PageTableFlags) {
        if frameref::release(f) && !flags.contains(FILE_PAGE) {
            self.uncharge_one();
        }
    }

    /// Makes this the active address space.
    pub fn activate(&self) {
        self.pt.activate();
    }

    /// The entry of user page `addr` (None for any address outside user
    /// space: kernel-half and non-canonical addresses are never translated).
    fn pte(&self, addr: u64) -> Option<(PhysFrame, PageTableFlags)> {
        self.pt.translate(page_of(addr)?)
    }

    /// Maps `frame` at the absent page `addr`; the entry takes over the
    /// caller's owner of the frame (released again on failure).
    fn install(&mut self, addr: u64, f: PhysFrame, flags: PageTableFlags) -> Fault {
        let Some(page) = page_of(addr) else {
            self.release(f, flags);
            return Fault::Segv;
        };
        // The page is absent (the callers checked); the caller handed its
        // owner of `f` to the entry.
        match self.pt.map(page, f, flags, PARENTS, Flush::Now) {
            Ok(()) => {}
            Err(()) => {
                self.release(f, flags);
                return Fault::Oom;
            }
        }
        self.pages.insert(addr);
        Fault::Resolved
    }

    /// Removes the page at `addr`; the caller gets the entry's owner.
    fn take(&mut self, addr: u64) -> Option<(PhysFrame, PageTableFlags)> {
        let (_, flags) = self.pte(addr)?;
        let f = self.pt.unmap(page_of(addr)?, Flush::Now)?;
        self.pages.remove(&addr);
        Some((f, flags))
    }

    fn set_flags(&self, addr: u64, flags: PageTableFlags) {
        let Some(page) = page_of(addr) else { return };
        self.pt.update_flags(page, flags, Flush::Now);
    }

    /// Drops the present pages in `[first, end)`.
    fn drop_pages(&mut self, first: u64, end: u64) {
        let end = end.max(first);
        let present: Vec<u64> = self.pages.range(first..end).copied().collect();
        for addr in present {
            if let Some((f, flags)) = self.take(addr) {
                self.release(f, flags);
            }
        }
    }

    /// Adds a mapping over `range`, replacing what was there (`ENOMEM`
    /// for an empty range).
    pub fn map(&mut self, range: PageRange, prot: Prot, may_write: bool, backing: Backing) -> KResult<()> {
        if range.is_empty() {
            return Err(Errno::ENOMEM);
        }
        self.unmap(range);
        self.vmas.insert(Vma { start: range.start(), end: range.end(), prot, may_write, backing });
        Ok(())
    }

    /// Maps private zero-filled memory over `range`, replacing what was there.
    pub fn map_anon(&mut self, range: PageRange, prot: Prot) -> KResult<()> {
        self.map(range, prot, true, Backing::Anon)
    }

    /// Whether any of `range` is mapped.
    pub fn is_mapped(&self, range: PageRange) -> bool {
        self.vmas.overlaps(range.start(), range.end())
    }

    /// Whether all of `range` is mapped.
    pub fn is_covered(&self, range: PageRange) -> bool {
        self.vmas.covers(range.start(), range.end())
    }

    /// Changes the protection of `range`: `ENOMEM` if part of it is not
    /// mapped, `EACCES` for write access to a shared mapping of a file
    /// opened read-only (as Linux).
    pub fn protect(&mut self, range: PageRange, prot: Prot) -> KResult<()> {
        let (start, end) = (range.start(), range.end());
        if !self.vmas.covers(start, end) {
            return Err(Errno::ENOMEM);
        }
        if prot.write && self.vmas.split_range(start, end).any(|v| !v.may_write) {
            return Err(Errno::EACCES);
        }
        for v in self.vmas.split_range(start, end) {
            v.prot = prot;
        }
        let present: Vec<u64> = self.pages.range(start..end).copied().collect();
        for addr in present {
            let Some((f, old)) = self.pte(addr) else { continue };
            let flags = cow_adjust(prot.flags() | (old & (SHARED_MAPPING | FILE_PAGE)), f);
            if prot.write && old.contains(SHARED_MAPPING) {
                if let Some(v) = self.vmas.find(addr) {
                    if let Backing::Shared { object, .. } = &v.backing {
                        object.mark_writable(v.offset_of(addr) / PAGE);
                    }
                }
            }
            self.set_flags(addr, flags);
        }
        Ok(())
    }

    /// Unmaps `range` and frees its frames; stores to shared file mappings
    /// there are written back first.
    pub fn unmap(&mut self, range: PageRange) {
        let removed = self.vmas.remove(range.start(), range.end());
        write_back(&removed);
        self.drop_pages(range.start(), range.end());
        drop(removed);
    }

    /// Drops the present pages of `range` but keeps the mappings
    /// (MADV_DONTNEED): private pages read as new again (zeros, or the
    /// file), shared ones as the shared object holds them.
    pub fn discard(&mut self, range: PageRange) {
        self.drop_pages(range.start(), range.end());
    }

    /// msync: writes stores to shared file mappings in `range` back to
    /// their files; `ENOMEM` if part of the range is not mapped.
    pub fn sync(&self, range: PageRange) -> KResult<()> {
        let (first, end) = (range.start(), range.end());
        if !self.vmas.covers(first, end) {
            return Err(Errno::ENOMEM);
        }
        for v in self.vmas.iter().filter(|v| v.end > first && v.start < end) {
            if let Backing::Shared { object, .. } = &v.backing {
                let (a, b) = (v.start.max(first), v.end.min(end));
                object.write_back(v.offset_of(a) / PAGE, v.offset_of(b - 1) / PAGE + 1)?;
            }
        }
        Ok(())
    }

    /// mremap's move: the mappings of `old` and their present pages move to
    /// the start of `new` (a free range), then grow to its length with more
    /// of the last mapping's backing. `EFAULT` if `old` is not all mapped.
    pub fn move_range(&mut self, old_range: PageRange, new_range: PageRange) -> KResult<()> {
        let (old, old_end, old_len) = (old_range.start(), old_range.end(), old_range.len());
        let (new, new_len) = (new_range.start(), new_range.len());
        if old_range.is_empty() || !self.vmas.covers(old, old_end) {
            return Err(Errno::EFAULT);
        }
        // The grown part continues the last mapping's backing (its file
        // pages are read now, before anything changes).
        let grown = match self.vmas.find(old_end - 1) {
            Some(last) if new_len > old_len => {
                let grown = last.continued(old_end, new + old_len, new_len - old_len);
                if let Backing::File { image, offset } = &grown.backing {
                    image.load(*offset, new_len - old_len)?;
                }
                Some(grown)
            }
            _ => None,
        };
        let moved = self.vmas.remove(old, old_end);
        for v in &moved {
            self.vmas.insert(v.moved_to(new + (v.start - old)));
        }
        if let Some(grown) = grown {
            self.vmas.insert(grown);
        }
        let present: Vec<u64> = self.pages.range(old..old_end).copied().collect();
        for addr in present {
            if let Some((f, flags)) = self.take(addr) {
                self.install(addr - old + new, f, flags);
            }
        }
        Ok(())
    }

    /// A copy-on-write duplicate of this space (fork): the mappings are
    /// copied, every present frame is shared, and private writable pages
    /// become read-only + COW in both spaces.
    pub fn fork(&self) -> KResult<AddressSpace> {
        let mut child = AddressSpace::new()?;
        child.charge = self.charge.clone();
        child.vmas = self.vmas.clone();
        for &addr in &self.pages {
            let Some(page) = page_of(addr) else { continue };
            let Some((f, flags)) = self.pt.translate(page) else {
                continue;
            };
            let flags = if flags.contains(SHARED_MAPPING) || !flags.intersects(PageTableFlags::WRITABLE | COW) {
                flags
            } else {
                let cow = (flags - PageTableFlags::WRITABLE) | COW;
                if cow != flags {
                    self.pt.update_flags(page, cow, Flush::Later);
                }
                cow
            };
            frameref::share(f);
            // The child's page is absent (a fresh space); the frame stays
            // alive because its owner count was raised just above.
            match child.pt.map(page, f, flags, PARENTS, Flush::Later) {
                Ok(()) => {}
                Err(()) => {
                    frameref::release(f);
                    return Err(Errno::ENOMEM);
                }
            }
            child.pages.insert(addr);
        }
        // The parent's writable pages just became read-only: drop stale TLB entries.
        if self.pt.is_active() {
            foundation::mm::pagetable::flush_all();
        }
        Ok(child)
    }

    /// A user page fault at `addr`: a `write`, on a `present` page or not.
    pub fn handle_fault(&mut self, addr: u64, write: bool, present: bool) -> Fault {
        if present && !write {
            return Fault::Segv; // an execute or read the mapping forbids
        }
        self.populate(addr, write, false)
    }

    /// Makes the page at `addr` present (and private and writable for a
    /// `write`) as its mapping says. `force`: the loader's write, allowed
    /// into read-only mappings (it gets a private page, still read-only).
    fn populate(&mut self, addr: u64, write: bool, force: bool) -> Fault {
        if addr >= USER_END {
            return Fault::Segv;
        }
        let page = addr & !(PAGE - 1);
        let Some(vma) = self.vmas.find(page) else { return Fault::Segv };
        if (write && !vma.prot.write || !vma.prot.read) && !force {
            return Fault::Segv;
        }
        let (prot, index, backing) = (vma.prot, vma.offset_of(page) / PAGE, vma.backing.clone());
        if let Some((f, flags)) = self.pte(page) {
            return match () {
                _ if !write || flags.contains(PageTableFlags::WRITABLE) && !force => Fault::Resolved,
                _ if flags.contains(COW) => self.make_private(page, f, flags, (flags | PageTableFlags::WRITABLE) - COW - FILE_PAGE),
                _ if force && !flags.contains(SHARED_MAPPING) => self.make_private(page, f, flags, flags - COW - FILE_PAGE),
                _ if flags.contains(PageTableFlags::WRITABLE) => Fault::Resolved,
                _ => Fault::Segv,
            };
        }
        match backing {
            Backing::Anon => {
                let Some(f) = self.private_frame() else { return Fault::Oom };
                frameref::with_frame_mut(f, |b| b.fill(0));
                self.install(page, f, prot.flags())
            }
            Backing::File { image, .. } => {
                let Some(src) = image.frame(index) else { return Fault::Bus };
                if write {
                    let Some(f) = self.private_frame() else { return Fault::Oom };
                    frameref::copy_frame(src, f);
                    return self.install(page, f, prot.flags());
                }
                frameref::share(src);
                let flags = prot.flags() | FILE_PAGE;
                let flags = if prot.write { (flags - PageTableFlags::WRITABLE) | COW } else { flags };
                self.install(page, src, flags)
            }
            Backing::Shared { object, .. } => {
                let f = match object.frame(index) {
                    Ok(Some(f)) => f,
                    Ok(None) => return Fault::Bus,
                    Err(Errno::ENOMEM) => return Fault::Oom,
                    Err(_) => return Fault::Bus,
                };
                if prot.write {
                    object.mark_writable(index);
                }
                frameref::share(f);
                self.install(page, f, prot.flags() | SHARED_MAPPING | FILE_PAGE)
            }
        }
    }

    /// Gives the page at `addr` (frame `old`, entry `flags`) a frame of its
    /// own with entry `new_flags`: `old` itself when no one else owns it,
    /// else a copy (charged to this space).
    fn make_private(&mut self, addr: u64, old: PhysFrame, flags: PageTableFlags, new_flags: PageTableFlags) -> Fault {
        if !frameref::is_shared(old) {
            if flags.contains(FILE_PAGE) && self.charge_one().is_err() {
                return Fault::Oom; // a cache frame becomes this space's own
            }
            self.set_flags(addr, new_flags);
            return Fault::Resolved;
        }
        let Some(new) = self.private_frame() else { return Fault::Oom };
        frameref::copy_frame(old, new);
        if self.take(addr).is_none() {
            self.release(new, PageTableFlags::empty());
            return Fault::Segv;
        }
        self.release(old, flags);
        self.install(addr, new, new_flags)
    }

    /// Bytes of address space mapped (RLIMIT_AS counts these).
    pub fn mapped_bytes(&self) -> u64 {
        self.vmas.total_bytes()
    }

    /// Bytes of private writable mappings (RLIMIT_DATA counts these, as
    /// Linux's data_vm; walks the mappings, so only asked when a limit is set).
    pub fn private_writable_bytes(&self) -> u64 {
        self.vmas.iter().filter(|v| v.prot.write && !matches!(v.backing, Backing::Shared { .. })).map(|v| v.end - v.start).sum()
    }

    /// Number of pages present.
    pub fn resident_pages(&self) -> usize {
        self.pages.len()
    }

    /// The kernel address of user address `addr`, made present (and
    /// writable for `write`) first.
    fn resolve(&mut self, addr: u64, write: bool, force: bool) -> KResult<PhysFrame> {
        if addr >= USER_END {
            return Err(Errno::EFAULT);
        }
        for _ in 0..2 {
            if let Some((f, flags)) = self.pte(addr) {
                let ok = flags.contains(PageTableFlags::USER_ACCESSIBLE)
                    && (!write
                        || flags.contains(PageTableFlags::WRITABLE)
                        || (force && !flags.intersects(COW | FILE_PAGE | SHARED_MAPPING)));
                if ok {
                    return Ok(f);
                }
            }
            match self.populate(addr, write, force) {
                Fault::Resolved => {}
                Fault::Oom => return Err(Errno::ENOMEM),
                Fault::Segv | Fault::Bus => return Err(Errno::EFAULT),
            }
        }
        Err(Errno::EFAULT)
    }

    /// Copies `data` to the start of `dst` (the space need not be active).
    /// `force` writes even read-only mappings (for the ELF loader).
    fn write_at(&mut self, dst: UserSlice, data: &[u8], force: bool) -> KResult<()> {
        let addr = dst.prefix(data.len())?.addr();
        let mut done = 0usize;
        while done < data.len() {
            let at = addr.checked_add(done as u64).ok_or(Errno::EFAULT)?;
            let room = (PAGE - at % PAGE) as usize;
            let n = room.min(data.len() - done);
            let dst = self.resolve(at, true, force)?;
            // `n` stays within the page.
            if !foundation::mm::copy_to_frame(dst, (at % PAGE) as usize, &data[done..done + n]) {
                return Err(Errno::EFAULT);
            }
            done += n;
        }
        Ok(())
    }

    /// Copies kernel data into the start of `dst`, user memory the process
    /// may write (`EFAULT` if `data` is longer than `dst`).
    pub fn copy_out(&mut self, dst: UserSlice, data: &[u8]) -> KResult<()> {
        self.write_at(dst, data, false)
    }

    /// Loader's write: ignores the mapping's write permission.
    pub fn load(&mut self, dst: UserSlice, data: &[u8]) -> KResult<()> {
        self.write_at(dst, data, true)
    }

    /// Fills `buf` from the start of `src` (`EFAULT` if `buf` is longer).
    pub fn copy_in(&mut self, src: UserSlice, buf: &mut [u8]) -> KResult<()> {
        let addr = src.prefix(buf.len())?.addr();
        let mut done = 0usize;
        while done < buf.len() {
            let at = addr.checked_add(done as u64).ok_or(Errno::EFAULT)?;
            let room = (PAGE - at % PAGE) as usize;
            let n = room.min(buf.len() - done);
            let src = self.resolve(at, false, false)?;
            if !foundation::mm::copy_from_frame(src, (at % PAGE) as usize, &mut buf[done..done + n]) {
                return Err(Errno::EFAULT);
            }
            done += n;
        }
        Ok(())
    }

    /// Reads the bytes of a NUL-terminated string starting at `start`,
    /// looking at no more than `limit` bytes (Linux's `strncpy_from_user`):
    /// the bytes before the NUL and whether a NUL was found within `limit`.
    /// Each piece read stays within one page, so a string that ends before
    /// an unmapped page reads fine.
    pub fn copy_in_cstr(&mut self, start: linux_abi::UserPtr<u8>, limit: usize) -> KResult<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut at = start;
        while out.len() < limit {
            let room = ((PAGE - at.value() % PAGE) as usize).min(limit - out.len());
            let mut buf = [0u8; PAGE as usize];
            let buf = &mut buf[..room];
            self.copy_in(at.array(room)?, buf)?;
            if let Some(n) = buf.iter().position(|&b| b == 0) {
                out.extend_from_slice(&buf[..n]);
                return Ok((out, true));
            }
            out.extend_from_slice(buf);
            at = at.element(room)?;
        }
        Ok((out, false))
    }
}

/// Writes the shared file pages of `removed` mappings back to their files.
fn write_back(removed: &[Vma]) {
    for v in removed {
        if let Backing::Shared { object, .. } = &v.backing {
            if let Err(e) = object.write_back(v.offset_of(v.start) / PAGE, v.offset_of(v.end - 1) / PAGE + 1) {
                log::warn!("munmap: write-back failed: {e}");
            }
        }
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        // The page table switches to the kernel's own if it is active
        // before it frees its tables (its own drop, after this).
        if self.pt.is_active() {
            foundation::mm::pagetable::activate_kernel_table();
        }
        let pages = core::mem::take(&mut self.pages);
        for addr in pages {
            let Some(page) = page_of(addr) else { continue };
            let Some((_, flags)) = self.pt.translate(page) else { continue };
            if let Some(f) = self.pt.unmap(page, Flush::Later) {
                self.release(f, flags);
            }
        }
        // Then the lower half's page tables go (the page table's drop), and
        // the mappings last: shared objects write their pages back.
    }
}

/// Switches to the kernel's own table (a thread without a user space).
pub use foundation::mm::pagetable::activate_kernel_table;

/// Writable private pages whose frame is shared (or belongs to the page
/// cache) become read-only + COW; MAP_SHARED pages stay as asked.
fn cow_adjust(flags: PageTableFlags, frame: PhysFrame) -> PageTableFlags {
    if flags.contains(SHARED_MAPPING) {
        return flags - COW;
    }
    if !flags.intersects(PageTableFlags::WRITABLE | COW) {
        return flags - COW;
    }
    if flags.contains(FILE_PAGE) || frameref::is_shared(frame) {
        (flags - PageTableFlags::WRITABLE) | COW
    } else {
        (flags | PageTableFlags::WRITABLE) - COW
    }
}
