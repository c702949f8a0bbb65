//! COM1: the foundation's UART (`foundation::serial`) plus the console's
//! input side: received bytes into the input ring, BREAK + key commands.

use core::sync::atomic::{AtomicBool, Ordering};
use foundation::serial::LSR_BREAK;

pub use foundation::serial::{emergency_print, enable_rx_interrupt, write_bytes, write_fmt};

pub fn init() {
    foundation::serial::init(super::input::push);
}

/// A BREAK arrived: the next byte is a console command, not input.
static SYSRQ: AtomicBool = AtomicBool::new(false);

/// IRQ 4: move every received byte into the input ring. A BREAK on the line
/// (QEMU: Ctrl-A B on its terminal) makes the next key a command for the
/// kernel, as Linux's magic SysRq on a serial console: `t` prints every
/// thread's state and kernel stack; any other key lists the commands.
pub fn on_irq() {
    let mut command = None;
    foundation::serial::receive(|lsr, byte| {
        if lsr & LSR_BREAK != 0 {
            SYSRQ.store(true, Ordering::Relaxed);
        } else if SYSRQ.swap(false, Ordering::Relaxed) {
            command = Some(byte);
        } else {
            super::input::push(byte);
        }
    });
    if let Some(key) = command {
        sysrq(key);
    }
}

fn sysrq(key: u8) {
    match key {
        b't' => {
            emergency_print(format_args!("\nsysrq: thread dump\n"));
            crate::sched::watchdog::dump(0, crate::arch::cpu::frame_pointer());
        }
        _ => emergency_print(format_args!("\nsysrq: t = every thread's state and kernel stack\n")),
    }
}
