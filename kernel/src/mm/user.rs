//! User address spaces: the lower half of a private level-4 table, with the
//! kernel's upper half shared. Also the only way the kernel touches user
//! memory: [`AddressSpace::copy_in`] / [`AddressSpace::copy_out`] check every
//! page (present, user, writable for writes) first, so a bad pointer is
//! `EFAULT`, never a kernel page fault.
//!
//! Copy-on-write: [`AddressSpace::fork`] shares every frame with the child;
//! pages that were writable become read-only with the [`COW`] bit, and the
//! first write (a user page fault, or a kernel `copy_out`) gives the writer a
//! private copy ([`AddressSpace::resolve_cow`]). A frame's sharers are counted
//! in `SHARED` (absent = one owner).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use crate::sync::IrqMutex;
use errno::{Errno, KResult};
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::mapper::{MappedFrame, Translate, TranslateResult};
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

use super::frame::{self, GlobalFrames};

/// First address above user space (as Linux: the last page below 2^47 is a guard).
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;
const PAGE: u64 = 4096;

/// Access a mapping allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prot {
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    fn flags(self) -> PageTableFlags {
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
/// Page-table bit marking a MAP_SHARED page: fork shares it as it is (no
/// copy-on-write), so writes on either side are seen by both.
const SHARED_MAPPING: PageTableFlags = PageTableFlags::BIT_10;

/// Owners of shared frames (physical address -> count >= 2).
static SHARED: IrqMutex<BTreeMap<u64, u32>> = IrqMutex::new(BTreeMap::new());

fn share_frame(f: PhysFrame) {
    let mut shared = SHARED.lock();
    *shared.entry(f.start_address().as_u64()).or_insert(1) += 1;
}

fn is_shared(f: PhysFrame) -> bool {
    SHARED.lock().contains_key(&f.start_address().as_u64())
}

/// Drops one owner of `f`; frees it when it was the last (true then).
fn release_frame(f: PhysFrame) -> bool {
    let key = f.start_address().as_u64();
    {
        let mut shared = SHARED.lock();
        if let Some(n) = shared.get_mut(&key) {
            *n -= 1;
            if *n <= 1 {
                shared.remove(&key);
            }
            return false;
        }
    }
    frame::free(f);
    true
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

    fn charge(&self) -> KResult<()> {
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

    fn uncharge(&self) {
        let _ = self.used.try_update(core::sync::atomic::Ordering::Relaxed, core::sync::atomic::Ordering::Relaxed, |u| Some(u.saturating_sub(1)));
    }
}

/// Frames shared copy-on-write right now (for `mem`).
pub fn shared_frames() -> usize {
    SHARED.lock().len()
}

pub struct AddressSpace {
    l4: PhysFrame,
    /// Every user page mapped (to free them, and their frames, on drop).
    pages: BTreeSet<u64>,
    /// The container's memory limit its frames are charged to.
    charge: Option<alloc::sync::Arc<MemLimit>>,
}

fn table(frame: PhysFrame) -> OffsetPageTable<'static> {
    let virt = super::phys_to_virt(frame.start_address());
    let offset = super::phys_to_virt(PhysAddr::new(0));
    // SAFETY: `frame` is a level-4 table owned by an AddressSpace (or the
    // active one), reached through the physical-memory window; the returned
    // mapper lives only as long as the caller's short borrow.
    unsafe { OffsetPageTable::new(&mut *virt.as_mut_ptr::<PageTable>(), offset) }
}

impl AddressSpace {
    /// A new space: empty lower half, the kernel's upper half.
    pub fn new() -> KResult<AddressSpace> {
        let l4 = frame::alloc_zeroed().ok_or(Errno::ENOMEM)?;
        let (current, _) = Cr3::read();
        let src = super::phys_to_virt(current.start_address()).as_ptr::<PageTable>();
        let dst = super::phys_to_virt(l4.start_address()).as_mut_ptr::<PageTable>();
        // SAFETY: both are level-4 tables mapped by the physical-memory window;
        // `dst` was just allocated, so no one else references it.
        unsafe {
            for i in 256..512 {
                (&mut (*dst))[i] = (&(*src))[i].clone();
            }
        }
        Ok(AddressSpace { l4, pages: BTreeSet::new(), charge: None })
    }

    /// Charges this space's new frames to `limit` from now on.
    pub fn set_charge(&mut self, limit: Option<alloc::sync::Arc<MemLimit>>) {
        self.charge = limit;
    }

    pub fn charge(&self) -> Option<alloc::sync::Arc<MemLimit>> {
        self.charge.clone()
    }

    fn charge_one(&self) -> KResult<()> {
        self.charge.as_ref().map_or(Ok(()), |c| c.charge())
    }

    fn release(&self, f: PhysFrame) {
        if release_frame(f) {
            if let Some(c) = &self.charge {
                c.uncharge();
            }
        }
    }

    /// Makes this the active address space.
    pub fn activate(&self) {
        // SAFETY: the table maps the kernel's upper half exactly as the current
        // one does, so the kernel keeps running after the switch.
        unsafe { Cr3::write(self.l4, Cr3Flags::empty()) };
    }

    /// Maps fresh zeroed pages over `[start, start+len)` (page-aligned outward).
    /// Pages already mapped keep their contents and get `prot` added.
    pub fn map_zeroed(&mut self, start: u64, len: u64, prot: Prot) -> KResult<()> {
        let first = start & !(PAGE - 1);
        let end = start.checked_add(len).ok_or(Errno::ENOMEM)?.next_multiple_of(PAGE);
        if end > USER_END || first >= end {
            return Err(Errno::ENOMEM);
        }
        let mut mapper = table(self.l4);
        let parents = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::USER_ACCESSIBLE;
        for addr in (first..end).step_by(PAGE as usize) {
            let page = Page::<Size4KiB>::containing_address(VirtAddr::new(addr));
            if let TranslateResult::Mapped { flags, frame, .. } = mapper.translate(page.start_address()) {
                let merged = flags | prot.flags();
                let merged = if prot.exec { merged - PageTableFlags::NO_EXECUTE } else { merged };
                let merged = cow_adjust(merged, frame.start_address());
                // SAFETY: only this space's user page changes its flags.
                if let Ok(flush) = unsafe { mapper.update_flags(page, merged) } {
                    flush.flush();
                }
                continue;
            }
            self.charge_one()?;
            let Some(frame) = GlobalFrames.allocate_frame() else {
                self.charge.as_ref().inspect(|c| c.uncharge());
                return Err(Errno::ENOMEM);
            };
            // SAFETY: the page is in this space's lower half and unmapped (checked
            // above); the frame is fresh and zeroed.
            match unsafe { mapper.map_to_with_table_flags(page, frame, prot.flags(), parents, &mut GlobalFrames) } {
                Ok(flush) => flush.ignore(),
                Err(_) => {
                    frame::free(frame);
                    self.charge.as_ref().inspect(|c| c.uncharge());
                    return Err(Errno::ENOMEM);
                }
            }
            self.pages.insert(addr);
        }
        Ok(())
    }

    /// Changes the protection of the mapped pages in `[start, start+len)`;
    /// `ENOMEM` if part of the range is not mapped (as Linux).
    pub fn protect(&mut self, start: u64, len: u64, prot: Prot) -> KResult<()> {
        let end = start.checked_add(len).ok_or(Errno::ENOMEM)?.next_multiple_of(PAGE);
        if start % PAGE != 0 || end > USER_END {
            return Err(Errno::EINVAL);
        }
        let mut mapper = table(self.l4);
        for addr in (start..end).step_by(PAGE as usize) {
            let page = Page::<Size4KiB>::containing_address(VirtAddr::new(addr));
            let flags = match mapper.translate(page.start_address()) {
                TranslateResult::Mapped { frame, flags: old, .. } => {
                    cow_adjust(prot.flags() | (old & SHARED_MAPPING), frame.start_address())
                }
                _ => return Err(Errno::ENOMEM),
            };
            // SAFETY: only this space's user page changes its flags.
            match unsafe { mapper.update_flags(page, flags) } {
                Ok(flush) => flush.flush(),
                Err(_) => return Err(Errno::ENOMEM),
            }
        }
        Ok(())
    }

    /// Unmaps `[start, start+len)` and frees its frames.
    pub fn unmap(&mut self, start: u64, len: u64) -> KResult<()> {
        let first = start & !(PAGE - 1);
        let end = start.checked_add(len).ok_or(Errno::EINVAL)?.next_multiple_of(PAGE).min(USER_END);
        let mut mapper = table(self.l4);
        let mapped: Vec<u64> = self.pages.range(first..end).copied().collect();
        for addr in mapped {
            let page = Page::<Size4KiB>::containing_address(VirtAddr::new(addr));
            if let Ok((frame, flush)) = mapper.unmap(page) {
                flush.flush();
                self.release(frame);
            }
            self.pages.remove(&addr);
        }
        Ok(())
    }

    /// A copy-on-write duplicate of this space (fork): every frame is shared,
    /// and writable pages become read-only + COW in both spaces.
    pub fn fork(&self) -> KResult<AddressSpace> {
        let mut child = AddressSpace::new()?;
        child.charge = self.charge.clone();
        let mut parent_map = table(self.l4);
        let mut child_map = table(child.l4);
        let parents = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::USER_ACCESSIBLE;
        for &addr in &self.pages {
            let page = Page::<Size4KiB>::containing_address(VirtAddr::new(addr));
            let TranslateResult::Mapped { frame: MappedFrame::Size4KiB(frame), flags, .. } =
                parent_map.translate(page.start_address())
            else {
                continue;
            };
            let flags = if flags.contains(SHARED_MAPPING) {
                flags
            } else if flags.intersects(PageTableFlags::WRITABLE | COW) {
                (flags - PageTableFlags::WRITABLE) | COW
            } else {
                flags
            };
            // SAFETY: only this space's user page changes its flags.
            if let Ok(flush) = unsafe { parent_map.update_flags(page, flags) } {
                flush.ignore();
            }
            share_frame(frame);
            // SAFETY: the child's page is unmapped (a fresh space); the frame
            // stays alive because its share count was raised just above.
            match unsafe { child_map.map_to_with_table_flags(page, frame, flags, parents, &mut GlobalFrames) } {
                Ok(flush) => flush.ignore(),
                Err(_) => {
                    release_frame(frame);
                    return Err(Errno::ENOMEM);
                }
            }
            child.pages.insert(addr);
        }
        // The parent's writable pages just became read-only: drop stale TLB entries.
        if Cr3::read().0 == self.l4 {
            x86_64::instructions::tlb::flush_all();
        }
        Ok(child)
    }

    /// Resolves a write to a COW page at `addr`: the page gets a private
    /// frame (or keeps its frame if no one else shares it any more) and
    /// becomes writable. Ok(false) if `addr` is not a COW page; ENOMEM if
    /// no frame may be had (the memory limit, or none left).
    pub fn resolve_cow(&self, addr: u64) -> KResult<bool> {
        if addr >= USER_END {
            return Ok(false);
        }
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(addr));
        let mut mapper = table(self.l4);
        let TranslateResult::Mapped { frame: MappedFrame::Size4KiB(old), flags, .. } = mapper.translate(page.start_address())
        else {
            return Ok(false);
        };
        if !flags.contains(COW) {
            return Ok(false);
        }
        let writable = (flags | PageTableFlags::WRITABLE) - COW;
        if !is_shared(old) {
            // SAFETY: only this space's user page changes its flags.
            if let Ok(flush) = unsafe { mapper.update_flags(page, writable) } {
                flush.flush();
            }
            return Ok(true);
        }
        self.charge_one()?;
        let Some(new) = frame::alloc() else {
            self.charge.as_ref().inspect(|c| c.uncharge());
            return Err(Errno::ENOMEM);
        };
        let (src, dst) = (super::phys_to_virt(old.start_address()), super::phys_to_virt(new.start_address()));
        // SAFETY: both frames are whole 4 KiB frames mapped by the physical
        // window; `new` is fresh, so the two do not overlap.
        unsafe { core::ptr::copy_nonoverlapping(src.as_ptr::<u8>(), dst.as_mut_ptr::<u8>(), PAGE as usize) };
        let Ok((_, flush)) = mapper.unmap(page) else {
            frame::free(new);
            self.charge.as_ref().inspect(|c| c.uncharge());
            return Ok(false);
        };
        flush.flush();
        let parents = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::USER_ACCESSIBLE;
        // SAFETY: the page was unmapped just above; `new` is a private frame.
        match unsafe { mapper.map_to_with_table_flags(page, new, writable, parents, &mut GlobalFrames) } {
            Ok(flush) => flush.flush(),
            Err(_) => {
                frame::free(new);
                self.charge.as_ref().inspect(|c| c.uncharge());
                return Err(Errno::ENOMEM);
            }
        }
        if release_frame(old) {
            self.charge.as_ref().inspect(|c| c.uncharge());
        }
        Ok(true)
    }

    /// Marks the mapped pages of `[start, start+len)` as MAP_SHARED.
    pub fn mark_shared(&self, start: u64, len: u64) {
        let mut mapper = table(self.l4);
        for addr in self.pages.range(start..start.saturating_add(len)) {
            let page = Page::<Size4KiB>::containing_address(VirtAddr::new(*addr));
            if let TranslateResult::Mapped { flags, .. } = mapper.translate(page.start_address()) {
                // SAFETY: only this space's user page changes its flags.
                if let Ok(flush) = unsafe { mapper.update_flags(page, flags | SHARED_MAPPING) } {
                    flush.flush();
                }
            }
        }
    }

    /// Number of pages mapped (resident: every mapped page has a frame).
    pub fn resident_pages(&self) -> usize {
        self.pages.len()
    }

    /// The kernel address of user address `addr` if the page allows `write`.
    fn resolve(&self, addr: u64, write: bool) -> KResult<VirtAddr> {
        if addr >= USER_END {
            return Err(Errno::EFAULT);
        }
        match table(self.l4).translate(VirtAddr::new(addr)) {
            TranslateResult::Mapped { frame: MappedFrame::Size4KiB(f), offset, flags } => {
                if !flags.contains(PageTableFlags::USER_ACCESSIBLE) || (write && !flags.contains(PageTableFlags::WRITABLE)) {
                    return Err(Errno::EFAULT);
                }
                Ok(super::phys_to_virt(f.start_address() + offset))
            }
            _ => Err(Errno::EFAULT),
        }
    }

    /// Copies `data` to user address `addr` (the space need not be active).
    /// `force` writes even read-only pages (for the ELF loader).
    fn write_at(&self, addr: u64, data: &[u8], force: bool) -> KResult<()> {
        let mut done = 0usize;
        while done < data.len() {
            let at = addr.checked_add(done as u64).ok_or(Errno::EFAULT)?;
            let room = (PAGE - at % PAGE) as usize;
            let n = room.min(data.len() - done);
            let dst = match self.resolve(at, !force) {
                Err(Errno::EFAULT) if !force && self.resolve_cow(at)? => self.resolve(at, true)?,
                other => other?,
            };
            // SAFETY: `dst` maps `n` bytes of one user page (n stays within the
            // page) through the physical-memory window.
            unsafe { core::ptr::copy_nonoverlapping(data[done..].as_ptr(), dst.as_mut_ptr::<u8>(), n) };
            done += n;
        }
        Ok(())
    }

    /// Copies kernel data into user memory that the process may write.
    pub fn copy_out(&self, addr: u64, data: &[u8]) -> KResult<()> {
        self.write_at(addr, data, false)
    }

    /// Loader's write: ignores the page's write permission.
    pub fn load(&self, addr: u64, data: &[u8]) -> KResult<()> {
        self.write_at(addr, data, true)
    }

    /// Copies user memory into `buf`.
    pub fn copy_in(&self, addr: u64, buf: &mut [u8]) -> KResult<()> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = addr.checked_add(done as u64).ok_or(Errno::EFAULT)?;
            let room = (PAGE - at % PAGE) as usize;
            let n = room.min(buf.len() - done);
            let src = self.resolve(at, false)?;
            // SAFETY: as in `write_at`, reading instead of writing.
            unsafe { core::ptr::copy_nonoverlapping(src.as_ptr::<u8>(), buf[done..].as_mut_ptr(), n) };
            done += n;
        }
        Ok(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes.
    pub fn copy_in_str(&self, addr: u64, max: usize) -> KResult<alloc::string::String> {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            let mut b = [0u8; 1];
            self.copy_in(at, &mut b)?;
            if b[0] == 0 {
                break;
            }
            if out.len() >= max {
                return Err(Errno::ENAMETOOLONG);
            }
            out.push(b[0]);
            at = at.checked_add(1).ok_or(Errno::EFAULT)?;
        }
        alloc::string::String::from_utf8(out).map_err(|_| Errno::EINVAL)
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        if Cr3::read().0 == self.l4 {
            // Never free the tables the CPU is using: fall back to the kernel's.
            activate_kernel(kernel_l4());
        }
        let pages = core::mem::take(&mut self.pages);
        let mut mapper = table(self.l4);
        for addr in pages {
            let page = Page::<Size4KiB>::containing_address(VirtAddr::new(addr));
            if let Ok((frame, flush)) = mapper.unmap(page) {
                flush.ignore();
                self.release(frame);
            }
        }
        // Free the lower half's page tables (levels 3..1), then the level-4 table.
        let l4 = super::phys_to_virt(self.l4.start_address()).as_mut_ptr::<PageTable>();
        // SAFETY: this space owns its lower-half tables; it is not active
        // (checked above).
        unsafe { free_tables(&mut *l4, 4) };
        frame::free(self.l4);
    }
}

