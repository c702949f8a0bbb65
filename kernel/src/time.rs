//! Kernel time: milliseconds ("ticks") since boot read from the TSC, whose
//! rate is measured against the PIT at boot; the PIT's IRQ 0 at [`HZ`] only
//! says when to look (wake sleepers, end time slices). An emulator under load
//! drops timer interrupts (measured: up to half of them under QEMU TCG), so
//! counting interrupts would make time run slow; the TSC does not.
//! The wall clock is the RTC read once at boot, advanced by the same clock.

use core::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::arch::port::{inb, outb};

/// Timer interrupts per second (and ticks per second).
pub const HZ: u32 = 1000;

/// Counted interrupts: the clock if the TSC could not be calibrated.
static IRQ_TICKS: AtomicU64 = AtomicU64::new(0);
/// TSC at boot and TSC cycles per tick (0: not calibrated).
static TSC_BASE: AtomicU64 = AtomicU64::new(0);
static TSC_PER_TICK: AtomicU64 = AtomicU64::new(0);
/// The last `ticks()` seen by the timer interrupt (for CPU accounting).
static LAST_TICK: AtomicU64 = AtomicU64::new(0);
/// Unix time when the tick counter was 0.
static BOOT_EPOCH: AtomicI64 = AtomicI64::new(0);

/// IRQ 0 handler: accounts the time since the last interrupt.
pub fn on_tick() {
    IRQ_TICKS.fetch_add(1, Ordering::Relaxed);
    let now = ticks();
    let elapsed = now.saturating_sub(LAST_TICK.swap(now, Ordering::Relaxed));
    crate::sched::on_tick(now, elapsed);
}

/// Milliseconds since boot.
pub fn ticks() -> u64 {
    let per = TSC_PER_TICK.load(Ordering::Relaxed);
    if per == 0 {
        return IRQ_TICKS.load(Ordering::Relaxed);
    }
    crate::arch::cpu::rdtsc().saturating_sub(TSC_BASE.load(Ordering::Relaxed)) / per
}

/// Measures the TSC rate over 10 ms of PIT channel 2 (one-shot, polled on
/// port 0x61), as Linux's quick PIT calibration does. 0 if it looks wrong.
fn calibrate_tsc() -> u64 {
    const PIT_HZ: u64 = 1_193_182;
    const MS: u64 = 10;
    let latch = (PIT_HZ * MS / 1000) as u16;
    // Gate on, speaker off; channel 2, lobyte/hibyte, mode 0 (one-shot).
    outb(0x61, (inb(0x61) & !0x02) | 0x01);
    outb(0x43, 0b1011_0000);
    outb(0x42, latch as u8);
    outb(0x42, (latch >> 8) as u8);
    let start = crate::arch::cpu::rdtsc();
    let mut spins = 0u64;
    while inb(0x61) & 0x20 == 0 {
        spins += 1;
        if spins > 50_000_000 {
            return 0;
        }
    }
    let cycles = crate::arch::cpu::rdtsc() - start;
    let per_ms = cycles / MS;
    // Below 50 MHz the port did not count (or there is no TSC to speak of).
    if per_ms < 50_000 {
        return 0;
    }
    per_ms * 1000 / u64::from(HZ)
}

/// Milliseconds since the timer started.
pub fn uptime_ms() -> u64 {
    ticks() * 1000 / HZ as u64
}

/// Milliseconds added to the RTC's time by clock_settime/settimeofday.
static SET_OFFSET_MS: AtomicI64 = AtomicI64::new(0);

fn wall_ms() -> i64 {
    let boot = BOOT_EPOCH.load(Ordering::Relaxed).saturating_mul(1000);
    boot.saturating_add(uptime_ms() as i64).saturating_add(SET_OFFSET_MS.load(Ordering::Relaxed))
}

/// Wall-clock time: (Unix seconds, nanoseconds).
pub fn now() -> (i64, u32) {
    let ms = wall_ms();
    (ms.div_euclid(1000), (ms.rem_euclid(1000) * 1_000_000) as u32)
}

/// Sets the wall clock (to the millisecond, its resolution); the
/// monotonic clocks are unaffected.
pub fn set_now(sec: i64, nsec: u32) {
    let target = sec.saturating_mul(1000).saturating_add(i64::from(nsec / 1_000_000));
    let delta = target.saturating_sub(wall_ms());
    SET_OFFSET_MS.fetch_add(delta, Ordering::Relaxed);
}

pub fn init() {
    let per_tick = calibrate_tsc();
    TSC_BASE.store(crate::arch::cpu::rdtsc(), Ordering::Relaxed);
    TSC_PER_TICK.store(per_tick, Ordering::Relaxed);
    if per_tick == 0 {
        log::warn!("time: TSC calibration failed; counting timer interrupts (slow under load)");
    } else {
        log::info!("time: TSC at {} MHz", per_tick * u64::from(HZ) / 1_000_000);
    }
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
