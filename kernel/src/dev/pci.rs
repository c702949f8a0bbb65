//! PCI enumeration through configuration mechanism #1 (ports 0xCF8/0xCFC).
//! Buses are walked from bus 0 through PCI-to-PCI bridges, so only buses that
//! exist are scanned.

use alloc::vec::Vec;
use core::fmt;
use spin::Once;

use crate::arch::port::{inl, outl};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

#[derive(Clone, Debug)]
#[allow(dead_code)] // prog_if/revision: for drivers that match on them
pub struct Device {
    pub addr: Address,
    pub vendor: u16,
    pub device: u16,
    pub class: u8,
    pub subclass: u8,
    pub prog_if: u8,
    pub revision: u8,
    pub irq_line: u8,
}

static DEVICES: Once<Vec<Device>> = Once::new();

/// Selects the dword at `offset` of `addr`'s configuration space.
fn select(addr: Address, offset: u8) {
    let address = 0x8000_0000
        | (addr.bus as u32) << 16
        | (addr.device as u32) << 11
        | (addr.function as u32) << 8
        | (offset as u32 & 0xfc);
    outl(0xcf8, address);
}

pub fn read_config(addr: Address, offset: u8) -> u32 {
    select(addr, offset);
    inl(0xcfc)
}

pub fn write_config(addr: Address, offset: u8, value: u32) {
    select(addr, offset);
    outl(0xcfc, value);
}

fn probe(addr: Address) -> Option<Device> {
    let id = read_config(addr, 0x00);
    let vendor = id as u16;
    if vendor == 0xffff {
        return None;
    }
    let class = read_config(addr, 0x08);
    let irq = read_config(addr, 0x3c);
    Some(Device {
        addr,
        vendor,
        device: (id >> 16) as u16,
        class: (class >> 24) as u8,
        subclass: (class >> 16) as u8,
        prog_if: (class >> 8) as u8,
        revision: class as u8,
        irq_line: irq as u8,
    })
}

fn scan_bus(bus: u8, out: &mut Vec<Device>, depth: u8) {
    for device in 0..32 {
        let Some(first) = probe(Address { bus, device, function: 0 }) else { continue };
        let header_type = (read_config(first.addr, 0x0c) >> 16) as u8;
        let functions = if header_type & 0x80 != 0 { 8 } else { 1 };
        for function in 0..functions {
            let addr = Address { bus, device, function };
            let Some(dev) = (if function == 0 { Some(first.clone()) } else { probe(addr) }) else { continue };
            let is_bridge = dev.class == 0x06 && dev.subclass == 0x04;
            out.push(dev);
            if is_bridge && depth < 8 {
                let secondary = (read_config(addr, 0x18) >> 8) as u8;
                if secondary != 0 && secondary != bus {
                    scan_bus(secondary, out, depth + 1);
                }
            }
        }
    }
}

pub fn init() {
    DEVICES.call_once(|| {
        let mut devices = Vec::new();
        scan_bus(0, &mut devices, 0);
        log::info!("pci: {} devices", devices.len());
        devices
    });
}

pub fn devices() -> &'static [Device] {
    DEVICES.get().map_or(&[], |d| d.as_slice())
}

/// A human name for the device, like lspci's.
pub fn describe(dev: &Device) -> &'static str {
    match (dev.vendor, dev.device) {
        (0x1af4, 0x1000) | (0x1af4, 0x1041) => return "Virtio network device",
        (0x1af4, 0x1001) | (0x1af4, 0x1042) => return "Virtio block device",
        (0x1af4, 0x1005) | (0x1af4, 0x1044) => return "Virtio RNG",
        (0x8086, 0x1237) => return "Intel 440FX host bridge",
        (0x8086, 0x7000) => return "Intel PIIX3 ISA bridge",
        (0x8086, 0x7010) => return "Intel PIIX3 IDE controller",
        (0x8086, 0x7113) => return "Intel PIIX4 ACPI",
        (0x1234, 0x1111) => return "QEMU VGA",
        _ => {}
    }
    match (dev.class, dev.subclass) {
        (0x01, 0x01) => "IDE interface",
        (0x01, 0x06) => "SATA controller",
        (0x01, _) => "Mass storage controller",
        (0x02, _) => "Network controller",
        (0x03, _) => "Display controller",
        (0x06, 0x00) => "Host bridge",
        (0x06, 0x01) => "ISA bridge",
        (0x06, 0x04) => "PCI bridge",
        (0x06, _) => "Bridge",
        (0x0c, 0x03) => "USB controller",
        _ => "Device",
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}:{:02x}.{} {:04x}:{:04x} [{:02x}{:02x}] {}",
            self.addr.bus,
            self.addr.device,
            self.addr.function,
            self.vendor,
            self.device,
            self.class,
            self.subclass,
            describe(self)
        )?;
        if self.irq_line != 0 && self.irq_line != 0xff {
            write!(f, " (irq {})", self.irq_line)?;
        }
        Ok(())
    }
}
