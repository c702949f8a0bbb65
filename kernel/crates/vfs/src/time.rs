//! The injected wall clock filesystems stamp files with.

use core::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use crate::types::Timespec;

/// Source of the current wall-clock time (`CLOCK_REALTIME`).
pub trait Clock: Send + Sync {
    fn now(&self) -> Timespec;
}

/// A clock that only moves when told to: for tests and for early boot before
/// the kernel has a real time source.
#[derive(Debug, Default)]
pub struct ManualClock {
    sec: AtomicI64,
    nsec: AtomicU32,
}

impl ManualClock {
    pub fn new(start: Timespec) -> ManualClock {
        ManualClock { sec: AtomicI64::new(start.sec), nsec: AtomicU32::new(start.nsec) }
    }

    /// Sets the time returned by [`Clock::now`].
    pub fn set(&self, t: Timespec) {
        self.sec.store(t.sec, Ordering::SeqCst);
        self.nsec.store(t.nsec, Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs` seconds (saturating).
    pub fn advance(&self, secs: i64) {
        let now = self.sec.load(Ordering::SeqCst);
        self.sec.store(now.saturating_add(secs), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timespec {
        Timespec { sec: self.sec.load(Ordering::SeqCst), nsec: self.nsec.load(Ordering::SeqCst) }
    }
}
