//! Kernel time: a millisecond tick counter driven by the PIT (IRQ 0), and the
//! wall clock (the RTC read once at boot, advanced by the tick).

use core::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Timer interrupts per second.
pub const HZ: u32 = 1000;

static TICKS: AtomicU64 = AtomicU64::new(0);
/// Unix time when the tick counter was 0.
static BOOT_EPOCH: AtomicI64 = AtomicI64::new(0);

/// IRQ 0 handler.
pub fn on_tick() {
    let now = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    crate::sched::on_tick(now);
}

pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Milliseconds since the timer started.
pub fn uptime_ms() -> u64 {
    ticks() * 1000 / HZ as u64
}

/// Wall-clock time: (Unix seconds, nanoseconds).
pub fn now() -> (i64, u32) {
    let ms = uptime_ms();
    (BOOT_EPOCH.load(Ordering::Relaxed) + (ms / 1000) as i64, ((ms % 1000) * 1_000_000) as u32)
}

pub fn init() {
    BOOT_EPOCH.store(crate::arch::rtc::unix_time(), Ordering::Relaxed);
    crate::arch::pic::register(crate::arch::pic::TIMER_IRQ, on_tick);
}

/// `YYYY-MM-DD HH:MM:SS` for Unix seconds (UTC).
pub fn format_utc(secs: i64) -> alloc::string::String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    alloc::format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60)
}
