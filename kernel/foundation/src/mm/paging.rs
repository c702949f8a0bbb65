//! The kernel's page tables, reached through the bootloader's physical-memory
//! window.

use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::{
    Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

use super::frame::{self, GlobalFrames};
use crate::sync::IrqMutex;

static PHYS_OFFSET: AtomicU64 = AtomicU64::new(0);
static MAPPER: IrqMutex<Option<OffsetPageTable<'static>>> = IrqMutex::new(None);

#[derive(Debug)]
pub enum MapError {
    OutOfFrames,
    AlreadyMapped,
}

pub fn init(phys_offset: u64) {
    PHYS_OFFSET.store(phys_offset, Ordering::Relaxed);
    let (l4_frame, _) = Cr3::read();
    let l4_virt = phys_to_virt(l4_frame.start_address());
    // SAFETY: CR3 holds the active level-4 table, which the physical-memory
    // window maps at `phys_offset`; this is the only reference we create to it.
    let table = unsafe { &mut *l4_virt.as_mut_ptr::<PageTable>() };
    // SAFETY: the whole of physical memory is mapped at `phys_offset`.
    *MAPPER.lock() = Some(unsafe { OffsetPageTable::new(table, VirtAddr::new(phys_offset)) });
}

pub fn phys_to_virt(phys: PhysAddr) -> VirtAddr {
    VirtAddr::new(phys.as_u64() + PHYS_OFFSET.load(Ordering::Relaxed))
}

/// True if the level-4 entry covering `addr` is unused.
pub fn l4_entry_free(addr: VirtAddr) -> bool {
    let mut guard = MAPPER.lock();
    let Some(mapper) = guard.as_mut() else { return false };
    mapper.level_4_table()[addr.p4_index()].is_unused()
}

/// Maps `count` fresh zeroed frames at `start` (page aligned), kernel-only, writable, NX.
pub fn map_fresh(start: VirtAddr, count: u64) -> Result<(), MapError> {
    let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::NO_EXECUTE;
    let mut guard = MAPPER.lock();
    let mapper = guard.as_mut().ok_or(MapError::OutOfFrames)?;
    for i in 0..count {
        let page = Page::<Size4KiB>::containing_address(start + i * 4096);
        let frame = frame::alloc_zeroed().ok_or(MapError::OutOfFrames)?;
        // SAFETY: the page lies in a kernel range reserved for this caller (the
        // heap), so mapping a fresh frame there aliases nothing.
        match unsafe { mapper.map_to(page, frame, flags, &mut GlobalFrames) } {
            Ok(flush) => flush.flush(),
            Err(_) => {
                frame::free(frame);
                return Err(MapError::AlreadyMapped);
            }
        }
    }
    Ok(())
}
