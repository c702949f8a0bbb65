//! User page tables: a level-4 table whose lower half is one address
//! space's and whose upper half is the kernel's (copied from the table
//! active at creation, so every space maps the kernel alike).
//!
//! The kernel decides what is mapped where (`mm::user` in the kernel crate:
//! mappings, frame owners, copy-on-write); this module only edits entries
//! of the lower half. Every method takes a user page (below the user half's
//! end), so the kernel's half is never changed through it.
//! Invariants: a table is freed (with the lower half's intermediate tables)
//! only when it is not active ([`UserPageTable`]'s drop switches to the
//! kernel's table first if needed); the leaf frames are the kernel's to
//! release before that.

use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::mapper::{MappedFrame, Translate, TranslateResult};
use x86_64::structures::paging::{Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame, Size4KiB};
use x86_64::PhysAddr;

use super::frame::{self, GlobalFrames};

/// Whether a change needs the TLB entry of this CPU dropped now (the table
/// is active) or not (a fresh or inactive table; the caller flushes all).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    Now,
    Later,
}

/// The level-4 table of one user address space.
pub struct UserPageTable {
    l4: PhysFrame,
}

static KERNEL_L4: AtomicU64 = AtomicU64::new(0);

/// Records the boot page table (the kernel's own) as the one to fall back to.
pub fn init() {
    KERNEL_L4.store(Cr3::read().0.start_address().as_u64(), Ordering::Relaxed);
}

fn kernel_l4() -> PhysFrame {
    PhysFrame::containing_address(PhysAddr::new(KERNEL_L4.load(Ordering::Relaxed)))
}

/// Switches to the kernel's own table (a thread without a user space).
pub fn activate_kernel_table() {
    if Cr3::read().0 != kernel_l4() {
        // SAFETY: the boot table maps the kernel.
        unsafe { Cr3::write(kernel_l4(), Cr3Flags::empty()) };
    }
}

/// The user page of `addr`, if it is one.
fn user_page(page: Page<Size4KiB>) -> bool {
    page.start_address().as_u64() < linux_abi::USER_END
}

impl UserPageTable {
    /// An empty lower half and the kernel's upper half; None without memory.
    pub fn new() -> Option<UserPageTable> {
        let l4 = frame::alloc_zeroed()?;
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
        Some(UserPageTable { l4 })
    }

    fn mapper(&self) -> OffsetPageTable<'static> {
        let virt = super::phys_to_virt(self.l4.start_address());
        let offset = super::phys_to_virt(PhysAddr::new(0));
        // SAFETY: `l4` is this table's level-4 frame, reached through the
        // physical-memory window; the mapper lives only for one call of a
        // method here, and `&self` methods of one table never nest.
        unsafe { OffsetPageTable::new(&mut *virt.as_mut_ptr::<PageTable>(), offset) }
    }

    /// True if this is the CPU's active table.
    pub fn is_active(&self) -> bool {
        Cr3::read().0 == self.l4
    }

    /// Makes this the active table.
    pub fn activate(&self) {
        // SAFETY: the table maps the kernel's upper half exactly as the current
        // one does, so the kernel keeps running after the switch.
        unsafe { Cr3::write(self.l4, Cr3Flags::empty()) };
    }

    /// The frame and flags of a present 4 KiB user page.
    pub fn translate(&self, page: Page<Size4KiB>) -> Option<(PhysFrame, PageTableFlags)> {
        if !user_page(page) {
            return None;
        }
        match self.mapper().translate(page.start_address()) {
            TranslateResult::Mapped { frame: MappedFrame::Size4KiB(f), flags, .. } => Some((f, flags)),
            _ => None,
        }
    }

    /// Maps `f` at the absent user page `page` (intermediate tables get
    /// `parents`). Err: the page is not a user page, already mapped, or no
    /// frame for a table.
    pub fn map(&self, page: Page<Size4KiB>, f: PhysFrame, flags: PageTableFlags, parents: PageTableFlags, flush: Flush) -> Result<(), ()> {
        if !user_page(page) {
            return Err(());
        }
        // SAFETY: the page is in the lower half, which holds only user
        // memory (untyped frames, see `mm`): mapping there aliases no
        // kernel object.
        match unsafe { self.mapper().map_to_with_table_flags(page, f, flags, parents, &mut GlobalFrames) } {
            Ok(fl) => {
                match flush {
                    Flush::Now => fl.flush(),
                    Flush::Later => fl.ignore(),
                }
                Ok(())
            }
            Err(_) => Err(()),
        }
    }

    /// Removes a user page; returns its frame (whose owner the entry held).
    pub fn unmap(&self, page: Page<Size4KiB>, flush: Flush) -> Option<PhysFrame> {
        if !user_page(page) {
            return None;
        }
        let (f, fl) = self.mapper().unmap(page).ok()?;
        match flush {
            Flush::Now => fl.flush(),
            Flush::Later => fl.ignore(),
        }
        Some(f)
    }

    /// Changes the flags of a present user page.
    pub fn update_flags(&self, page: Page<Size4KiB>, flags: PageTableFlags, flush: Flush) {
        if !user_page(page) {
            return;
        }
        // SAFETY: only a user page of this table changes its flags; what
        // user code may reach is the kernel's decision (see the module doc).
        if let Ok(fl) = unsafe { self.mapper().update_flags(page, flags) } {
            match flush {
                Flush::Now => fl.flush(),
                Flush::Later => fl.ignore(),
            }
        }
    }
}

/// Drops every TLB entry of this CPU (after many `Flush::Later` changes).
pub fn flush_all() {
    x86_64::instructions::tlb::flush_all();
}

impl Drop for UserPageTable {
    fn drop(&mut self) {
        if self.is_active() {
            activate_kernel_table();
        }
        let l4 = super::phys_to_virt(self.l4.start_address()).as_mut_ptr::<PageTable>();
        // SAFETY: this table owns its lower-half tables; it is not active
        // (switched away above), and no mapper of it outlives a method call.
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
