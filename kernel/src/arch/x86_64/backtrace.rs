//! Stack traces by walking the frame-pointer chain (the kernel is built with
//! `-C force-frame-pointers=yes`). Only frames inside known kernel stacks are
//! followed, so a corrupt chain ends the walk instead of faulting again.

use core::sync::atomic::{AtomicU64, Ordering};

const MAX_FRAMES: usize = 24;

/// Bounds of the boot stack, recorded in `kmain`.
static BOOT_STACK: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Records the boot stack: `top` is the highest address, `size` its length.
pub fn set_boot_stack(top: u64, size: u64) {
    BOOT_STACK[0].store(top.saturating_sub(size), Ordering::Relaxed);
    BOOT_STACK[1].store(top, Ordering::Relaxed);
}

fn on_known_stack(addr: u64) -> bool {
    let (lo, hi) = (BOOT_STACK[0].load(Ordering::Relaxed), BOOT_STACK[1].load(Ordering::Relaxed));
    let (dlo, dhi) = super::gdt::double_fault_stack();
    (addr >= lo && addr + 16 <= hi) || (addr >= dlo && addr + 16 <= dhi)
}

/// Prints `rip` (unless 0: not known) and the return addresses found from the frame pointer `rbp`.
pub fn print_from(rip: u64, mut rbp: u64) {
    let base = crate::kernel_base();
    crate::console::emergency_print(format_args!("stack trace (kernel loaded at {base:#x}; addr2line -e <kernel> <addr - base>):\n"));
    if rip != 0 {
        crate::console::emergency_print(format_args!("  #0  {rip:#018x}\n"));
    }
    for n in 1..MAX_FRAMES {
        if rbp % 8 != 0 || !on_known_stack(rbp) {
            break;
        }
        // SAFETY: rbp is 8-byte aligned and [rbp, rbp+16) lies inside a mapped
        // kernel stack (checked above), so both loads read valid memory.
        let (next, ret) = unsafe { (*(rbp as *const u64), *((rbp + 8) as *const u64)) };
        if ret == 0 {
            break;
        }
        crate::console::emergency_print(format_args!("  #{n:<2} {ret:#018x}\n"));
        if next <= rbp {
            break;
        }
        rbp = next;
    }
}
