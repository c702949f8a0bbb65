//! Interval timers (ITIMER_REAL: alarm, setitimer): per process, fired by a
//! kernel thread ("timers") that sleeps until the earliest deadline and sends
//! SIGALRM (SI_KERNEL, as Linux's it_real_fn), re-arming periodic timers one
//! period after the previous deadline. The same thread rings [`Alarm`]s:
//! objects (timerfds) that want one call at a deadline tick.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use spin::Mutex;

use super::{signal, Process};
use crate::sched::WaitQueue;

/// Armed timers by (deadline tick, kernel pid).
static TIMERS: Mutex<BTreeMap<(u64, u32), Weak<Process>>> = Mutex::new(BTreeMap::new());
static CHANGED: AtomicBool = AtomicBool::new(false);

/// An object told once when its deadline passes (from the "timers" thread).
pub trait Alarm: Send + Sync {
    fn ring(&self, now: u64);
}

/// Armed alarms by (deadline tick, alarm id).
static ALARMS: Mutex<BTreeMap<(u64, u64), Weak<dyn Alarm>>> = Mutex::new(BTreeMap::new());
static NEXT_ALARM: AtomicU64 = AtomicU64::new(1);

/// A fresh alarm id (one per object).
pub fn alarm_id() -> u64 {
    NEXT_ALARM.fetch_add(1, Ordering::Relaxed)
}

/// Moves alarm `id` from `old` to `new` (deadline ticks; None: not armed).
/// A deadline is rung one tick late at the earliest (never early).
pub fn set_alarm(id: u64, old: Option<u64>, new: Option<u64>, target: Weak<dyn Alarm>) {
    let mut a = ALARMS.lock();
    if let Some(d) = old {
        a.remove(&(d, id));
    }
    if let Some(d) = new {
        a.insert((d, id), target);
    }
    drop(a);
    CHANGED.store(true, Ordering::Release);
    WAKE.wake_all();
}

/// Rings the alarms due at `now`; true if one was due.
fn ring_due(now: u64) -> bool {
    let due = {
        let mut a = ALARMS.lock();
        match a.first_key_value() {
            Some((&(d, _), _)) if d <= now => a.pop_first(),
            _ => None,
        }
    };
    match due {
        Some((_, target)) => {
            if let Some(t) = target.upgrade() {
                t.ring(now);
            }
            true
        }
        None => false,
    }
}

static WAKE: WaitQueue = WaitQueue::new();

pub fn init() {
    crate::sched::spawn_kernel("timers", alloc::boxed::Box::new(run));
}

fn run() {
    loop {
        let now = crate::time::ticks();
        let due = {
            let mut t = TIMERS.lock();
            match t.first_key_value() {
                Some((&(d, _), _)) if d <= now => t.pop_first(),
                _ => None,
            }
        };
        if let Some(((_, _), p)) = due {
            if let Some(p) = p.upgrade() {
                fire(&p, now);
            }
            continue;
        }
        if ring_due(now) {
            continue;
        }
        // Cleared before the deadlines are read: an arm after this point
        // sets it again and the wait below does not sleep past it.
        CHANGED.store(false, Ordering::Release);
        let next_timer = TIMERS.lock().first_key_value().map(|(k, _)| k.0);
        let next_alarm = ALARMS.lock().first_key_value().map(|(k, _)| k.0);
        let next = match (next_timer, next_alarm) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let _ = WAKE.wait_interruptible(|| CHANGED.load(Ordering::Acquire).then_some(()), next);
    }
}

fn fire(p: &Arc<Process>, now: u64) {
    let rearm = {
        let mut it = p.itimer.lock();
        match *it {
            Some((deadline, interval)) if interval > 0 => {
                // The period counts from the last expiry, not from now (no
                // drift); expiries missed meanwhile are skipped, as Linux's
                // hrtimer_forward does.
                let missed = now.saturating_sub(deadline) / interval;
                let next = deadline.saturating_add(missed.saturating_add(1).saturating_mul(interval));
                *it = Some((next, interval));
                Some(next)
            }
            _ => {
                *it = None;
                None
            }
        }
    };
    if let Some(next) = rearm {
        TIMERS.lock().insert((next, p.pid), Arc::downgrade(p));
    }
    signal::send_to_process(p, signal::Signal::SIGALRM);
}

/// Deadlines lie one tick further than asked: the tick counter lags real
/// time by up to a tick, and a timer must never fire early.
const SLACK: u64 = 1;

/// What is left of an armed timer: (ticks to its deadline, 0 if due but
/// not fired yet; interval ticks).
pub type Left = Option<(u64, u64)>;

fn left(it: Option<(u64, u64)>, now: u64) -> Left {
    it.map(|(d, i)| (d.saturating_sub(now.saturating_add(SLACK)), i))
}

/// Arms (or with `value` 0 disarms) the process's ITIMER_REAL (ticks);
/// returns what was left of the previous one.
pub fn set(p: &Arc<Process>, value: u64, interval: u64) -> Left {
    let now = crate::time::ticks();
    let deadline = now.saturating_add(value).saturating_add(SLACK);
    let old = {
        let mut it = p.itimer.lock();
        let old = *it;
        *it = (value > 0).then_some((deadline, interval));
        old
    };
    let mut t = TIMERS.lock();
    if let Some((d, _)) = old {
        t.remove(&(d, p.pid));
    }
    if value > 0 {
        t.insert((deadline, p.pid), Arc::downgrade(p));
    }
    drop(t);
    CHANGED.store(true, Ordering::Release);
    WAKE.wake_all();
    left(old, now)
}

/// Disarms the timer of a process that ended: its entry would otherwise stay
/// (with the process's memory, through the weak reference) until the
/// deadline, which may be years away.
pub fn cancel(p: &Process) {
    if let Some((deadline, _)) = p.itimer.lock().take() {
        TIMERS.lock().remove(&(deadline, p.pid));
    }
}

/// What is left of the process's ITIMER_REAL.
pub fn get(p: &Process) -> Left {
    left(*p.itimer.lock(), crate::time::ticks())
}
