//! virtio-net: the Ethernet card on QEMU's user network.
//!
//! Role: move Ethernet frames between the device's two virtqueues and the
//! TCP/IP stack. [`probe`] finds the card; the stack (`net`) takes the one
//! [`VirtioNet`] with [`take`] and drives it through smoltcp's `phy::Device`
//! trait, always in process context under the stack's lock.
//! Interrupts: the card's handler, registered by [`probe`], reads the
//! card's ISR register, which acknowledges the interrupt and says whether the
//! card raised it (the line may be shared with disks, each acknowledging its
//! own), then calls the stack's hook ([`set_irq_hook`]). No device queue is touched and nothing is allocated in interrupt
//! context; the rings are read by the stack's next poll, and a frame arriving
//! during a poll raises a fresh interrupt.
//! Buffers: `QUEUE_SIZE` receive buffers stay posted and are re-posted after
//! smoltcp consumed them; transmit buffers come from a pool refilled as the
//! device completes them. Tokens (the head descriptor index) index both.
//! Notifications: the card is driven without `VIRTIO_RING_F_EVENT_IDX`
//! ([`NoEventIdx`] hides the feature): `virtio-drivers` 0.13 decides "notify
//! the device?" with `avail_idx >= avail_event + 1`, which is true whenever
//! the device's event index is stale, so every frame sent became a doorbell
//! write (a trip into QEMU that waits for its I/O thread, half the time of a
//! TCP download). With the feature off the device's `NO_NOTIFY` flag rules:
//! while QEMU is still flushing earlier frames, new ones go out without a
//! doorbell.
//! May call: `arch::pic`, the virtio HAL.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::{DeviceStatus, DeviceType, InterruptStatus, Transport};
use virtio_drivers::PhysAddr as VPhys;
use zerocopy::{FromBytes, Immutable, IntoBytes};

use super::{Isr, KernelHal};
use crate::dev::pci;
use spin::Mutex;

/// Descriptors per queue (receive buffers posted at once, transmits in flight).
const QUEUE_SIZE: usize = 64;
/// One frame plus the virtio-net header (1514 + 12 fits; the device needs >= 1526).
const BUF_LEN: usize = 2048;
/// Ethernet MTU as smoltcp counts it for Medium::Ethernet (header included).
const MAX_FRAME: usize = 1514;

type Raw = VirtIONetRaw<KernelHal, NoEventIdx, QUEUE_SIZE>;

/// `VIRTIO_RING_F_EVENT_IDX` (virtio 1.x, 6.3).
const RING_EVENT_IDX: u64 = 1 << 29;

/// The PCI transport with `VIRTIO_RING_F_EVENT_IDX` hidden from the driver
/// (see the module doc); everything else is passed through.
pub struct NoEventIdx(PciTransport);

impl Transport for NoEventIdx {
    fn device_type(&self) -> DeviceType {
        self.0.device_type()
    }
    fn read_device_features(&mut self) -> u64 {
        self.0.read_device_features() & !RING_EVENT_IDX
    }
    fn write_driver_features(&mut self, driver_features: u64) {
        self.0.write_driver_features(driver_features & !RING_EVENT_IDX)
    }
    fn max_queue_size(&mut self, queue: u16) -> u32 {
        self.0.max_queue_size(queue)
    }
    fn notify(&mut self, queue: u16) {
        self.0.notify(queue)
    }
    fn get_status(&self) -> DeviceStatus {
        self.0.get_status()
    }
    fn set_status(&mut self, status: DeviceStatus) {
        self.0.set_status(status)
    }
    fn set_guest_page_size(&mut self, guest_page_size: u32) {
        self.0.set_guest_page_size(guest_page_size)
    }
    fn requires_legacy_layout(&self) -> bool {
        self.0.requires_legacy_layout()
    }
    fn queue_set(&mut self, queue: u16, size: u32, descriptors: VPhys, driver_area: VPhys, device_area: VPhys) {
        self.0.queue_set(queue, size, descriptors, driver_area, device_area)
    }
    fn queue_unset(&mut self, queue: u16) {
        self.0.queue_unset(queue)
    }
    fn queue_used(&mut self, queue: u16) -> bool {
        self.0.queue_used(queue)
    }
    fn ack_interrupt(&mut self) -> InterruptStatus {
        self.0.ack_interrupt()
    }
    fn read_config_generation(&self) -> u32 {
        self.0.read_config_generation()
    }
    fn read_config_space<T: FromBytes + IntoBytes>(&self, offset: usize) -> virtio_drivers::Result<T> {
        self.0.read_config_space(offset)
    }
    fn write_config_space<T: IntoBytes + Immutable>(&mut self, offset: usize, value: T) -> virtio_drivers::Result<()> {
        self.0.write_config_space(offset, value)
    }
}

