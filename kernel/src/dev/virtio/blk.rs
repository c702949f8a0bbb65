//! virtio-blk: the data disk, and any further disks.
//!
//! Requests complete by interrupt: the driver submits a request, then halts
//! until the device's IRQ (or any other) wakes it, and checks the used ring.
//! No busy polling of the device while the CPU could sleep. The IRQ handler
//! acknowledges every disk's interrupt through its ISR register (no driver
//! lock), so a disk never holds a shared line raised.

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;
use virtio_drivers::device::blk::{BlkReq, BlkResp, VirtIOBlk, SECTOR_SIZE};
use virtio_drivers::transport::pci::PciTransport;

use super::{Isr, KernelHal};
use crate::arch::pic;
use crate::dev::pci;

pub struct VirtioBlk {
    dev: Mutex<VirtIOBlk<KernelHal, PciTransport>>,
    sectors: u64,
    readonly: bool,
    pub name: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct IoError;

/// The largest request sent to the device at once.
const MAX_REQUEST: usize = 64 * 1024;

static DISKS: Mutex<Vec<Arc<VirtioBlk>>> = Mutex::new(Vec::new());
const NAMES: [&str; 8] = ["vda", "vdb", "vdc", "vdd", "vde", "vdf", "vdg", "vdh"];
/// Each disk's ISR register, by its index in DISKS (read by the IRQ handler).
static ISRS: [Isr; 8] = [const { Isr::none() }; 8];

/// The disks' interrupt (on every line a disk uses): acknowledge each disk.
/// The request waiting in `wait` sees its completion in the used ring.
fn on_irq() {
    for isr in &ISRS {
        isr.ack();
    }
}

/// Finds every virtio-blk device on the PCI bus.
pub fn probe() {
    for dev in pci::devices() {
        if dev.vendor != 0x1af4 || !(dev.device == 0x1001 || dev.device == 0x1042) {
            continue;
        }
        let Some(transport) = super::transport(dev) else { continue };
        let mut blk = match VirtIOBlk::<KernelHal, _>::new(transport) {
            Ok(b) => b,
            Err(e) => {
                log::warn!("virtio-blk {}: {e:?}", dev);
                continue;
            }
        };
        blk.enable_interrupts();
        let mut disks = DISKS.lock();
        let Some(&name) = NAMES.get(disks.len()) else { break };
        let sectors = blk.capacity();
        let readonly = blk.readonly();
        log::info!("{name}: virtio-blk, {} MiB{}, irq {}", sectors / 2048, if readonly { ", read-only" } else { "" }, dev.irq_line);
        ISRS[disks.len()].locate(dev);
        pic::register(dev.irq_line, on_irq);
        disks.push(Arc::new(VirtioBlk { dev: Mutex::new(blk), sectors, readonly, name }));
    }
}

pub fn disks() -> Vec<Arc<VirtioBlk>> {
    DISKS.lock().clone()
}

impl VirtioBlk {
    pub fn sectors(&self) -> u64 {
        self.sectors
    }

    pub fn readonly(&self) -> bool {
        self.readonly
    }

    fn check_range(&self, lba: u64, len: usize) -> Result<(), IoError> {
        let count = (len / SECTOR_SIZE) as u64;
        if len % SECTOR_SIZE != 0 || lba.checked_add(count).is_none_or(|end| end > self.sectors) {
            return Err(IoError);
        }
        Ok(())
    }

    /// Sleeps until the request `token` is in the used ring.
    fn wait(&self, dev: &mut VirtIOBlk<KernelHal, PciTransport>, token: u16) {
        loop {
            x86_64::instructions::interrupts::disable();
            if dev.peek_used() == Some(token) {
                x86_64::instructions::interrupts::enable();
                break;
            }
            crate::arch::cpu::enable_and_halt();
        }
    }

    pub fn read(&self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.check_range(lba, buf.len())?;
        let mut dev = self.dev.lock();
        for (i, chunk) in buf.chunks_mut(MAX_REQUEST).enumerate() {
            let sector = lba + (i * MAX_REQUEST / SECTOR_SIZE) as u64;
            let mut req = BlkReq::default();
            let mut resp = BlkResp::default();
            // SAFETY: `req`, `chunk` and `resp` stay borrowed here, untouched,
            // until `complete_read_blocks` below returns them.
            let token = unsafe { dev.read_blocks_nb(sector as usize, &mut req, chunk, &mut resp) }.map_err(|_| IoError)?;
            self.wait(&mut dev, token);
            // SAFETY: the same buffers as passed to `read_blocks_nb` for `token`.
            unsafe { dev.complete_read_blocks(token, &req, chunk, &mut resp) }.map_err(|_| IoError)?;
        }
        Ok(())
    }

    pub fn write(&self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        self.check_range(lba, buf.len())?;
        if self.readonly {
            return Err(IoError);
        }
        let mut dev = self.dev.lock();
        for (i, chunk) in buf.chunks(MAX_REQUEST).enumerate() {
            let sector = lba + (i * MAX_REQUEST / SECTOR_SIZE) as u64;
            let mut req = BlkReq::default();
            let mut resp = BlkResp::default();
            // SAFETY: as in `read`.
            let token = unsafe { dev.write_blocks_nb(sector as usize, &mut req, chunk, &mut resp) }.map_err(|_| IoError)?;
            self.wait(&mut dev, token);
            // SAFETY: the same buffers as passed to `write_blocks_nb` for `token`.
            unsafe { dev.complete_write_blocks(token, &req, chunk, &mut resp) }.map_err(|_| IoError)?;
        }
        Ok(())
    }

    pub fn flush(&self) -> Result<(), IoError> {
        self.dev.lock().flush().map_err(|_| IoError)
    }
}
