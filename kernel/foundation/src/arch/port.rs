//! Port I/O, the only way the kernel reaches legacy devices and PCI config space.

use x86_64::instructions::port::Port;

/// Writes a byte to an I/O port.
///
/// Port I/O is only unsafe in that a wrong port can confuse a device; every
/// caller names a port that belongs to the device it drives.
pub fn outb(port: u16, value: u8) {
    // SAFETY: callers pass ports of devices this kernel owns (see module doc).
    unsafe { Port::<u8>::new(port).write(value) }
}

pub fn inb(port: u16) -> u8 {
    // SAFETY: as for `outb`.
    unsafe { Port::<u8>::new(port).read() }
}

pub fn outw(port: u16, value: u16) {
    // SAFETY: as for `outb`.
    unsafe { Port::<u16>::new(port).write(value) }
}

pub fn outl(port: u16, value: u32) {
    // SAFETY: as for `outb`.
    unsafe { Port::<u32>::new(port).write(value) }
}

pub fn inl(port: u16) -> u32 {
    // SAFETY: as for `outb`.
    unsafe { Port::<u32>::new(port).read() }
}