/// Interface counters, as `ifconfig` shows them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub rx_errors: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub tx_dropped: u64,
}

pub struct VirtioNet {
    raw: Raw,
    irq: u8,
    mac: [u8; 6],
    /// Receive buffers the device owns, by token.
    rx_posted: Vec<Option<Box<[u8]>>>,
    /// Receive buffers back from smoltcp, to post again.
    rx_spare: Vec<Box<[u8]>>,
    tx: TxPool,
    stats: Stats,
}

struct TxPool {
    /// Frames the device is sending, by token, with their length.
    inflight: Vec<Option<(Box<[u8]>, usize)>>,
    spare: Vec<Box<[u8]>>,
}

static FOUND: Mutex<Option<VirtioNet>> = Mutex::new(None);
/// The card's ISR register.
static ISR: Isr = Isr::none();

/// Told (in interrupt context) that the card interrupted: the stack's wake-up.
static IRQ_HOOK: spin::Once<fn()> = spin::Once::new();

/// Acknowledges the card's interrupt; true if the card raised one. Safe
/// from an interrupt handler.
fn ack_irq() -> bool {
    ISR.ack() != 0
}

/// The card's handler on its IRQ line, registered as soon as the card can
/// receive: a frame may arrive before the stack exists (a tap device
/// carries the host's own traffic from the start), and an interrupt nobody
/// acknowledges stays raised on the shared level-triggered line forever.
fn on_irq() {
    if ack_irq() {
        if let Some(hook) = IRQ_HOOK.get() {
            hook();
        }
    }
}

/// `hook` runs (in interrupt context) each time the card interrupts.
pub fn set_irq_hook(hook: fn()) {
    IRQ_HOOK.call_once(|| hook);
}

/// Finds the first virtio-net device on the PCI bus and sets it up; the stack
/// picks it up with [`take`].
pub fn probe() {
    for dev in pci::devices() {
        if dev.vendor != 0x1af4 || !(dev.device == 0x1000 || dev.device == 0x1041) {
            continue;
        }
        let Some(transport) = super::transport(dev) else { continue };
        // virtio-drivers announces the negotiated features at info level: keep
        // the boot log to our own line.
        let level = log::max_level();
        log::set_max_level(level.min(log::LevelFilter::Warn));
        let raw = Raw::new(NoEventIdx(transport));
        log::set_max_level(level);
        let mut raw = match raw {
            Ok(r) => r,
            Err(e) => {
                log::warn!("virtio-net {dev}: {e:?}");
                continue;
            }
        };
        // The handler before any receive buffer is posted: a frame may arrive at once.
        ISR.locate(dev);
        crate::arch::pic::register(dev.irq_line, on_irq);
        raw.enable_interrupts();
        let mac = raw.mac_address();
        let mut nic = VirtioNet {
            raw,
            irq: dev.irq_line,
            mac,
            rx_posted: (0..QUEUE_SIZE).map(|_| None).collect(),
            rx_spare: (0..QUEUE_SIZE).map(|_| vec![0u8; BUF_LEN].into_boxed_slice()).collect(),
            tx: TxPool { inflight: (0..QUEUE_SIZE).map(|_| None).collect(), spare: Vec::new() },
            stats: Stats::default(),
        };
        nic.refill_rx();
        log::info!(
            "eth0: virtio-net {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, irq {}",
            mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], dev.irq_line
        );
        *FOUND.lock() = Some(nic);
        return;
    }
}

/// Hands the probed card to its one owner, the stack.
pub fn take() -> Option<VirtioNet> {
    FOUND.lock().take()
}

