//! The kernel heap: `linked_list_allocator` over a virtual range that grows
//! on demand. When an allocation does not fit, fresh frames are mapped at the
//! heap's end and the heap is extended, up to `HEAP_MAX`.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};
use linked_list_allocator::Heap;
use x86_64::VirtAddr;

use super::paging;
use crate::sync::IrqMutex;

/// The heap's virtual range: level-4 slot 448, which the bootloader leaves free
/// (checked at init).
const HEAP_START: u64 = 0xffff_e000_0000_0000;
const HEAP_INITIAL: u64 = 1024 * 1024;
const HEAP_MAX: u64 = 64 * 1024 * 1024 * 1024;
/// Grow by at least this much at a time.
const GROW_MIN: u64 = 1024 * 1024;

struct KernelHeap {
    heap: IrqMutex<Heap>,
}

#[global_allocator]
static ALLOCATOR: KernelHeap = KernelHeap { heap: IrqMutex::new(Heap::empty()) };

pub fn init() {
    assert!(paging::l4_entry_free(VirtAddr::new(HEAP_START)), "heap range already in use");
    paging::map_fresh(VirtAddr::new(HEAP_START), HEAP_INITIAL / 4096).expect("cannot map the initial heap");
    // SAFETY: [HEAP_START, +HEAP_INITIAL) was just mapped, writable, and is used
    // by nothing but this heap.
    unsafe { ALLOCATOR.heap.lock().init(HEAP_START as *mut u8, HEAP_INITIAL as usize) };
}

/// (mapped heap size, bytes in use).
pub fn usage() -> (usize, usize) {
    let heap = ALLOCATOR.heap.lock();
    (heap.size(), heap.used())
}

fn grow(heap: &mut Heap, layout: &Layout) -> bool {
    let need = (layout.size() + layout.align()) as u64;
    let by = need.max(GROW_MIN).next_multiple_of(4096);
    let top = heap.top() as u64;
    if top + by > HEAP_START + HEAP_MAX {
        return false;
    }
    if paging::map_fresh(VirtAddr::new(top), by / 4096).is_err() {
        return false;
    }
    // SAFETY: [top, top+by) directly follows the heap and was just mapped.
    unsafe { heap.extend(by as usize) };
    true
}

// SAFETY: allocation and deallocation go through the locked `Heap`, which hands
// out disjoint, correctly aligned blocks of mapped memory.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.heap.lock();
        loop {
            if let Ok(ptr) = heap.allocate_first_fit(layout) {
                return ptr.as_ptr();
            }
            if !grow(&mut heap, &layout) {
                return null_mut();
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(ptr) = NonNull::new(ptr) {
            // SAFETY: the caller passes a pointer this allocator returned for `layout`.
            unsafe { self.heap.lock().deallocate(ptr, layout) };
        }
    }
}
