//! Stack traces by walking the frame-pointer chain (the kernel and its
//! build-std crates are built with `-C force-frame-pointers=yes`). Only
//! frames inside a known kernel stack are followed (the boot stack, the
//! double-fault stack, the running thread's kernel stack, or the stack a
//! caller names), so a corrupt chain ends the walk instead of faulting again.
//!
//! Each frame line is `  #N  0x<address>`; the header names the load base, so
//! `addr2line -e <kernel ELF> <address - base>` finds the source line (the
//! host runner does this itself, see boot/src/symbolize.rs).

use core::sync::atomic::{AtomicU64, Ordering};

const MAX_FRAMES: usize = 32;

/// Bounds of the boot stack, recorded in `kmain`.
static BOOT_STACK: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
/// Bounds of the running thread's kernel stack, set at every switch.
static CURRENT_STACK: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Records the boot stack: `top` is the highest address, `size` its length.
pub fn set_boot_stack(top: u64, size: u64) {
    BOOT_STACK[0].store(top.saturating_sub(size), Ordering::Relaxed);
    BOOT_STACK[1].store(top, Ordering::Relaxed);
}

/// Records the kernel stack `[lo, hi)` of the thread about to run (0, 0:
/// it runs on the boot stack).
pub fn set_current_stack(lo: u64, hi: u64) {
    CURRENT_STACK[0].store(lo, Ordering::Relaxed);
    CURRENT_STACK[1].store(hi, Ordering::Relaxed);
}

fn within(addr: u64, lo: u64, hi: u64) -> bool {
    addr >= lo && addr.checked_add(16).is_some_and(|end| end <= hi)
}

fn on_known_stack(addr: u64) -> bool {
    let (lo, hi) = (BOOT_STACK[0].load(Ordering::Relaxed), BOOT_STACK[1].load(Ordering::Relaxed));
    let (clo, chi) = (CURRENT_STACK[0].load(Ordering::Relaxed), CURRENT_STACK[1].load(Ordering::Relaxed));
    let (dlo, dhi) = super::gdt::double_fault_stack();
    within(addr, lo, hi) || within(addr, clo, chi) || within(addr, dlo, dhi)
}

/// True if the 8-byte-aligned `[addr, addr + len)` lies on a known stack or on `stack`.
pub fn on_stack(addr: u64, len: u64, stack: Option<(u64, u64)>) -> bool {
    let Some(last) = addr.checked_add(len.max(16) - 16) else { return false };
    let ok = |a: u64| on_known_stack(a) || stack.is_some_and(|(lo, hi)| within(a, lo, hi));
    addr % 8 == 0 && ok(addr) && ok(last)
}

/// Prints the header line and `rip` (unless 0: not known), then the return
/// addresses found from the frame pointer `rbp` on the known stacks.
pub fn print_from(rip: u64, rbp: u64) {
    header();
    walk(rip, rbp, None);
}

/// The header of a trace: where the kernel was loaded.
pub fn header() {
    let base = crate::kernel_base();
    crate::console::emergency_print(format_args!(
        "stack trace (kernel loaded at {base:#x}; addr2line -e <kernel> <addr - base>):\n"
    ));
}

/// Prints `rip` (unless 0) and the frames from `rbp`, following frames on
/// the known stacks and, if given, on the stack `[lo, hi)`.
pub fn walk(rip: u64, mut rbp: u64, stack: Option<(u64, u64)>) {
    if rip != 0 {
        crate::console::emergency_print(format_args!("  #0  {rip:#018x}\n"));
    }
    let ok = |addr: u64| on_known_stack(addr) || stack.is_some_and(|(lo, hi)| within(addr, lo, hi));
    for n in 1..MAX_FRAMES {
        if rbp % 8 != 0 || !ok(rbp) {
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
