//! Futexes: threads sleep on a user address until woken by another thread.
//!
//! Key: (the memory's identity, address) for a private futex or a word outside
//! MAP_SHARED memory; (the shared object's identity, offset in it) for a shared futex
//! (no FUTEX_PRIVATE_FLAG) in a MAP_SHARED mapping, so processes mapping the same
//! object at any address meet on it, as Linux's `get_futex_key` does. The object is
//! alive while a waiter sleeps (the waiter's mapping holds it).
//! A wait checks the word and enqueues with interrupts off, so a wake that
//! follows a change of the word cannot be missed.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use errno::{Errno, KResult};
use linux_abi::UserPtr;
use spin::Mutex;

use super::mm::Mm;
use crate::sched::wait::Interrupted;
use crate::sched::WaitQueue;

type Key = (usize, u64);

static QUEUES: Mutex<BTreeMap<Key, Arc<WaitQueue>>> = Mutex::new(BTreeMap::new());

/// The key of the futex word at `uaddr`: EINVAL unless 4-byte aligned,
/// EFAULT outside user space (Linux's `get_futex_key`).
fn key(mm: &Arc<Mm>, uaddr: UserPtr<u32>, shared: bool) -> KResult<Key> {
    if !uaddr.is_aligned() {
        return Err(Errno::EINVAL);
    }
    uaddr.range()?;
    if shared {
        if let Some(k) = mm.shared_object_at(uaddr.value()) {
            return Ok(k);
        }
    }
    Ok((Arc::as_ptr(mm) as usize, uaddr.value()))
}

fn queue(k: Key) -> Arc<WaitQueue> {
    QUEUES.lock().entry(k).or_insert_with(|| Arc::new(WaitQueue::new())).clone()
}

/// FUTEX_WAIT: sleeps while `*addr == expected`, until a wake, a signal or
/// `deadline` (ticks).
pub fn wait(mm: &Arc<Mm>, addr: UserPtr<u32>, expected: u32, deadline: Option<u64>, shared: bool) -> KResult<()> {
    let k = key(mm, addr, shared)?;
    let q = queue(k);
    let mut first = true;
    let r = q.wait_interruptible(
        || {
            if first {
                first = false;
                match mm.read(addr) {
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
pub fn wake(mm: &Arc<Mm>, addr: UserPtr<u32>, n: usize, shared: bool) -> KResult<usize> {
    let q = QUEUES.lock().get(&key(mm, addr, shared)?).cloned();
    Ok(q.map_or(0, |q| q.wake_n(n)))
}

/// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes `n_wake` waiters of `addr` and
/// moves up to `n_requeue` others to wait on `addr2`. With `expected`, the
/// word at `addr` must still hold it (EAGAIN otherwise). Returns how many
/// were woken plus moved.
pub fn requeue(
    mm: &Arc<Mm>,
    addr: UserPtr<u32>,
    n_wake: usize,
    n_requeue: usize,
    addr2: UserPtr<u32>,
    expected: Option<u32>,
    shared: bool,
) -> KResult<usize> {
    let (k, k2) = (key(mm, addr, shared)?, key(mm, addr2, shared)?);
    if let Some(v) = expected {
        if mm.read(addr)? != v {
            return Err(Errno::EAGAIN);
        }
    }
    let Some(q) = QUEUES.lock().get(&k).cloned() else { return Ok(0) };
    let woken = q.wake_n(n_wake);
    let moved = if n_requeue > 0 { q.requeue_to(&queue(k2), n_requeue) } else { 0 };
    Ok(woken.saturating_add(moved))
}

/// FUTEX_WAKE_OP: `*addr2 = op(*addr2)`, wake `n` on `addr`, and `n2` on
/// `addr2` if the old value passes the comparison encoded in `encoded`.
pub fn wake_op(mm: &Arc<Mm>, addr: UserPtr<u32>, n: usize, addr2: UserPtr<u32>, n2: usize, encoded: u32, shared: bool) -> KResult<usize> {
    key(mm, addr, shared)?;
    key(mm, addr2, shared)?;
    let op = (encoded >> 28) & 0x7;
    let shift = encoded & (8 << 28) != 0;
    let cmp = (encoded >> 24) & 0xf;
    let mut oparg = (encoded >> 12) & 0xfff;
    let cmparg = encoded & 0xfff;
    if shift {
        oparg = 1u32.checked_shl(oparg).unwrap_or(0);
    }
    let old: u32 = mm.read(addr2)?;
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(Errno::ENOSYS),
    };
    mm.write(addr2, &new)?;
    let (o, c) = (old as i32, cmparg as i32);
    let pass = match cmp {
        0 => o == c,
        1 => o != c,
        2 => o < c,
        3 => o <= c,
        4 => o > c,
        5 => o >= c,
        _ => return Err(Errno::ENOSYS),
    };
    let mut woken = wake(mm, addr, n, shared)?;
    if pass {
        woken = woken.saturating_add(wake(mm, addr2, n2, shared)?);
    }
    Ok(woken)
}