/// Frees the page-table frames below `table` (lower half only at level 4).
///
/// # Safety
/// The tables must be owned by one address space that is no longer in use.
unsafe fn free_tables(table: &mut PageTable, level: u8) {
    let range = if level == 4 { 0..256 } else { 0..512 };
    for i in range {
        let entry = &mut table[i];
        if entry.is_unused() || level == 1 || entry.flags().contains(PageTableFlags::HUGE_PAGE) {
            continue;
        }
        let frame = PhysFrame::containing_address(entry.addr());
        let child = super::phys_to_virt(frame.start_address()).as_mut_ptr::<PageTable>();
        // SAFETY: guaranteed by the caller, recursively.
        unsafe { free_tables(&mut *child, level - 1) };
        frame::free(frame);
        entry.set_unused();
    }
}

static KERNEL_L4: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Records the boot page table (the kernel's own) as the one to fall back to.
pub fn init() {
    KERNEL_L4.store(Cr3::read().0.start_address().as_u64(), core::sync::atomic::Ordering::Relaxed);
}

fn kernel_l4() -> PhysFrame {
    PhysFrame::containing_address(PhysAddr::new(KERNEL_L4.load(core::sync::atomic::Ordering::Relaxed)))
}

/// Switches back to the kernel's own table (the boot one).
pub fn activate_kernel(kernel_l4: PhysFrame) {
    // SAFETY: the boot table maps the kernel.
    unsafe { Cr3::write(kernel_l4, Cr3Flags::empty()) };
}

/// Switches to the kernel's own table (a thread without a user space).
pub fn activate_kernel_table() {
    if Cr3::read().0 != kernel_l4() {
        activate_kernel(kernel_l4());
    }
}

/// Writable pages whose frame is shared become read-only + COW (except
/// MAP_SHARED pages, which stay as asked).
fn cow_adjust(flags: PageTableFlags, frame: PhysAddr) -> PageTableFlags {
    if flags.contains(SHARED_MAPPING) {
        return flags - COW;
    }
    let logically_writable = flags.intersects(PageTableFlags::WRITABLE | COW);
    if !logically_writable {
        return flags - COW;
    }
    if is_shared(PhysFrame::containing_address(frame)) {
        (flags - PageTableFlags::WRITABLE) | COW
    } else {
        (flags | PageTableFlags::WRITABLE) - COW
    }
}
