//! Memory management: physical frames, the kernel's page tables, the heap,
//! user address spaces and the page cache.
//!
//! Role: turn the boot memory map into a frame allocator, map memory on
//! demand (the heap grows by mapping fresh frames), and give other layers a
//! window onto physical memory (`phys_to_virt`) for DMA and page tables.
//! `user`: address spaces with lazily filled mappings; `frameref`: frame
//! owner counts; `pagecache`: file contents shared by private mappings and
//! executables; `filemap`: MAP_SHARED objects and their write-back.
//! Invariants: lock order is heap -> page tables -> frames; the frame
//! allocator and the mapper never allocate from the heap.
//! May call: `arch`; the page cache and shared mappings read and write
//! files through `vfs::Inode` (never while holding a page-table lock).

pub mod filemap;
pub mod frame;
pub mod frameref;
pub mod heap;
pub mod pagecache;
pub mod paging;
pub mod user;

use bootloader_api::info::MemoryRegions;
use x86_64::{PhysAddr, VirtAddr};

/// Sets up frames, paging and the heap. Must run before anything allocates.
pub fn init(regions: &'static MemoryRegions, phys_offset: u64) {
    paging::init(phys_offset);
    frame::init(regions, phys_offset);
    heap::init();
}

/// The kernel-virtual address of a physical address (the physical-memory window).
pub fn phys_to_virt(phys: PhysAddr) -> VirtAddr {
    paging::phys_to_virt(phys)
}

/// Frames kept for the kernel (its heap, page tables, DMA): user memory and
/// the page cache (`frameref::alloc`) stop here, so a program or a container
/// that takes all the memory it can gets ENOMEM or an OOM kill, and the
/// kernel's own allocations (which cannot fail gracefully) still succeed.
/// 1/32 of RAM, at least 4 MiB.
pub fn kernel_reserve_frames() -> usize {
    (frame::counts().0 / 32).max(1024)
}

/// Frame and heap figures for the `mem` command.
pub struct MemStats {
    pub total_frames: usize,
    pub free_frames: usize,
    pub heap_size: usize,
    pub heap_used: usize,
}

pub fn stats() -> MemStats {
    let (total_frames, free_frames) = frame::counts();
    let (heap_size, heap_used) = heap::usage();
    MemStats { total_frames, free_frames, heap_size, heap_used }
}
