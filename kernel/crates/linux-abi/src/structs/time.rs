//! `struct timespec`, `struct timeval` and statx's timestamp.

use errno::{Errno, KResult};

/// `struct timespec` (`__kernel_timespec` on x86_64).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}
abi_struct!(Timespec, 16 { tv_sec, tv_nsec });

/// utimensat `tv_nsec` values.
pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

pub const NSEC_PER_SEC: i64 = 1_000_000_000;

impl Timespec {
    /// A user-supplied timespec as nanosleep/clock_settime check it:
    /// EINVAL unless `0 <= tv_nsec < 1e9` and `tv_sec >= 0`.
    pub fn validate(self) -> KResult<Timespec> {
        if self.tv_sec < 0 || !(0..NSEC_PER_SEC).contains(&self.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Ok(self)
    }

    /// Total nanoseconds of a valid timespec (`None` on overflow).
    pub fn as_nanos(self) -> Option<u64> {
        let secs = u64::try_from(self.tv_sec).ok()?;
        let nanos = u64::try_from(self.tv_nsec).ok()?;
        secs.checked_mul(1_000_000_000)?.checked_add(nanos)
    }

    pub const fn from_nanos(nanos: u64) -> Timespec {
        Timespec { tv_sec: (nanos / 1_000_000_000) as i64, tv_nsec: (nanos % 1_000_000_000) as i64 }
    }
}

/// `struct timeval` (`__kernel_old_timeval` on x86_64).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}
abi_struct!(Timeval, 16 { tv_sec, tv_usec });

impl Timeval {
    /// EINVAL unless `0 <= tv_usec < 1e6` and `tv_sec >= 0` (setitimer, select).
    pub fn validate(self) -> KResult<Timeval> {
        if self.tv_sec < 0 || !(0..1_000_000).contains(&self.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Ok(self)
    }

    pub const fn from_nanos(nanos: u64) -> Timeval {
        Timeval { tv_sec: (nanos / 1_000_000_000) as i64, tv_usec: ((nanos % 1_000_000_000) / 1000) as i64 }
    }

    /// Total microseconds of a valid timeval (saturating).
    pub fn as_micros(self) -> u64 {
        (self.tv_sec.max(0) as u64).saturating_mul(1_000_000).saturating_add(self.tv_usec.max(0) as u64)
    }

    pub const fn from_micros(micros: u64) -> Timeval {
        Timeval { tv_sec: (micros / 1_000_000) as i64, tv_usec: (micros % 1_000_000) as i64 }
    }

    /// What alarm(2) returns for a previous timer with this much left:
    /// whole seconds, rounded to the nearest, but never 0 for a timer
    /// still running (kernel/time/itimer.c `alarm_setitimer`).
    pub const fn alarm_seconds(self) -> u64 {
        let secs = self.tv_sec as u64;
        if (secs == 0 && self.tv_usec > 0) || self.tv_usec >= 500_000 {
            secs + 1
        } else {
            secs
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_rounding() {
        assert_eq!(Timeval { tv_sec: 4, tv_usec: 300_000 }.alarm_seconds(), 4);
        assert_eq!(Timeval { tv_sec: 4, tv_usec: 500_000 }.alarm_seconds(), 5);
        assert_eq!(Timeval { tv_sec: 0, tv_usec: 1 }.alarm_seconds(), 1);
        assert_eq!(Timeval { tv_sec: 0, tv_usec: 0 }.alarm_seconds(), 0);
        assert_eq!(Timeval::from_micros(2_500_001), Timeval { tv_sec: 2, tv_usec: 500_001 });
        assert_eq!(Timeval::from_micros(2_500_001).as_micros(), 2_500_001);
    }
}

/// `struct itimerval` (setitimer/getitimer).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Itimerval {
    /// The period after the first expiry (0: one-shot).
    pub it_interval: Timeval,
    /// Time to the next expiry (0: disarmed).
    pub it_value: Timeval,
}
abi_struct!(Itimerval, 32 { it_interval, it_value });

/// setitimer/getitimer `which`.
pub const ITIMER_REAL: i32 = 0;
pub const ITIMER_VIRTUAL: i32 = 1;
pub const ITIMER_PROF: i32 = 2;

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}
abi_struct!(StatxTimestamp, 16 { tv_sec, tv_nsec, __reserved });

/// `struct itimerspec` (timerfd_settime/gettime, timer_settime).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Itimerspec {
    /// The period after the first expiry (0: one-shot).
    pub it_interval: Timespec,
    /// The first expiry (0: disarmed).
    pub it_value: Timespec,
}
abi_struct!(Itimerspec, 32 { it_interval, it_value });
