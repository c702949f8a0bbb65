//! Interval timers (ITIMER_REAL: alarm, setitimer): per process, fired by a
//! kernel thread ("timers") that sleeps until the earliest deadline and sends
//! SIGALRM, re-arming periodic timers.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;

use super::{signal, Process};
use crate::sched::WaitQueue;

/// Armed timers by (deadline tick, kernel pid).
static TIMERS: Mutex<BTreeMap<(u64, u32), Weak<Process>>> = Mutex::new(BTreeMap::new());
static CHANGED: AtomicBool = AtomicBool::new(false);
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
        let next = TIMERS.lock().first_key_value().map(|(k, _)| k.0);
        CHANGED.store(false, Ordering::Release);
        let _ = WAKE.wait_interruptible(|| CHANGED.load(Ordering::Acquire).then_some(()), next);
    }
}

fn fire(p: &Arc<Process>, now: u64) {
    let rearm = {
        let mut it = p.itimer.lock();
        match *it {
            Some((_, interval)) if interval > 0 => {
                let next = now + interval;
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
    signal::send_to_process(p, signal::SIGALRM);
}

/// Arms (or with `value` 0 disarms) the process's ITIMER_REAL; returns the
/// previous (remaining, interval) in ticks.
pub fn set(p: &Arc<Process>, value: u64, interval: u64) -> (u64, u64) {
    let now = crate::time::ticks();
    let old = {
        let mut it = p.itimer.lock();
        let old = *it;
        *it = (value > 0).then_some((now + value, interval));
        old
    };
    let mut t = TIMERS.lock();
    if let Some((d, _)) = old {
        t.remove(&(d, p.pid));
    }
    if value > 0 {
        t.insert((now + value, p.pid), Arc::downgrade(p));
    }
    drop(t);
    CHANGED.store(true, Ordering::Release);
    WAKE.wake_all();
    old.map_or((0, 0), |(d, i)| (d.saturating_sub(now), i))
}

/// (remaining, interval) in ticks.
pub fn get(p: &Process) -> (u64, u64) {
    let now = crate::time::ticks();
    p.itimer.lock().map_or((0, 0), |(d, i)| (d.saturating_sub(now).max(1), i))
}
