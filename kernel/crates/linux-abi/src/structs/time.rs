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
}

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}
abi_struct!(StatxTimestamp, 16 { tv_sec, tv_nsec, __reserved });
