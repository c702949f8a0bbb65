//! Ending the machine: power-off and reset, and QEMU's isa-debug-exit device,
//! through which the runner and the tests learn how the kernel ended.

use crate::arch::port::{inb, outb, outl};

/// Values written to isa-debug-exit (port 0xf4); QEMU exits with `(v << 1) | 1`.
#[derive(Clone, Copy)]
#[repr(u32)]
pub enum ExitCode {
    /// QEMU status 33: an orderly power-off.
    PowerOff = 0x10,
    /// QEMU status 35: a kernel panic.
    Panic = 0x11,
}

const DEBUG_EXIT_PORT: u16 = 0xf4;

pub fn qemu_exit(code: ExitCode) {
    outl(DEBUG_EXIT_PORT, code as u32);
}

pub fn poweroff() -> ! {
    log::info!("powering off");
    qemu_exit(ExitCode::PowerOff);
    // Not under QEMU with isa-debug-exit: ACPI S5 on QEMU's PIIX4 PM block.
    crate::arch::port::outw(0x604, 0x2000);
    crate::arch::halt_forever()
}

pub fn reboot() -> ! {
    log::info!("rebooting");
    // PCI reset control register (PIIX3/ICH): hard reset.
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06);
    // Fallback: the keyboard controller's reset line.
    for _ in 0..1000 {
        if inb(0x64) & 0x02 == 0 {
            break;
        }
    }
    outb(0x64, 0xfe);
    crate::arch::halt_forever()
}
