//! Bytes typed on the console: filled by the COM1 IRQ, drained by the shell.
//! A fixed ring (no allocation in the interrupt handler); when full, new bytes
//! are dropped and counted.

use crate::sync::IrqMutex;

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

/// Blocks (halting the CPU, not spinning) until a byte arrives.
pub fn read_blocking() -> u8 {
    loop {
        // Check and sleep with interrupts off in between, so a byte that
        // arrives after the check wakes the `hlt`.
        x86_64::instructions::interrupts::disable();
        if let Some(b) = try_read() {
            x86_64::instructions::interrupts::enable();
            return b;
        }
        crate::arch::cpu::enable_and_halt();
    }
}
