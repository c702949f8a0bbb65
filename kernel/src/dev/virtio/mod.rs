//! virtio devices through `virtio-drivers` on the PCI transport.
//!
//! Role: the glue `virtio-drivers` needs: a [`Hal`] (DMA memory from the frame
//! allocator, bounce buffers for sharing, MMIO through the physical-memory
//! window) and PCI configuration access over ports 0xCF8/0xCFC.
//! Invariants: every buffer shared with a device is a bounce buffer in
//! contiguous DMA frames, so heap memory (virtually but not physically
//! contiguous) is never handed to a device directly. One-page bounce buffers
//! (every network frame, most disk requests) come from a small pool of
//! frames kept for that use, so a frame sent or received costs no search of
//! the frame bitmap and no zeroing; a pooled frame only ever holds earlier
//! bounce data.
//! Interrupts: [`Isr`] reads a device's ISR status register directly (no
//! driver lock), so each driver acknowledges its own device in its IRQ
//! handler, also on a line shared with other devices (see `arch::pic`).

pub mod blk;
pub mod console;
pub mod net;

use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction, PciRoot};
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::{BufferDirection, Hal, PhysAddr as VPhys, PAGE_SIZE};
use x86_64::PhysAddr;

use crate::dev::pci;
use crate::mm::{self, frame};
use crate::sync::IrqMutex;
use alloc::vec::Vec;

pub struct KernelHal;

fn pages_for(len: usize) -> usize {
    len.div_ceil(PAGE_SIZE).max(1)
}

/// Frames kept for one-page bounce buffers (physical addresses).
static BOUNCE_POOL: IrqMutex<Vec<u64>> = IrqMutex::new(Vec::new());
/// At most this many pooled frames (512 KiB): two queues' worth and more.
const BOUNCE_POOL_MAX: usize = 128;

/// A bounce buffer of `pages` frames.
fn bounce_alloc(pages: usize) -> PhysAddr {
    if pages == 1 {
        if let Some(phys) = BOUNCE_POOL.lock().pop() {
            return PhysAddr::new(phys);
        }
        if let Some(f) = frame::alloc() {
            return f.start_address();
        }
    }
    frame::alloc_contiguous(pages).expect("out of memory for a virtio bounce buffer")
}

fn bounce_free(phys: PhysAddr, pages: usize) {
    if pages == 1 {
        let mut pool = BOUNCE_POOL.lock();
        if pool.len() < BOUNCE_POOL_MAX {
            pool.push(phys.as_u64());
            return;
        }
    }
    frame::free_contiguous(phys, pages);
}

// SAFETY: `dma_alloc` returns zeroed, physically contiguous frames owned by the
// caller until `dma_dealloc`; `share` returns the physical address of a bounce
// buffer that holds the data for the device; `mmio_phys_to_virt` maps through
// the physical-memory window, which covers all MMIO below 4 GiB.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (VPhys, NonNull<u8>) {
        let phys = frame::alloc_contiguous(pages).expect("out of memory for virtio DMA");
        let virt = mm::phys_to_virt(phys);
        (phys.as_u64() as VPhys, NonNull::new(virt.as_mut_ptr()).expect("window addresses are non-null"))
    }

    unsafe fn dma_dealloc(paddr: VPhys, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        frame::free_contiguous(PhysAddr::new(paddr as u64), pages);
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: VPhys, _size: usize) -> NonNull<u8> {
        NonNull::new(mm::phys_to_virt(PhysAddr::new(paddr as u64)).as_mut_ptr()).expect("non-null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, direction: BufferDirection) -> VPhys {
        let len = buffer.len();
        let phys = bounce_alloc(pages_for(len));
        if direction != BufferDirection::DeviceToDriver {
            let dst = mm::phys_to_virt(phys).as_mut_ptr::<u8>();
            // SAFETY: the caller guarantees `buffer` is valid for `len` bytes; the
            // bounce buffer was just allocated with at least `len` bytes.
            unsafe { core::ptr::copy_nonoverlapping(buffer.as_ptr() as *const u8, dst, len) };
        }
        phys.as_u64() as VPhys
    }

    unsafe fn unshare(paddr: VPhys, buffer: NonNull<[u8]>, direction: BufferDirection) {
        let len = buffer.len();
        let phys = PhysAddr::new(paddr as u64);
        if direction != BufferDirection::DriverToDevice {
            let src = mm::phys_to_virt(phys).as_ptr::<u8>();
            // SAFETY: `paddr` is the bounce buffer `share` made for this same
            // buffer, and the caller guarantees `buffer` is valid for `len` bytes.
            unsafe { core::ptr::copy_nonoverlapping(src, buffer.as_ptr() as *mut u8, len) };
        }
        bounce_free(phys, pages_for(len));
    }
}

