//! Bytes typed on the console: filled by the COM1 IRQ, drained by the shell
//! or a program reading the console. A fixed ring; when full, new bytes are
//! dropped and counted. Readers sleep on [`INPUT`] (woken by the IRQ); the
//! terminal's tty thread announces new bytes to pollers ([`pushed`] counts
//! them). Each byte carries its arrival time, so [`max_latency`] tells how
//! long a typed key waited for its reader at worst (how responsive the
//! console is while the machine is busy).

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::sched::WaitQueue;
use crate::sync::IrqMutex;

/// Woken when a byte arrives.
pub static INPUT: WaitQueue = WaitQueue::new();

const CAPACITY: usize = 4096;

struct Ring {
    buf: [u8; CAPACITY],
    /// Arrival time (ms since boot, truncated) of each byte in `buf`.
    arrived: [u32; CAPACITY],
    head: usize,
    len: usize,
    dropped: u64,
}

/// Bytes pushed since boot.
static PUSHED: AtomicU64 = AtomicU64::new(0);

static RING: IrqMutex<Ring> = IrqMutex::new(Ring { buf: [0; CAPACITY], arrived: [0; CAPACITY], head: 0, len: 0, dropped: 0 });
/// The longest a byte waited between arrival and its reader, in ms.
static MAX_LATENCY: AtomicU32 = AtomicU32::new(0);

/// Called from the IRQ handler.
pub fn push(byte: u8) {
    let mut ring = RING.lock();
    if ring.len == CAPACITY {
        ring.dropped += 1;
        return;
    }
    let tail = (ring.head + ring.len) % CAPACITY;
    ring.buf[tail] = byte;
    ring.arrived[tail] = crate::time::uptime_ms() as u32;
    ring.len += 1;
    drop(ring);
    PUSHED.fetch_add(1, Ordering::AcqRel);
    INPUT.wake_all();
}

/// Bytes pushed since boot (the terminal compares it to what it announced).
pub fn pushed() -> u64 {
    PUSHED.load(Ordering::Acquire)
}

/// True if a byte is waiting.
pub fn has_input() -> bool {
    RING.lock().len > 0
}

/// True if a waiting byte satisfies `f` (the bytes stay).
pub fn contains(f: impl Fn(u8) -> bool) -> bool {
    let ring = RING.lock();
    (0..ring.len).any(|i| f(ring.buf[(ring.head + i) % CAPACITY]))
}

pub fn try_read() -> Option<u8> {
    let mut ring = RING.lock();
    if ring.len == 0 {
        return None;
    }
    let byte = ring.buf[ring.head];
    let waited = (crate::time::uptime_ms() as u32).wrapping_sub(ring.arrived[ring.head]);
    MAX_LATENCY.fetch_max(waited, Ordering::Relaxed);
    ring.head = (ring.head + 1) % CAPACITY;
    ring.len -= 1;
    Some(byte)
}

/// Sleeps until a byte arrives (the CPU runs other threads or halts).
pub fn read_blocking() -> u8 {
    INPUT.wait_for(try_read)
}

/// The longest a typed byte waited for its reader (ms), since boot or the
/// last reset; `reset` starts a new measurement.
pub fn max_latency(reset: bool) -> u32 {
    if reset {
        MAX_LATENCY.swap(0, Ordering::Relaxed)
    } else {
        MAX_LATENCY.load(Ordering::Relaxed)
    }
}
