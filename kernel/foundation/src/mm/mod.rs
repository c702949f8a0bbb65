//! Memory: the physical-memory window, physical frames, the kernel's page
//! tables, the heap, frame contents, and user page tables.
//!
//! `frame`: the bitmap frame allocator; `paging`: the kernel's own page
//! tables (the heap's growth); `heap`: the global allocator; `pagetable`:
//! a user address space's level-4 table (lower half private, upper half the
//! kernel's) and its entries.
//! Invariants: lock order is heap -> page tables -> frames; the frame
//! allocator and the mapper never allocate from the heap. Frames handed to
//! [`with_frame`]/[`with_frame_mut`], [`copy_frame`], [`copy_to_frame`]/[`copy_from_frame`]
//! and user page tables are untyped memory (user pages, the page cache, DMA
//! buffers): no Rust object lives in them, their owners are counted by the
//! kernel (`mm::frameref`).

pub mod frame;
pub mod heap;
pub mod pagetable;
pub mod paging;

use bootloader_api::info::MemoryRegions;
use x86_64::structures::paging::PhysFrame;
use x86_64::{PhysAddr, VirtAddr};

/// Size of a frame.
pub const PAGE: usize = 4096;

/// Sets up frames, paging and the heap. Must run before anything allocates.
pub fn init(regions: &'static MemoryRegions, phys_offset: u64) {
    paging::init(phys_offset);
    frame::init(regions, phys_offset);
    heap::init();
    pagetable::init();
}

/// The kernel-virtual address of a physical address (the physical-memory window).
pub fn phys_to_virt(phys: PhysAddr) -> VirtAddr {
    paging::phys_to_virt(phys)
}

/// Runs `op` on the bytes of frame `f` (through the physical-memory
/// window); the caller holds an owner of `f`, an untyped frame.
pub fn with_frame<R>(f: PhysFrame, op: impl FnOnce(&[u8]) -> R) -> R {
    let virt = phys_to_virt(f.start_address());
    // SAFETY: the window maps every frame; the caller's owner keeps `f`
    // allocated while `op` runs, and an untyped frame holds no Rust object
    // (see the module doc), so the slice aliases none.
    op(unsafe { core::slice::from_raw_parts(virt.as_ptr::<u8>(), PAGE) })
}

/// Runs `op` on the bytes of frame `f`, writable: the caller is the frame's
/// only kernel writer (its sole owner, or the shared file that the mapping
/// processes write anyway).
pub fn with_frame_mut<R>(f: PhysFrame, op: impl FnOnce(&mut [u8]) -> R) -> R {
    let virt = phys_to_virt(f.start_address());
    // SAFETY: as in `with_frame`; the borrow ends with `op`.
    op(unsafe { core::slice::from_raw_parts_mut(virt.as_mut_ptr::<u8>(), PAGE) })
}

/// Copies frame `src` into frame `dst` (nothing if they are the same).
pub fn copy_frame(src: PhysFrame, dst: PhysFrame) {
    if src == dst {
        return;
    }
    let (from, to) = (phys_to_virt(src.start_address()), phys_to_virt(dst.start_address()));
    // SAFETY: two distinct frames, both mapped whole by the window; untyped
    // (see the module doc), so no Rust object is overwritten.
    unsafe { core::ptr::copy_nonoverlapping(from.as_ptr::<u8>(), to.as_mut_ptr::<u8>(), PAGE) };
}

/// Copies `src` into frame `f` at `offset`; false (nothing copied) if it
/// would pass the frame's end.
pub fn copy_to_frame(f: PhysFrame, offset: usize, src: &[u8]) -> bool {
    if offset.checked_add(src.len()).is_none_or(|end| end > PAGE) {
        return false;
    }
    let dst = phys_to_virt(f.start_address() + offset as u64);
    // SAFETY: [offset, offset + len) lies within the frame (checked), which
    // the window maps; an untyped frame overlaps no Rust object, so not `src`.
    unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr::<u8>(), src.len()) };
    true
}

/// Fills `dst` from frame `f` at `offset`; false (nothing copied) if it
/// would pass the frame's end.
pub fn copy_from_frame(f: PhysFrame, offset: usize, dst: &mut [u8]) -> bool {
    if offset.checked_add(dst.len()).is_none_or(|end| end > PAGE) {
        return false;
    }
    let src = phys_to_virt(f.start_address() + offset as u64);
    // SAFETY: as in `copy_to_frame`, reading instead of writing.
    unsafe { core::ptr::copy_nonoverlapping(src.as_ptr::<u8>(), dst.as_mut_ptr(), dst.len()) };
    true
}
