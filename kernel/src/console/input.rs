//! Bytes typed on the console: filled by the COM1 IRQ, drained by the shell
//! or a program reading the console. A fixed ring; when full, new bytes are
//! dropped and counted. Readers sleep on [`INPUT`] (woken by the IRQ).

use errno::{Errno, KResult};

use crate::sched::WaitQueue;
use crate::sync::IrqMutex;

/// Woken when a byte arrives.
pub static INPUT: WaitQueue = WaitQueue::new();

const CAPACITY: usize = 4096;

struct Ring {
    buf: [u8; CAPACITY],
    head: usize,
    len: usize,
    dropped: u64,
}

static RING: IrqMutex<Ring> = IrqMutex::new(Ring { buf: [0; CAPACITY], head: 0, len: 0, dropped: 0 });

/// Called from the IRQ handler.
pub fn push(byte: u8) {
    let mut ring = RING.lock();
    if ring.len == CAPACITY {
        ring.dropped += 1;
        return;
    }
    let tail = (ring.head + ring.len) % CAPACITY;
    ring.buf[tail] = byte;
    ring.len += 1;
    drop(ring);
    INPUT.wake_all();
    crate::task::files::readiness_changed();
}

/// True if a byte is waiting.
pub fn has_input() -> bool {
    RING.lock().len > 0
}

pub fn try_read() -> Option<u8> {
    let mut ring = RING.lock();
    if ring.len == 0 {
        return None;
    }
    let byte = ring.buf[ring.head];
    ring.head = (ring.head + 1) % CAPACITY;
    ring.len -= 1;
    Some(byte)
}

/// Sleeps until a byte arrives (the CPU runs other threads or halts).
pub fn read_blocking() -> u8 {
    INPUT.wait_for(try_read)
}

/// A program's read of the console: what is waiting (at least one byte),
/// EAGAIN if nonblocking and empty, EINTR if a signal comes first.
pub fn read_user(buf: &mut [u8], nonblock: bool) -> KResult<usize> {
    if buf.is_empty() {
        return Ok(0);
    }
    let first = if nonblock {
        try_read().ok_or(Errno::EAGAIN)?
    } else {
        INPUT.wait_interruptible(try_read, None).map_err(|_| Errno::EINTR)?
    };
    buf[0] = first;
    let mut n = 1;
    while n < buf.len() {
        match try_read() {
            Some(b) => {
                buf[n] = b;
                n += 1;
            }
            None => break,
        }
    }
    Ok(n)
}
