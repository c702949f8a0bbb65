//! The serial console: kernel output (`print!`, the `log` facade with levels)
//! and interrupt-driven input for the shell.
//!
//! Role: owns COM1. Output is written synchronously (the UART is fast under
//! QEMU); input arrives by IRQ 4 into a ring buffer (`input`).
//! Invariants: the UART lock is an `IrqMutex`; the panic path uses
//! [`emergency_print`], which never waits for a lock.
//! May call: `arch` (port I/O, IRQ registration), `time` (log timestamps).

pub mod input;
mod logger;
mod serial;

pub use logger::{level_name, parse_level, set_level};
pub use serial::{emergency_print, write_bytes, write_fmt};

/// Brings up COM1 and the logger. Safe to call before the heap exists.
pub fn init() {
    serial::init();
    logger::init();
}

/// Switches serial input to interrupt mode (after the PIC is programmed).
pub fn enable_input_interrupts() {
    serial::enable_rx_interrupt();
    crate::arch::pic::register(crate::arch::pic::COM1_IRQ, serial::on_irq);
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
