//! The boot contract: where both boot paths (the `bootloader` crate's BIOS
//! stages, and the PVH entry `arch::pvh`) put things. The kernel itself sits
//! at its link address (kernel/linker.ld). Level-4 slots: 256 the
//! physical-memory window (it may take 257 too: the bootloader covers every
//! E820 range, up to 1 TiB on QEMU), 448 the heap (`mm::heap`), 510 the boot
//! stack, 511 the kernel; the bootloader puts its `BootInfo` in a free slot
//! from 256 on, the PVH path in the kernel's .bss.

use core::sync::atomic::{AtomicU64, Ordering};

/// The boot stack `kmain` runs on (and the shell after it).
pub const BOOT_STACK_SIZE: u64 = 256 * 1024;
/// Where physical memory is mapped (the physical-memory window).
pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
/// The boot stack's unmapped guard page; the stack follows it.
pub const BOOT_STACK_GUARD: u64 = 0xffff_ff00_0000_0000;

static KERNEL_BASE: AtomicU64 = AtomicU64::new(0);

/// Records where the boot path placed the kernel image.
pub fn set_kernel_base(base: u64) {
    KERNEL_BASE.store(base, Ordering::Relaxed);
}

/// Where the kernel image was placed (to turn addresses in stack traces
/// into offsets for `addr2line`).
pub fn kernel_base() -> u64 {
    KERNEL_BASE.load(Ordering::Relaxed)
}