impl VirtioNet {
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    pub fn irq(&self) -> u8 {
        self.irq
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Posts every spare receive buffer to the device.
    fn refill_rx(&mut self) {
        while let Some(mut buf) = self.rx_spare.pop() {
            // SAFETY: the buffer is parked in `rx_posted` under its token and
            // not touched until `receive_complete` returns it.
            // Tokens are head descriptor indices, so always below QUEUE_SIZE.
            match unsafe { self.raw.receive_begin(&mut buf) } {
                Ok(token) => self.rx_posted[token as usize] = Some(buf),
                Err(_) => {
                    self.rx_spare.push(buf);
                    break;
                }
            }
        }
    }
}

impl TxPool {
    /// Takes back the frames the device has finished sending.
    fn reclaim(&mut self, raw: &mut Raw) {
        while let Some(token) = raw.poll_transmit() {
            let Some((buf, len)) = self.inflight.get_mut(token as usize).and_then(Option::take) else { break };
            // SAFETY: `buf[..len]` is the slice passed to `transmit_begin` for `token`.
            let _ = unsafe { raw.transmit_complete(token, &buf[..len]) };
            self.spare.push(buf);
        }
    }
}

impl phy::Device for VirtioNet {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        self.refill_rx();
        self.tx.reclaim(&mut self.raw);
        loop {
            let token = self.raw.poll_receive()?;
            let mut buf = self.rx_posted.get_mut(token as usize).and_then(Option::take)?;
            // SAFETY: `buf` is the buffer posted with `token`.
            match unsafe { self.raw.receive_complete(token, &mut buf) } {
                Ok((hdr, len)) if hdr + len <= buf.len() => {
                    self.stats.rx_packets += 1;
                    self.stats.rx_bytes += len as u64;
                    let rx = RxToken { buf: Some(buf), start: hdr, len, spare: &mut self.rx_spare };
                    let tx = TxToken { raw: &mut self.raw, pool: &mut self.tx, stats: &mut self.stats };
                    return Some((rx, tx));
                }
                _ => {
                    self.stats.rx_errors += 1;
                    self.rx_spare.push(buf);
                }
            }
        }
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        self.tx.reclaim(&mut self.raw);
        if !self.raw.can_send() {
            return None;
        }
        Some(TxToken { raw: &mut self.raw, pool: &mut self.tx, stats: &mut self.stats })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps.max_burst_size = Some(QUEUE_SIZE / 2);
        caps
    }
}

/// A received frame; its buffer goes back to the spare list when consumed or dropped.
pub struct RxToken<'a> {
    buf: Option<Box<[u8]>>,
    start: usize,
    len: usize,
    spare: &'a mut Vec<Box<[u8]>>,
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(mut self, f: F) -> R {
        let buf = self.buf.take().expect("an RxToken holds its buffer until consumed");
        let result = f(&buf[self.start..self.start + self.len]);
        self.spare.push(buf);
        result
    }
}

impl Drop for RxToken<'_> {
    fn drop(&mut self) {
        if let Some(buf) = self.buf.take() {
            self.spare.push(buf);
        }
    }
}

pub struct TxToken<'a> {
    raw: &'a mut Raw,
    pool: &'a mut TxPool,
    stats: &'a mut Stats,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = match self.pool.spare.pop() {
            Some(b) if b.len() >= len + 16 => b,
            _ => vec![0u8; BUF_LEN.max(len + 16)].into_boxed_slice(),
        };
        let hdr = self.raw.fill_buffer_header(&mut buf).unwrap_or(0);
        let result = f(&mut buf[hdr..hdr + len]);
        // SAFETY: the buffer is parked in `inflight` under its token and not
        // touched until `transmit_complete` returns it.
        match unsafe { self.raw.transmit_begin(&buf[..hdr + len]) } {
            Ok(token) => {
                self.stats.tx_packets += 1;
                self.stats.tx_bytes += len as u64;
                self.pool.inflight[token as usize] = Some((buf, hdr + len));
            }
            Err(_) => {
                self.stats.tx_dropped += 1;
                self.pool.spare.push(buf);
            }
        }
        result
    }
}
