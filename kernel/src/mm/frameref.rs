//! Who owns a frame of user memory, and byte access to frames.
//!
//! A frame mapped into user space (or held by the page cache) has owners: a
//! page-table entry, a [`super::pagecache::FileImage`], a
//! [`super::filemap::SharedFile`]. One owner is the common case and costs
//! nothing; two or more are counted in `SHARED` (absent = one owner). The
//! last [`release`] frees the frame.
//! Invariants: a frame is written through [`bytes_mut`] only by its sole
//! owner, or for a shared file page (the point of sharing it).
//! May call: `frame`, `phys_to_virt`.

use alloc::collections::BTreeMap;
use x86_64::structures::paging::PhysFrame;

use super::frame;
use crate::sync::IrqMutex;

pub const PAGE: usize = 4096;

/// Owners of shared frames (physical address -> count >= 2).
static SHARED: IrqMutex<BTreeMap<u64, u32>> = IrqMutex::new(BTreeMap::new());

/// Adds an owner to `f`.
pub fn share(f: PhysFrame) {
    let mut shared = SHARED.lock();
    *shared.entry(f.start_address().as_u64()).or_insert(1) += 1;
}

/// Whether `f` has more than one owner.
pub fn is_shared(f: PhysFrame) -> bool {
    SHARED.lock().contains_key(&f.start_address().as_u64())
}

/// Drops one owner of `f`; frees it when it was the last (true then).
pub fn release(f: PhysFrame) -> bool {
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

/// Frames with more than one owner right now (for `mem`).
pub fn shared_count() -> usize {
    SHARED.lock().len()
}

/// A fresh frame for user memory or the page cache (contents undefined).
/// When memory runs out, the page cache gives back what no one maps. The
/// kernel's reserve ([`super::kernel_reserve_frames`]) is never handed out.
pub fn alloc() -> Option<PhysFrame> {
    let above_reserve = || frame::counts().1 > super::kernel_reserve_frames();
    if !above_reserve() {
        super::pagecache::shrink();
        if !above_reserve() {
            return None;
        }
    }
    frame::alloc().or_else(|| {
        super::pagecache::shrink();
        frame::alloc()
    })
}

/// The bytes of a frame, through the physical-memory window.
pub fn bytes(f: PhysFrame) -> &'static [u8] {
    let virt = super::phys_to_virt(f.start_address());
    // SAFETY: the window maps every frame; the caller holds an owner of `f`,
    // so it stays allocated while the slice is used (within one kernel path,
    // which nothing preempts).
    unsafe { core::slice::from_raw_parts(virt.as_ptr::<u8>(), PAGE) }
}

/// The bytes of a frame, writable (see the module invariants).
pub fn bytes_mut(f: PhysFrame) -> &'static mut [u8] {
    let virt = super::phys_to_virt(f.start_address());
    // SAFETY: as in `bytes`; the caller is the frame's only writer (sole
    // owner, or the shared file that the mapping processes write anyway).
    unsafe { core::slice::from_raw_parts_mut(virt.as_mut_ptr::<u8>(), PAGE) }
}