/// PCI configuration mechanism #1, as `virtio-drivers` wants it.
pub struct PortCam;

impl ConfigurationAccess for PortCam {
    fn read_word(&self, df: DeviceFunction, offset: u8) -> u32 {
        pci::read_config(pci::Address { bus: df.bus, device: df.device, function: df.function }, offset)
    }

    fn write_word(&mut self, df: DeviceFunction, offset: u8, data: u32) {
        pci::write_config(pci::Address { bus: df.bus, device: df.device, function: df.function }, offset, data)
    }

    unsafe fn unsafe_clone(&self) -> Self {
        PortCam
    }
}

/// Enables memory decoding and bus mastering, then builds the transport.
pub fn transport(dev: &pci::Device) -> Option<PciTransport> {
    let cmd = pci::read_config(dev.addr, 0x04);
    pci::write_config(dev.addr, 0x04, cmd | 0b110);
    let mut root = PciRoot::new(PortCam);
    let df = DeviceFunction { bus: dev.addr.bus, device: dev.addr.device, function: dev.addr.function };
    match PciTransport::new::<KernelHal, PortCam>(&mut root, df) {
        Ok(t) => Some(t),
        Err(e) => {
            log::warn!("virtio at {:02x}:{:02x}.{}: {e:?}", dev.addr.bus, dev.addr.device, dev.addr.function);
            None
        }
    }
}

/// A virtio PCI device's ISR status register: the byte the `VIRTIO_PCI_CAP_ISR_CFG`
/// capability names in one of its BARs. Reading it returns the device's
/// interrupt status (bit 0: a queue was used; bit 1: the configuration
/// changed) and clears it, which lowers the device's INTx line. It needs no
/// driver lock, so an interrupt handler may read it.
pub struct Isr(AtomicUsize);

/// `cfg_type` of the ISR capability (virtio 1.x, 4.1.4).
const CAP_ISR_CFG: u8 = 3;
/// Values below this are I/O ports, the rest virtual addresses of MMIO.
const PORT_LIMIT: usize = 0x1_0000;

impl Isr {
    pub const fn none() -> Isr {
        Isr(AtomicUsize::new(0))
    }

    /// Finds `dev`'s ISR register and remembers where it is.
    pub fn locate(&self, dev: &pci::Device) {
        match isr_location(dev) {
            Some(at) => self.0.store(at, Ordering::Release),
            None => log::warn!("virtio {dev}: no ISR capability; its interrupts are not acknowledged"),
        }
    }

    /// Reads (and so clears) the interrupt status: nonzero if the device interrupted.
    pub fn ack(&self) -> u8 {
        match self.0.load(Ordering::Acquire) {
            0 => 0,
            port if port < PORT_LIMIT => crate::arch::port::inb(port as u16),
            // SAFETY: a byte register inside the device's BAR, mapped by the
            // physical-memory window (see `isr_location`); reading it has no
            // effect beyond clearing the device's interrupt status.
            addr => unsafe { core::ptr::read_volatile(addr as *const u8) },
        }
    }
}

/// Where `dev`'s ISR byte is: an I/O port, or a virtual address in the
/// physical-memory window.
fn isr_location(dev: &pci::Device) -> Option<usize> {
    let status = pci::read_config(dev.addr, 0x04) >> 16;
    if status & 0x10 == 0 {
        return None;
    }
    let byte = |offset: u8| (pci::read_config(dev.addr, offset & 0xfc) >> ((offset & 3) * 8)) as u8;
    let mut cap = byte(0x34) & 0xfc;
    for _ in 0..48 {
        if cap == 0 {
            return None;
        }
        if byte(cap) == 0x09 && byte(cap + 3) == CAP_ISR_CFG {
            let bar = byte(cap + 4);
            let offset = pci::read_config(dev.addr, cap + 8) as u64;
            if bar > 5 {
                return None;
            }
            let raw = pci::read_config(dev.addr, 0x10 + 4 * bar);
            if raw & 1 == 1 {
                return Some(((raw & !3) as u64 + offset) as usize);
            }
            let mut base = (raw & !0xf) as u64;
            if (raw >> 1) & 3 == 2 && bar < 5 {
                base |= (pci::read_config(dev.addr, 0x10 + 4 * (bar + 1)) as u64) << 32;
            }
            return Some(mm::phys_to_virt(PhysAddr::new(base + offset)).as_u64() as usize);
        }
        cap = byte(cap + 1) & 0xfc;
    }
    None
}
