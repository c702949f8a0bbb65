//! virtio-console: byte channels to the machine's host (QEMU's
//! `virtio-serial-pci` + `virtconsole` on a chardev), used as the guest
//! agent's control channel when Cyrius runs as a microVM per container.
//!
//! Role: find each virtio-console device (one port each: port 0, no
//! MULTIPORT), keep receive buffers posted, and move bytes between the
//! device and a pair of kernel pipes ([`open`]): a process reads what the
//! host sent from one pipe and writes what goes to the host into the other,
//! so the channel is an ordinary pair of descriptors that poll/select see.
//! Two kernel threads per opened channel pump the bytes ("hvc-rx",
//! "hvc-tx").
//! Interrupts: none. The device's INTx is switched off in its PCI command
//! register and its used-buffer notifications are suppressed, so it never
//! shares a line with the disks or the network card; the receive thread
//! polls the used ring (a memory read, no exit to the hypervisor) every
//! tick while data flows and backs off to every [`IDLE_POLL_MS`] ms when
//! the channel is quiet.
//! Invariants: every buffer handed to the device stays owned by `Dev`
//! (`rx_posted`, by token) until the device returns it; a channel is opened
//! at most once; when the process end of a pipe closes, its pump ends.
//! May call: the virtio HAL, `dev::pci`, `task::pipe`, `sched`, `time`.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;
use virtio_drivers::device::common::Feature;
use virtio_drivers::queue::VirtQueue;
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::Transport;

use super::KernelHal;
use crate::dev::pci;
use crate::task::pipe::{self, PipeEnd};

/// Receive buffers kept posted (queue 0 of port 0).
const RX_BUFS: usize = 8;
/// Size of one receive buffer.
const RX_BUF: usize = 4096;
/// Descriptors of the transmit queue (one request in flight at a time).
const TX_QUEUE: usize = 4;
/// The largest single transmit request.
const TX_CHUNK: usize = 16 * 1024;
/// The longest pause between two looks at a quiet receive ring.
const IDLE_POLL_MS: u64 = 8;
/// PCI command register bit 10: INTx disable.
const PCI_INTX_DISABLE: u32 = 1 << 10;

const RECEIVEQ_PORT0: u16 = 0;
const TRANSMITQ_PORT0: u16 = 1;

struct Dev {
    transport: PciTransport,
    rx: VirtQueue<KernelHal, RX_BUFS>,
    tx: VirtQueue<KernelHal, TX_QUEUE>,
    /// Posted receive buffers by token (the head descriptor index).
    rx_posted: Vec<Option<Box<[u8]>>>,
}

pub struct Channel {
    dev: Mutex<Dev>,
    /// Set by the one [`open`] the channel allows.
    opened: AtomicBool,
    pub name: &'static str,
}

static CHANNELS: Mutex<Vec<Arc<Channel>>> = Mutex::new(Vec::new());
const NAMES: [&str; 4] = ["hvc0", "hvc1", "hvc2", "hvc3"];

/// Finds every virtio-console device (transitional 0x1003, modern 0x1043).
pub fn probe() {
    for dev in pci::devices() {
        if dev.vendor != 0x1af4 || !(dev.device == 0x1003 || dev.device == 0x1043) {
            continue;
        }
        let Some(mut transport) = super::transport(dev) else { continue };
        let cmd = pci::read_config(dev.addr, 0x04);
        pci::write_config(dev.addr, 0x04, cmd | PCI_INTX_DISABLE);
        match init(&mut transport) {
            Ok((rx, tx)) => {
                let mut channels = CHANNELS.lock();
                let Some(&name) = NAMES.get(channels.len()) else { break };
                let mut d = Dev { transport, rx, tx, rx_posted: (0..RX_BUFS).map(|_| None).collect() };
                d.post_all();
                log::info!("{name}: virtio-console");
                channels.push(Arc::new(Channel { dev: Mutex::new(d), opened: AtomicBool::new(false), name }));
            }
            Err(e) => log::warn!("virtio-console {dev}: {e:?}"),
        }
    }
}

/// Negotiates (no MULTIPORT, no EVENT_IDX: the avail ring's NO_INTERRUPT
/// flag is what suppresses notifications) and sets up port 0's queues.
fn init(t: &mut PciTransport) -> virtio_drivers::Result<(VirtQueue<KernelHal, RX_BUFS>, VirtQueue<KernelHal, TX_QUEUE>)> {
    t.begin_init(Feature::VERSION_1);
    let mut rx = VirtQueue::new(t, RECEIVEQ_PORT0, false, false)?;
    let mut tx = VirtQueue::new(t, TRANSMITQ_PORT0, false, false)?;
    rx.set_dev_notify(false);
    tx.set_dev_notify(false);
    t.finish_init();
    Ok((rx, tx))
}

