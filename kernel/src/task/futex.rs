//! Futexes: threads sleep on a user address until woken by another thread.
//!
//! Key: (the memory's identity, address). There are no shared file or
//! anonymous mappings yet, so "shared" futexes are keyed like private ones
//! (they can only be shared by threads of one memory today).
//! A wait checks the word and enqueues with interrupts off, so a wake that
//! follows a change of the word cannot be missed.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use errno::{Errno, KResult};
use spin::Mutex;

use super::mm::Mm;
use crate::sched::wait::Interrupted;
use crate::sched::WaitQueue;

type Key = (usize, u64);

static QUEUES: Mutex<BTreeMap<Key, Arc<WaitQueue>>> = Mutex::new(BTreeMap::new());

fn key(mm: &Arc<Mm>, addr: u64) -> Key {
    (Arc::as_ptr(mm) as usize, addr)
}

fn queue(k: Key) -> Arc<WaitQueue> {
    QUEUES.lock().entry(k).or_insert_with(|| Arc::new(WaitQueue::new())).clone()
}

/// FUTEX_WAIT: sleeps while `*addr == expected`, until a wake, a signal or
/// `deadline` (ticks).
pub fn wait(mm: &Arc<Mm>, addr: u64, expected: u32, deadline: Option<u64>) -> KResult<()> {
    if addr % 4 != 0 {
        return Err(Errno::EINVAL);
    }
    let k = key(mm, addr);
    let q = queue(k);
    let mut first = true;
    let r = q.wait_interruptible(
        || {
            if first {
                first = false;
                match mm.read_u32(addr) {
                    Ok(v) if v == expected => None,
                    Ok(_) => Some(Err(Errno::EAGAIN)),
                    Err(e) => Some(Err(e)),
                }
            } else if deadline.is_some_and(|d| crate::time::ticks() >= d) {
                Some(Err(Errno::ETIMEDOUT))
            } else if super::signal_pending() {
                Some(Err(Errno::EINTR))
            } else {
                Some(Ok(())) // woken (possibly spuriously, which callers tolerate)
            }
        },
        deadline,
    );
    let result = match r {
        Ok(r) => r,
        Err(Interrupted::Signal) => Err(Errno::EINTR),
        Err(Interrupted::TimedOut) => Err(Errno::ETIMEDOUT),
    };
    let mut queues = QUEUES.lock();
    if queues.get(&k).is_some_and(|q| Arc::strong_count(q) == 1 && !q.has_waiters()) {
        queues.remove(&k);
    }
    result
}

/// FUTEX_WAKE: wakes up to `n` waiters; returns how many.
pub fn wake(mm: &Arc<Mm>, addr: u64, n: usize) -> usize {
    let q = QUEUES.lock().get(&key(mm, addr)).cloned();
    q.map_or(0, |q| q.wake_n(n))
}
