//! CPU groups: what cgroups' cpu controller gives a container on Linux.
//!
//! Every thread belongs to a group (0 = the host, unlimited). A group may
//! have a bandwidth cap (`quota` ticks of CPU per `period` ticks: once used
//! up, its threads are parked until the next period) and a weight (`shares`,
//! 1024 = normal) that scales its threads' time slices against other busy
//! groups. Accounting is per timer tick (1 ms).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::Thread;

pub struct Group {
    /// CPU ticks allowed per period (0: no cap).
    pub quota: u64,
    pub period: u64,
    pub shares: u64,
    used: u64,
    period_start: u64,
    pub throttled: bool,
    /// CPU ticks used since the group was made.
    pub total: u64,
    /// Threads waiting for the next period.
    pub parked: Vec<Arc<Thread>>,
}

impl Group {
    pub fn new(now: u64) -> Group {
        Group { quota: 0, period: 100, shares: 1024, used: 0, period_start: now, throttled: false, total: 0, parked: Vec::new() }
    }

    /// Charges `ticks` of CPU; true if the group just ran out of quota.
    pub fn charge(&mut self, ticks: u64) -> bool {
        self.total += ticks;
        self.used += ticks;
        if self.quota > 0 && self.used >= self.quota && !self.throttled {
            self.throttled = true;
            return true;
        }
        false
    }

    /// Starts a new period if due; returns the threads to run again.
    pub fn roll(&mut self, now: u64) -> Vec<Arc<Thread>> {
        if now.saturating_sub(self.period_start) < self.period.max(1) {
            return Vec::new();
        }
        self.period_start = now;
        self.used = 0;
        if self.throttled {
            self.throttled = false;
            return core::mem::take(&mut self.parked);
        }
        Vec::new()
    }

    /// The time slice of one of its threads, in ticks.
    pub fn slice(&self, base: u64) -> u64 {
        (base * self.shares / 1024).clamp(1, 100)
    }
}
