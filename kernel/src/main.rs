//! The Cyrius kernel: a bare-metal x86_64 kernel that runs OCI containers.
//!
//! This crate is thin glue over the host-testable crates in `kernel/crates/`.
//! Layers, each a folder whose doc names what it may call (arrows point down):
//! `shell` -> `fs` -> `dev`, `mm`, `console`, `time`, `power` -> `arch`.
//! `unsafe` is confined to `arch` (CPU, ports, descriptor tables), `mm`
//! (frames, page tables, the heap) and the console's emergency path.

#![no_std]
#![no_main]
#![feature(abi_x86_interrupt)]

extern crate alloc;

mod abi;
mod arch;
mod console;
mod container;
mod dev;
mod file;
mod fs;
mod live;
mod mm;
mod net;
mod panic;
mod power;
mod sched;
mod shell;
mod sync;
mod task;
mod time;

use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::{entry_point, BootInfo};
use core::sync::atomic::{AtomicU64, Ordering};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The boot stack `kmain` runs on (and the shell after it).
pub const BOOT_STACK_SIZE: u64 = 256 * 1024;
/// The boot contract: where both boot paths (the `bootloader` crate's BIOS
/// stages, and the PVH entry `arch::x86_64::pvh`) put things. The kernel
/// itself sits at its link address (kernel/linker.ld). Level-4 slots: 256 the
/// physical-memory window (it may take 257 too: the bootloader covers every
/// E820 range, up to 1 TiB on QEMU), 448 the heap (`mm::heap`), 510 the boot
/// stack, 511 the kernel; the bootloader puts its `BootInfo` in a free slot
/// from 256 on, the PVH path in the kernel's .bss.
pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
/// The boot stack's unmapped guard page; the stack follows it.
pub const BOOT_STACK_GUARD: u64 = 0xffff_ff00_0000_0000;

pub static BOOT_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.physical_memory = Some(Mapping::FixedAddress(PHYS_OFFSET));
    config.mappings.kernel_stack = Mapping::FixedAddress(BOOT_STACK_GUARD);
    // Keep every bootloader-chosen mapping in the upper half: the lower half
    // belongs to user address spaces.
    config.mappings.dynamic_range_start = Some(0xffff_8000_0000_0000);
    config.kernel_stack_size = BOOT_STACK_SIZE;
    config
};

entry_point!(kmain, config = &BOOT_CONFIG);

static KERNEL_BASE: AtomicU64 = AtomicU64::new(0);

/// Where the bootloader placed the kernel image (to turn addresses in stack
/// traces into offsets for `addr2line`).
pub fn kernel_base() -> u64 {
    KERNEL_BASE.load(Ordering::Relaxed)
}

fn kmain(boot_info: &'static mut BootInfo) -> ! {
    let boot_tsc = arch::cpu::rdtsc();
    console::init();
    KERNEL_BASE.store(boot_info.kernel_image_offset, Ordering::Relaxed);
    let stack_top = arch::cpu::stack_pointer().next_multiple_of(4096);
    arch::backtrace::set_boot_stack(stack_top, BOOT_STACK_SIZE);
    arch::init();

    let phys_offset = boot_info
        .physical_memory_offset
        .into_option()
        .expect("the bootloader maps physical memory (BOOT_CONFIG asks for it)");
    mm::init(&boot_info.memory_regions, phys_offset);
    task::init();

    arch::init_interrupt_controller(time::HZ);
    time::init();
    console::enable_input_interrupts();
    arch::enable_interrupts();
    dev::pci::init();
    dev::virtio::blk::probe();
    dev::virtio::net::probe();
    dev::virtio::console::probe();
    fs::init();
    file::tty::init();
    task::timer::init();
    if let Err(e) = task::procfs::mount(fs::host(), &task::pidns::host()) {
        log::error!("host fs: mount /proc: {e}");
    }
    net::init();

    log::info!(
        "Cyrius {VERSION} up: kernel at {:#x}, {} Mcycles since entry",
        kernel_base(),
        (arch::cpu::rdtsc() - boot_tsc) / 1_000_000
    );
    if dev::virtio::console::present() {
        container::microvm::run()
    }
    shell::run()
}
