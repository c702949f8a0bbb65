//! PCI enumeration through configuration mechanism #1 (ports 0xCF8/0xCFC).
//! Buses are walked from bus 0 through PCI-to-PCI bridges, so only buses that
//! exist are scanned. BARs the firmware left at address 0 (qboot, the PVH
//! boot's firmware, assigns none; SeaBIOS assigns all) get addresses in the
//! i440fx PCI hole ([`assign_bars`]).

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
        assign_bars(&devices);
        log::info!("pci: {} devices", devices.len());
        devices
    });
}

/// Where unassigned memory BARs go: QEMU's i440fx keeps RAM below 4 GiB
/// under 0xe000_0000 (and SeaBIOS fills the hole from the top, down from
/// the IO-APIC at 0xfec0_0000). 64-bit BARs go there too.
const MEM_WINDOW: core::ops::Range<u64> = 0xe000_0000..0xfec0_0000;
/// Where unassigned I/O BARs go (above the legacy ISA ports, as SeaBIOS).
const IO_WINDOW: core::ops::Range<u64> = 0xc000..0x1_0000;

/// One BAR of one function: config offset, space, base (0 = unassigned), size.
struct Bar {
    addr: Address,
    offset: u8,
    space: pcibars::Space,
    base: u64,
    size: u64,
}

/// The BARs of a type-0 function (bridges' windows are left as they are).
fn bars_of(dev: &Device, out: &mut Vec<Bar>) {
    let header_type = (read_config(dev.addr, 0x0c) >> 16) as u8 & 0x7f;
    if header_type != 0 {
        return;
    }
    let command = read_config(dev.addr, 0x04);
    // Decoding off while the BARs read back as size masks.
    write_config(dev.addr, 0x04, command & !0b11);
    let mut i = 0;
    while i < 6 {
        let offset = 0x10 + 4 * i;
        let low = read_config(dev.addr, offset);
        let is64 = low & 0b111 == 0b100;
        let high = if is64 { read_config(dev.addr, offset + 4) } else { 0 };
        let (space, base) = pcibars::decode(low, high);
        write_config(dev.addr, offset, 0xffff_ffff);
        let probe_low = read_config(dev.addr, offset);
        write_config(dev.addr, offset, low);
        let probe_high = if is64 {
            write_config(dev.addr, offset + 4, 0xffff_ffff);
            let p = read_config(dev.addr, offset + 4);
            write_config(dev.addr, offset + 4, high);
            p
        } else {
            0
        };
        if let Some(size) = pcibars::probe_size(space, probe_low, probe_high) {
            out.push(Bar { addr: dev.addr, offset, space, base, size });
        }
        i += if is64 { 2 } else { 1 };
    }
    write_config(dev.addr, 0x04, command);
}

/// Gives every BAR at address 0 a free, aligned address (memory BARs in
/// [`MEM_WINDOW`], I/O BARs in [`IO_WINDOW`]) and turns on the function's
/// decoding of that space. Assigned BARs are left alone and avoided.
fn assign_bars(devices: &[Device]) {
    let mut bars = Vec::new();
    for dev in devices {
        bars_of(dev, &mut bars);
    }
    for io in [false, true] {
        let of_space = |b: &&Bar| (b.space == pcibars::Space::Io) == io;
        let used: Vec<_> = bars.iter().filter(of_space).filter(|b| b.base != 0).map(|b| b.base..b.base.saturating_add(b.size)).collect();
        let todo: Vec<&Bar> = bars.iter().filter(of_space).filter(|b| b.base == 0).collect();
        if todo.is_empty() {
            continue;
        }
        let sizes: Vec<u64> = todo.iter().map(|b| b.size).collect();
        let mut placed = alloc::vec![None; todo.len()];
        pcibars::place(&sizes, if io { IO_WINDOW } else { MEM_WINDOW }, &used, &mut placed);
        for (bar, at) in todo.iter().zip(placed) {
            let Some(at) = at else {
                log::warn!("pci {:02x}:{:02x}.{}: no room for a {:#x}-byte BAR", bar.addr.bus, bar.addr.device, bar.addr.function, bar.size);
                continue;
            };
            let flags = read_config(bar.addr, bar.offset) & if io { 0x3 } else { 0xf };
            write_config(bar.addr, bar.offset, at as u32 | flags);
            if bar.space == pcibars::Space::Mem64 {
                write_config(bar.addr, bar.offset + 4, (at >> 32) as u32);
            }
            let command = read_config(bar.addr, 0x04);
            write_config(bar.addr, 0x04, command | if io { 0b01 } else { 0b10 });
        }
    }
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
