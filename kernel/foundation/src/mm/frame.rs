//! Physical frame allocator: a bitmap over all RAM the boot map reports, kept
//! in a usable region of physical memory itself (so it needs no heap).
//!
//! Allocation scans from a roving hint, a word (64 frames) at a time.
//! Invariants: bit set = frame in use; frames outside `Usable` regions are
//! always marked used.

use bootloader_api::info::{MemoryRegionKind, MemoryRegions};
use x86_64::structures::paging::{FrameAllocator, FrameDeallocator, PhysFrame, Size4KiB};
use x86_64::PhysAddr;

use crate::sync::IrqMutex;

const FRAME: u64 = 4096;

struct Bitmap {
    words: &'static mut [u64],
    total: usize,
    free: usize,
    hint: usize,
}

static FRAMES: IrqMutex<Option<Bitmap>> = IrqMutex::new(None);

impl Bitmap {
    fn set(&mut self, frame: usize, used: bool) {
        let (w, b) = (frame / 64, frame % 64);
        let Some(word) = self.words.get_mut(w) else { return };
        let was_used = *word & (1 << b) != 0;
        if used && !was_used {
            *word |= 1 << b;
            self.free -= 1;
        } else if !used && was_used {
            *word &= !(1 << b);
            self.free += 1;
        }
    }

    fn is_free(&self, frame: usize) -> bool {
        frame < self.total && self.words.get(frame / 64).is_some_and(|w| w & (1 << (frame % 64)) == 0)
    }

    /// `count` physically contiguous frames (first fit from the hint).
    fn alloc_run(&mut self, count: usize) -> Option<usize> {
        let mut start = 0;
        while start + count <= self.total {
            match (start..start + count).find(|&f| !self.is_free(f)) {
                Some(used) => start = used + 1,
                None => {
                    for f in start..start + count {
                        self.set(f, true);
                    }
                    return Some(start);
                }
            }
        }
        None
    }

    fn alloc(&mut self) -> Option<usize> {
        let n = self.words.len();
        for i in 0..n {
            let w = (self.hint + i) % n;
            let word = self.words[w];
            if word != u64::MAX {
                let bit = (!word).trailing_zeros() as usize;
                let frame = w * 64 + bit;
                if frame >= self.total {
                    continue;
                }
                self.set(frame, true);
                self.hint = w;
                return Some(frame);
            }
        }
        None
    }
}

pub fn init(regions: &'static MemoryRegions, phys_offset: u64) {
    let usable = || regions.iter().filter(|r| r.kind == MemoryRegionKind::Usable);
    let top = usable().map(|r| r.end).max().unwrap_or(0);
    let total = (top / FRAME) as usize;
    let words_needed = total.div_ceil(64);
    let bytes_needed = (words_needed * 8) as u64;

    // Place the bitmap at the start of the first usable region large enough.
    let region = usable()
        .find(|r| r.start.next_multiple_of(FRAME) + bytes_needed <= r.end)
        .expect("no usable region can hold the frame bitmap");
    let bitmap_phys = region.start.next_multiple_of(FRAME);
    let bitmap_virt = phys_offset + bitmap_phys;
    // SAFETY: [bitmap_phys, +bytes_needed) is usable RAM nobody else owns (it is
    // marked used below before any frame is handed out), mapped by the
    // bootloader's physical-memory window at `phys_offset`, and 8-byte aligned.
    let words = unsafe { core::slice::from_raw_parts_mut(bitmap_virt as *mut u64, words_needed) };
    words.fill(u64::MAX);

    let mut bitmap = Bitmap { words, total, free: total, hint: 0 };
    // `free` starts as `total` with every bit set; recount properly.
    bitmap.free = 0;
    for r in usable() {
        let first = r.start.div_ceil(FRAME) as usize;
        let last = (r.end / FRAME) as usize;
        bitmap.free += last.saturating_sub(first);
        // A word (64 frames) at a time: 512 MiB is 131072 frames.
        let mut f = first;
        while f < last {
            let (w, b) = (f / 64, f % 64);
            let n = (64 - b).min(last - f);
            let bits = if n == 64 { u64::MAX } else { ((1u64 << n) - 1) << b };
            bitmap.words[w] &= !bits;
            f += n;
        }
    }
    // The bitmap's own frames, and frame 0 (keep null physical addresses invalid).
    let bitmap_frames = bytes_needed.div_ceil(FRAME) as usize;
    let first = (bitmap_phys / FRAME) as usize;
    for f in first..first + bitmap_frames {
        bitmap.set(f, true);
    }
    bitmap.set(0, true);
    log::info!(
        "memory: {} MiB usable, {} frames free, bitmap {} KiB",
        bitmap.free * 4 / 1024,
        bitmap.free,
        bytes_needed / 1024
    );
    *FRAMES.lock() = Some(bitmap);
}

/// (total frames, free frames).
pub fn counts() -> (usize, usize) {
    FRAMES.lock().as_ref().map_or((0, 0), |b| (b.total, b.free))
}

/// Allocates one 4 KiB frame (contents undefined).
pub fn alloc() -> Option<PhysFrame> {
    let frame = FRAMES.lock().as_mut()?.alloc()?;
    Some(PhysFrame::containing_address(PhysAddr::new(frame as u64 * FRAME)))
}

/// Allocates one frame and fills it with zeros.
pub fn alloc_zeroed() -> Option<PhysFrame> {
    let frame = alloc()?;
    let virt = super::phys_to_virt(frame.start_address());
    // SAFETY: the frame was just allocated, so nothing else references it, and
    // the physical-memory window maps all 4096 bytes of it.
    unsafe { core::ptr::write_bytes(virt.as_mut_ptr::<u8>(), 0, FRAME as usize) };
    Some(frame)
}

/// Allocates `count` physically contiguous zeroed frames (for DMA).
pub fn alloc_contiguous(count: usize) -> Option<PhysAddr> {
    let first = FRAMES.lock().as_mut()?.alloc_run(count)?;
    let phys = PhysAddr::new(first as u64 * FRAME);
    let virt = super::phys_to_virt(phys);
    // SAFETY: the frames were just allocated, so nothing else references them,
    // and the physical-memory window maps them contiguously.
    unsafe { core::ptr::write_bytes(virt.as_mut_ptr::<u8>(), 0, count * FRAME as usize) };
    Some(phys)
}

/// Frees `count` contiguous frames starting at `phys`.
pub fn free_contiguous(phys: PhysAddr, count: usize) {
    if let Some(b) = FRAMES.lock().as_mut() {
        let first = (phys.as_u64() / FRAME) as usize;
        for f in first..first + count {
            b.set(f, false);
        }
    }
}

pub fn free(frame: PhysFrame) {
    if let Some(b) = FRAMES.lock().as_mut() {
        b.set((frame.start_address().as_u64() / FRAME) as usize, false);
    }
}

/// The allocator the `x86_64` mapper uses for new page-table frames.
pub struct GlobalFrames;

// SAFETY: `alloc_zeroed` returns frames that are unused and zeroed, as the
// mapper requires for fresh page tables.
unsafe impl FrameAllocator<Size4KiB> for GlobalFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame> {
        alloc_zeroed()
    }
}

impl FrameDeallocator<Size4KiB> for GlobalFrames {
    unsafe fn deallocate_frame(&mut self, frame: PhysFrame) {
        free(frame);
    }
}
