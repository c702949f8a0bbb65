//! Per-object readiness: a [`Pollee`] is what an object (a pipe end, a
//! socket, the terminal, an epoll instance) notifies when its state
//! changes, and what its waiters wait on.
//!
//! - Threads blocked in the object's own calls (a read on an empty pipe)
//!   sleep on the pollee's wait queue ([`Pollee::wait`]).
//! - poll/select and epoll register an [`Observer`] through a
//!   [`PollTable`] while they look at the object's readiness (as Linux's
//!   `poll_wait`); [`Pollee::notify`] calls the observers, so nobody sleeps
//!   on an object it is not interested in and no change wakes waiters of
//!   other objects. A [`Poller`] is poll/select's observer: it wakes the one
//!   thread that waits on many objects.
//! - Every notification advances the pollee's sequence number: an operation
//!   that may consume an event while it runs (a socket call polls the
//!   network stack) retries instead of sleeping when the number moved.
//! Invariants: `notify` runs in thread context (never in an interrupt
//! handler: observers may allocate and take locks); registrations end when
//! their [`Registration`] is dropped.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use readiness::subject::{Id, Subject};

use crate::sched::wait::Interrupted;
use crate::sched::WaitQueue;

/// Told when a pollee's state changes; `events` are the bits that may now
/// hold (0: unknown). Returns true if it took the event (matters for
/// exclusive observers: the next one is not told).
pub trait Observer: Send + Sync {
    fn on_events(&self, events: u32) -> bool;
}

struct Inner {
    observers: Subject<dyn Observer>,
    queue: WaitQueue,
    seq: AtomicU64,
}

/// A handle on one object's readiness; clones share it.
#[derive(Clone)]
pub struct Pollee {
    inner: Arc<Inner>,
}

impl Default for Pollee {
    fn default() -> Self {
        Self::new()
    }
}

impl Pollee {
    pub fn new() -> Pollee {
        Pollee { inner: Arc::new(Inner { observers: Subject::new(), queue: WaitQueue::new(), seq: AtomicU64::new(0) }) }
    }

    /// The object changed: `events` may now hold (0: unknown). Wakes the
    /// object's blocked callers and tells the observers.
    pub fn notify(&self, events: u32) {
        self.inner.seq.fetch_add(1, Ordering::AcqRel);
        if self.inner.queue.has_waiters() {
            self.inner.queue.wake_all();
        }
        self.inner.observers.notify(|o| o.on_events(events));
    }

    /// Wakes the object's blocked callers only (the change is no event for
    /// observers, e.g. room that is not enough for a waiting write).
    pub fn wake_waiters(&self) {
        self.inner.seq.fetch_add(1, Ordering::AcqRel);
        if self.inner.queue.has_waiters() {
            self.inner.queue.wake_all();
        }
    }

    /// Advances with every notification.
    pub fn seq(&self) -> u64 {
        self.inner.seq.load(Ordering::Acquire)
    }

    /// True while a thread sleeps in [`Pollee::wait`].
    pub fn has_waiters(&self) -> bool {
        self.inner.queue.has_waiters()
    }

    /// Sleeps until `cond` returns Some, a signal arrives or `deadline`
    /// (ticks) passes; `cond` is re-checked after each notification.
    pub fn wait<R>(&self, cond: impl FnMut() -> Option<R>, deadline: Option<u64>) -> Result<R, Interrupted> {
        self.inner.queue.wait_interruptible(cond, deadline)
    }

    /// Registers `observer` until the returned registration is dropped.
    pub fn register(&self, observer: Arc<dyn Observer>, exclusive: bool) -> Registration {
        let id = self.inner.observers.register(observer, exclusive);
        Registration { pollee: Arc::downgrade(&self.inner), id }
    }

}

/// One observer on one pollee; dropping it unregisters.
pub struct Registration {
    pollee: Weak<Inner>,
    id: Id,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(p) = self.pollee.upgrade() {
            let observer = p.observers.unregister(self.id);
            drop(observer);
        }
    }
}

/// What a file's `poll` registers with: one observer, put on every pollee
/// the file depends on (a socket may depend on its peer's queue too).
pub struct PollTable {
    observer: Arc<dyn Observer>,
    exclusive: bool,
    registrations: Vec<Registration>,
}

impl PollTable {
    pub fn new(observer: Arc<dyn Observer>, exclusive: bool) -> PollTable {
        PollTable { observer, exclusive, registrations: Vec::new() }
    }

    /// Called by a file's `poll` for each pollee whose changes matter.
    pub fn add(&mut self, pollee: &Pollee) {
        self.registrations.push(pollee.register(self.observer.clone(), self.exclusive));
    }
}

/// poll/select's observer: wakes the thread waiting on many files.
struct Waker {
    queue: WaitQueue,
}

impl Observer for Waker {
    fn on_events(&self, _events: u32) -> bool {
        if self.queue.has_waiters() {
            self.queue.wake_all();
        }
        true
    }
}

/// One poll/select call's waiting: register on every file's pollees on the
/// first look ([`Poller::table`]), then sleep until one of them notifies.
pub struct Poller {
    waker: Arc<Waker>,
    table: PollTable,
}

impl Default for Poller {
    fn default() -> Self {
        Self::new()
    }
}

impl Poller {
    pub fn new() -> Poller {
        let waker = Arc::new(Waker { queue: WaitQueue::new() });
        let table = PollTable::new(waker.clone(), false);
        Poller { waker, table }
    }

    pub fn table(&mut self) -> &mut PollTable {
        &mut self.table
    }

    /// Sleeps until `cond` returns Some (re-checked after every
    /// notification of a registered pollee), a signal, or `deadline`.
    pub fn wait<R>(&self, cond: impl FnMut() -> Option<R>, deadline: Option<u64>) -> Result<R, Interrupted> {
        self.waker.queue.wait_interruptible(cond, deadline)
    }
}
