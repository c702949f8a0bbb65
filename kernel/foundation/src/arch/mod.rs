//! x86_64 support: GDT/TSS, IDT, legacy PIC + PIT timer, port I/O, CPU helpers,
//! the RTC, stack walking, the user-mode entries and FPU state (`usermode`),
//! and the PVH entry (`pvh`) for booting without a boot loader.
//! Invariants: interrupt handlers never allocate and never block; every lock
//! an interrupt handler takes is an [`crate::sync::IrqMutex`].

pub mod backtrace;
pub mod cpu;
pub mod gdt;
pub mod idt;
pub mod pic;
pub mod port;
pub mod pvh;
pub mod rtc;
pub mod usermode;

/// Early CPU setup: descriptor tables and exception handlers. Interrupts stay
/// disabled until [`enable_interrupts`].
pub fn init() {
    gdt::init();
    idt::init();
    usermode::init();
}

/// Programs the interrupt controller and the timer (`hz` ticks per second).
pub fn init_interrupt_controller(hz: u32) {
    pic::init(hz);
}

pub use cpu::{enable_interrupts, halt_forever};