/// True if the machine has a virtio-console (it runs as a microVM whose
/// host talks to an agent).
pub fn present() -> bool {
    !CHANNELS.lock().is_empty()
}

impl Dev {
    /// Posts every receive buffer the device does not hold.
    fn post_all(&mut self) {
        loop {
            let mut buf = vec![0u8; RX_BUF].into_boxed_slice();
            // SAFETY: the buffer is parked in `rx_posted` under its token and
            // not touched until `pop_used` returns it in `take_received`.
            match unsafe { self.rx.add(&[], &mut [&mut buf[..]]) } {
                Ok(token) => match self.rx_posted.get_mut(token as usize) {
                    Some(slot) => *slot = Some(buf),
                    None => break,
                },
                Err(_) => break,
            }
            if self.rx.available_desc() == 0 {
                break;
            }
        }
        if self.rx.should_notify() {
            self.transport.notify(RECEIVEQ_PORT0);
        }
    }

    /// Appends what the device has written into used buffers to `out` and
    /// posts the buffers again.
    fn take_received(&mut self, out: &mut Vec<u8>) {
        let mut any = false;
        while let Some(token) = self.rx.peek_used() {
            let Some(mut buf) = self.rx_posted.get_mut(token as usize).and_then(Option::take) else { break };
            // SAFETY: `buf` is the buffer `add` was given for `token`.
            match unsafe { self.rx.pop_used(token, &[], &mut [&mut buf[..]]) } {
                Ok(len) => out.extend_from_slice(&buf[..(len as usize).min(buf.len())]),
                Err(e) => log::warn!("virtio-console: receive: {e:?}"),
            }
            any = true;
        }
        if any {
            self.post_all();
        }
    }

    /// Sends `data` and waits until the device has taken it.
    fn send(&mut self, data: &[u8]) -> virtio_drivers::Result<()> {
        for chunk in data.chunks(TX_CHUNK) {
            self.tx.add_notify_wait_pop(&[chunk], &mut [], &mut self.transport)?;
        }
        Ok(())
    }
}

/// Opens channel `index`: returns the process's ends (read: bytes from the
/// host; write: bytes to the host) and starts the pumps. `None` if there is
/// no such channel or it was opened before.
pub fn open(index: usize) -> Option<(PipeEnd, PipeEnd)> {
    let ch = CHANNELS.lock().get(index)?.clone();
    if ch.opened.swap(true, Ordering::AcqRel) {
        return None;
    }
    let (from_host_r, from_host_w) = pipe::new();
    let (to_host_r, to_host_w) = pipe::new();
    let rx_ch = ch.clone();
    crate::sched::spawn_kernel("hvc-rx", Box::new(move || receive_pump(&rx_ch, from_host_w)));
    let tx_ch = ch.clone();
    crate::sched::spawn_kernel("hvc-tx", Box::new(move || transmit_pump(&tx_ch, to_host_r)));
    Some((from_host_r, to_host_w))
}

/// Device -> pipe, until the reading process is gone.
fn receive_pump(ch: &Channel, to_process: PipeEnd) {
    let mut data = Vec::with_capacity(RX_BUF * RX_BUFS);
    let mut idle_ms = 1;
    loop {
        data.clear();
        ch.dev.lock().take_received(&mut data);
        if data.is_empty() {
            if to_process.pipe.no_readers() {
                break;
            }
            let deadline = crate::time::ticks() + idle_ms * u64::from(crate::time::HZ) / 1000;
            crate::sched::block_until(deadline);
            idle_ms = (idle_ms * 2).min(IDLE_POLL_MS);
            continue;
        }
        idle_ms = 1;
        if to_process.pipe.no_readers() || to_process.pipe.write(&data, false).is_err() {
            break;
        }
    }
    log::debug!("{}: receive pump ends", ch.name);
}

/// Pipe -> device, until the writing process closes its end.
fn transmit_pump(ch: &Channel, from_process: PipeEnd) {
    let mut buf = vec![0u8; TX_CHUNK];
    loop {
        match from_process.pipe.read(&mut buf, false) {
            Ok(0) => break,
            Ok(n) => {
                if let Err(e) = ch.dev.lock().send(&buf[..n]) {
                    log::warn!("{}: send: {e:?}", ch.name);
                    break;
                }
            }
            Err(errno::Errno::EINTR) => continue,
            Err(e) => {
                log::warn!("{}: {e}", ch.name);
                break;
            }
        }
    }
    log::debug!("{}: transmit pump ends", ch.name);
}
