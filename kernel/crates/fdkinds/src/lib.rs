//! The hardware-independent rules of Linux's anonymous descriptor kinds,
//! tested on the host; the kernel's `file::{eventfd, timerfd}` add locking,
//! blocking and readiness around them.
//!
//! - [`EventCounter`]: eventfd(2)'s 64-bit counter (`EFD_SEMAPHORE`, the
//!   `u64::MAX - 1` ceiling, what blocks).
//! - [`Schedule`]: a timerfd's deadline and interval in nanoseconds of one
//!   monotonic clock, and the count of expirations a read returns
//!   (Linux's `hrtimer_forward`: missed periods are counted, never drift).
//! - [`inotify::Queue`]: an inotify instance's event queue (coalescing,
//!   overflow, the record encoding and what a read of n bytes takes).

#![no_std]

extern crate alloc;

pub mod inotify;

use errno::{Errno, KResult};

/// The largest value an eventfd counter holds.
pub const EVENTFD_MAX: u64 = u64::MAX - 1;

/// eventfd's counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventCounter {
    count: u64,
    semaphore: bool,
}

impl EventCounter {
    pub fn new(initial: u32, semaphore: bool) -> EventCounter {
        EventCounter { count: u64::from(initial), semaphore }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// A read: Some(value) (the whole count, or 1 for a semaphore) or None
    /// when it is 0 (the reader blocks or gets `EAGAIN`).
    pub fn take(&mut self) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let v = if self.semaphore { 1 } else { self.count };
        self.count -= v;
        Some(v)
    }

    /// A write of `value`: `EINVAL` for `u64::MAX`; Ok(false) when it does
    /// not fit under [`EVENTFD_MAX`] now (the writer blocks or gets `EAGAIN`).
    pub fn add(&mut self, value: u64) -> KResult<bool> {
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        if EVENTFD_MAX - self.count < value {
            return Ok(false);
        }
        self.count += value;
        Ok(true)
    }

    /// poll: readable while non-zero, writable while 1 more fits.
    pub fn readable(&self) -> bool {
        self.count > 0
    }

    pub fn writable(&self) -> bool {
        self.count < EVENTFD_MAX
    }
}

/// A timerfd's schedule. Times are nanoseconds of the monotonic clock the
/// caller keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The next expiry (None: disarmed).
    next: Option<u64>,
    interval: u64,
    /// Expirations counted and not yet read.
    pending: u64,
}

impl Schedule {
    pub const fn new() -> Schedule {
        Schedule { next: None, interval: 0, pending: 0 }
    }

    /// Arms for `deadline` (None disarms) with `interval` (0: one-shot);
    /// expirations not yet read are dropped, as timerfd_settime does.
    pub fn arm(&mut self, deadline: Option<u64>, interval: u64) {
        self.next = deadline;
        self.interval = interval;
        self.pending = 0;
    }

    /// Counts the expirations up to `now`, forwarding a periodic deadline
    /// past `now` and disarming a one-shot one.
    pub fn advance(&mut self, now: u64) {
        let Some(next) = self.next else { return };
        if now < next {
            return;
        }
        if self.interval == 0 {
            self.pending = self.pending.saturating_add(1);
            self.next = None;
            return;
        }
        let periods = (now - next) / self.interval + 1;
        self.pending = self.pending.saturating_add(periods);
        self.next = next.checked_add(periods.saturating_mul(self.interval));
    }

    /// Expirations counted so far (a read returns them).
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// A read: the count (None if 0, the reader blocks), reset to 0.
    pub fn take(&mut self, now: u64) -> Option<u64> {
        self.advance(now);
        let n = core::mem::take(&mut self.pending);
        (n > 0).then_some(n)
    }

    /// The deadline a timer must wake the readers at (None: nothing to wait for).
    pub fn next(&self) -> Option<u64> {
        self.next
    }

    /// timerfd_gettime: (time to the next expiry, 0 if disarmed; interval).
    pub fn remaining(&mut self, now: u64) -> (u64, u64) {
        self.advance(now);
        (self.next.map_or(0, |n| n.saturating_sub(now)), self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_reads_and_semaphore() {
        let mut c = EventCounter::new(3, false);
        assert_eq!(c.take(), Some(3));
        assert_eq!(c.take(), None);
        let mut s = EventCounter::new(2, true);
        assert_eq!((s.take(), s.take(), s.take()), (Some(1), Some(1), None));
    }

    #[test]
    fn counter_ceiling() {
        let mut c = EventCounter::new(0, false);
        assert_eq!(c.add(u64::MAX), Err(Errno::EINVAL));
        assert_eq!(c.add(EVENTFD_MAX), Ok(true));
        assert!(!c.writable());
        assert_eq!(c.add(1), Ok(false));
        assert_eq!(c.add(0), Ok(true));
        assert_eq!(c.take(), Some(EVENTFD_MAX));
        assert!(c.writable() && !c.readable());
    }

    #[test]
    fn one_shot_expires_once() {
        let mut s = Schedule::new();
        s.arm(Some(100), 0);
        assert_eq!(s.take(99), None);
        assert_eq!(s.remaining(40), (60, 0));
        assert_eq!(s.take(100), Some(1));
        assert_eq!(s.take(1000), None);
        assert_eq!(s.remaining(1000), (0, 0));
    }

    #[test]
    fn periodic_counts_missed_periods_without_drift() {
        let mut s = Schedule::new();
        s.arm(Some(100), 50);
        assert_eq!(s.take(100), Some(1));
        assert_eq!(s.next(), Some(150));
        // 260: expiries at 150, 200, 250.
        assert_eq!(s.take(260), Some(3));
        assert_eq!(s.remaining(260), (40, 50));
        s.arm(None, 0);
        assert_eq!((s.take(10_000), s.next()), (None, None));
    }

    #[test]
    fn rearming_drops_unread_expirations() {
        let mut s = Schedule::new();
        s.arm(Some(10), 0);
        s.advance(20);
        assert_eq!(s.pending(), 1);
        s.arm(Some(30), 0);
        assert_eq!(s.take(25), None);
    }
}
