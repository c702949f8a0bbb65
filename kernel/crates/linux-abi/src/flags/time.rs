//! Clock ids and timer flags (linux/time.h).

linux_consts! {
    /// Name of a clock id.
    pub fn clock_name(i32);
    CLOCK_REALTIME = 0;
    CLOCK_MONOTONIC = 1;
    CLOCK_PROCESS_CPUTIME_ID = 2;
    CLOCK_THREAD_CPUTIME_ID = 3;
    CLOCK_MONOTONIC_RAW = 4;
    CLOCK_REALTIME_COARSE = 5;
    CLOCK_MONOTONIC_COARSE = 6;
    CLOCK_BOOTTIME = 7;
    CLOCK_REALTIME_ALARM = 8;
    CLOCK_BOOTTIME_ALARM = 9;
    CLOCK_TAI = 11;
}

/// clock_nanosleep(2) / timer_settime(2): the time is absolute.
pub const TIMER_ABSTIME: i32 = 1;
