//! Kernel time: a millisecond tick counter driven by the PIT (IRQ 0).

use core::sync::atomic::{AtomicU64, Ordering};

/// Timer interrupts per second.
pub const HZ: u32 = 1000;

static TICKS: AtomicU64 = AtomicU64::new(0);

/// IRQ 0 handler.
pub fn on_tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Milliseconds since the timer started.
pub fn uptime_ms() -> u64 {
    ticks() * 1000 / HZ as u64
}

pub fn init() {
    crate::arch::pic::register(crate::arch::pic::TIMER_IRQ, on_tick);
}

/// Halts until at least `ms` milliseconds have passed.
pub fn sleep_ms(ms: u64) {
    let end = uptime_ms() + ms;
    while uptime_ms() < end {
        crate::arch::cpu::enable_and_halt();
    }
}
