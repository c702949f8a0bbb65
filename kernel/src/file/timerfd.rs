//! timerfd(2): a timer as a file. The schedule (deadline, interval,
//! expirations not yet read) is [`fdkinds::Schedule`], kept in nanoseconds
//! of the monotonic clock; a CLOCK_REALTIME absolute deadline is converted
//! when it is set. An armed timer has an alarm (`task::timer`) at its next
//! deadline that notifies the pollee; as Linux's, a periodic timer is
//! re-armed by the read (or timerfd_gettime) that counts its expirations,
//! not by the alarm, so an unread timer wakes its waiters once.
//! Reads return the count as 8 bytes (`EINVAL` below 8), blocking while it
//! is 0 (`EAGAIN` when non-blocking).

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use core::any::Any;
use errno::{Errno, KResult};
use fdkinds::Schedule;
use linux_abi::flags::{CLOCK_REALTIME, TFD_TIMER_ABSTIME};
use linux_abi::structs::{self, Itimerspec, Timespec};
use spin::Mutex;

use super::{ev, FileLike, OpenFile, PollTable, Pollee, Sink};
use crate::task::timer::{self, Alarm};

const NS_PER_MS: u64 = 1_000_000;

/// Nanoseconds of the monotonic clock (its resolution is the tick).
fn mono_now() -> u64 {
    crate::time::uptime_ms().saturating_mul(NS_PER_MS)
}

/// Nanoseconds of the wall clock (negative before 1970).
fn wall_now() -> i128 {
    let (s, ns) = crate::time::now();
    i128::from(s) * 1_000_000_000 + i128::from(ns)
}

struct State {
    schedule: Schedule,
    /// The deadline tick the alarm is registered at.
    alarm: Option<u64>,
}

pub struct TimerFd {
    clock: i32,
    id: u64,
    state: Mutex<State>,
    pollee: Pollee,
    me: Weak<TimerFd>,
}

impl TimerFd {
    pub fn new(clock: i32) -> Arc<TimerFd> {
        Arc::new_cyclic(|me| TimerFd {
            clock,
            id: timer::alarm_id(),
            state: Mutex::new(State { schedule: Schedule::new(), alarm: None }),
            pollee: Pollee::new(),
            me: me.clone(),
        })
    }

    /// Registers the alarm at the schedule's next deadline (the first tick
    /// at or after it).
    fn rearm(&self, st: &mut State) {
        let want = st.schedule.next().map(|ns| ns.div_ceil(NS_PER_MS));
        if want != st.alarm {
            let me: Weak<dyn Alarm> = self.me.clone();
            timer::set_alarm(self.id, st.alarm, want, me);
            st.alarm = want;
        }
    }

    fn current(st: &mut State, now: u64) -> Itimerspec {
        let (left, interval) = st.schedule.remaining(now);
        Itimerspec { it_interval: Timespec::from_nanos(interval), it_value: Timespec::from_nanos(left) }
    }

    /// timerfd_gettime.
    pub fn get(&self) -> Itimerspec {
        let mut st = self.state.lock();
        let v = Self::current(&mut st, mono_now());
        self.rearm(&mut st);
        v
    }

    /// timerfd_settime with checked values: returns the old setting.
    pub fn set(&self, flags: u32, new: &Itimerspec) -> KResult<Itimerspec> {
        let value = new.it_value.as_nanos().ok_or(Errno::EINVAL)?;
        let interval = new.it_interval.as_nanos().ok_or(Errno::EINVAL)?;
        let now = mono_now();
        let deadline = if value == 0 {
            None
        } else if flags & TFD_TIMER_ABSTIME == 0 {
            Some(now.saturating_add(value))
        } else if self.clock == CLOCK_REALTIME {
            // The wall-clock deadline as a monotonic one.
            let mono = i128::from(now) + (i128::from(value) - wall_now());
            Some(u64::try_from(mono.max(0)).unwrap_or(u64::MAX))
        } else {
            Some(value)
        };
        let mut st = self.state.lock();
        let old = Self::current(&mut st, now);
        st.schedule.arm(deadline, interval);
        self.rearm(&mut st);
        drop(st);
        // A deadline already past is ready now.
        if deadline.is_some_and(|d| d <= now) {
            self.pollee.notify(ev::IN | ev::RDNORM);
        }
        Ok(old)
    }

    fn take(&self) -> Option<u64> {
        let mut st = self.state.lock();
        let n = st.schedule.take(mono_now());
        if n.is_some() {
            self.rearm(&mut st);
        }
        n
    }
}

impl Alarm for TimerFd {
    fn ring(&self, now: u64) {
        {
            // Unless a re-arm moved it meanwhile, the alarm is spent.
            let mut st = self.state.lock();
            if st.alarm.is_some_and(|d| d <= now) {
                st.alarm = None;
            }
        }
        self.pollee.notify(ev::IN | ev::RDNORM);
    }
}

impl Drop for TimerFd {
    fn drop(&mut self) {
        let alarm = self.state.lock().alarm.take();
        if alarm.is_some() {
            timer::set_alarm(self.id, alarm, None, self.me.clone());
        }
    }
}

impl FileLike for TimerFd {
    fn read(&self, file: &OpenFile, dst: &mut dyn Sink, _at: Option<u64>) -> KResult<usize> {
        if dst.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let count = match self.take() {
            Some(n) => n,
            None if file.nonblocking() => return Err(Errno::EAGAIN),
            None => self.pollee.wait(|| self.take(), None).map_err(|e| e.errno())?,
        };
        dst.put(0, &count.to_ne_bytes())?;
        Ok(8)
    }

    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(&self.pollee);
        }
        let mut st = self.state.lock();
        st.schedule.advance(mono_now());
        let ready = if st.schedule.pending() > 0 { ev::IN | ev::RDNORM } else { 0 };
        ready & mask
    }

    fn stat(&self) -> KResult<structs::Stat> {
        Ok(super::anon_stat(0o600, 0))
    }

    fn describe(&self) -> String {
        String::from("anon_inode:[timerfd]")
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        Ok((u64::MAX - 3, self as *const TimerFd as u64))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
