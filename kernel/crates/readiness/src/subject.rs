//! The observers of one object: who is told when its state changes.
//!
//! An observer is registered as ordinary or exclusive. [`Subject::notify`]
//! hands the event to every ordinary observer, then to the exclusive ones
//! in registration order until one of them reports that it took the event
//! (Linux's `EPOLLEXCLUSIVE`: one of several epoll instances waiting on the
//! same file is woken, not all of them).
//! Invariants: observers are called with no lock held, so one may register
//! or unregister (on this subject or another) while it runs; an observer
//! unregistered during a notification may still receive that notification.

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

/// Identifies one registration, for [`Subject::unregister`].
pub type Id = u64;

pub struct Subject<O: ?Sized> {
    inner: Mutex<Inner<O>>,
}

struct Inner<O: ?Sized> {
    next: Id,
    shared: Vec<(Id, Arc<O>)>,
    exclusive: Vec<(Id, Arc<O>)>,
}

impl<O: ?Sized> Default for Subject<O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O: ?Sized> Subject<O> {
    pub const fn new() -> Subject<O> {
        Subject { inner: Mutex::new(Inner { next: 0, shared: Vec::new(), exclusive: Vec::new() }) }
    }

    /// Adds `observer`; the id removes it again.
    pub fn register(&self, observer: Arc<O>, exclusive: bool) -> Id {
        let mut inner = self.inner.lock();
        inner.next += 1;
        let id = inner.next;
        if exclusive {
            inner.exclusive.push((id, observer));
        } else {
            inner.shared.push((id, observer));
        }
        id
    }

    /// Removes the registration `id`; returns its observer (for the caller
    /// to drop outside any lock), `None` if it was not there.
    pub fn unregister(&self, id: Id) -> Option<Arc<O>> {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        for list in [&mut inner.shared, &mut inner.exclusive] {
            if let Some(i) = list.iter().position(|(x, _)| *x == id) {
                return Some(list.remove(i).1);
            }
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        let inner = self.inner.lock();
        inner.shared.is_empty() && inner.exclusive.is_empty()
    }

    pub fn len(&self) -> usize {
        let inner = self.inner.lock();
        inner.shared.len() + inner.exclusive.len()
    }

    /// Calls `deliver` for every ordinary observer, then for exclusive ones
    /// until `deliver` returns true for one. Returns how many were called.
    pub fn notify(&self, mut deliver: impl FnMut(&O) -> bool) -> usize {
        let (shared, exclusive): (Vec<Arc<O>>, Vec<Arc<O>>) = {
            let inner = self.inner.lock();
            if inner.shared.is_empty() && inner.exclusive.is_empty() {
                return 0;
            }
            (inner.shared.iter().map(|(_, o)| o.clone()).collect(), inner.exclusive.iter().map(|(_, o)| o.clone()).collect())
        };
        let mut called = 0;
        for o in &shared {
            deliver(o);
            called += 1;
        }
        for o in &exclusive {
            called += 1;
            if deliver(o) {
                break;
            }
        }
        called
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::sync::atomic::{AtomicUsize, Ordering};

    struct Counter {
        hits: AtomicUsize,
        takes: bool,
    }

    fn counter(takes: bool) -> Arc<Counter> {
        Arc::new(Counter { hits: AtomicUsize::new(0), takes })
    }

    fn hits(c: &Counter) -> usize {
        c.hits.load(Ordering::Relaxed)
    }

    fn ring(s: &Subject<Counter>) -> usize {
        s.notify(|c| {
            c.hits.fetch_add(1, Ordering::Relaxed);
            c.takes
        })
    }

    #[test]
    fn every_ordinary_observer_hears_every_event() {
        let s = Subject::new();
        let (a, b) = (counter(true), counter(true));
        s.register(a.clone(), false);
        s.register(b.clone(), false);
        assert_eq!(ring(&s), 2);
        assert_eq!(ring(&s), 2);
        assert_eq!((hits(&a), hits(&b)), (2, 2));
    }

    #[test]
    fn exclusive_observers_stop_at_the_first_taker() {
        let s = Subject::new();
        let plain = counter(false);
        let idle = counter(false); // exclusive but nobody waiting: passes it on
        let (x, y) = (counter(true), counter(true));
        s.register(idle.clone(), true);
        s.register(x.clone(), true);
        s.register(y.clone(), true);
        s.register(plain.clone(), false);
        assert_eq!(ring(&s), 3);
        assert_eq!((hits(&plain), hits(&idle), hits(&x), hits(&y)), (1, 1, 1, 0));
    }

    #[test]
    fn unregistered_observers_hear_nothing_more() {
        let s = Subject::new();
        let (a, b) = (counter(true), counter(true));
        let ia = s.register(a.clone(), false);
        s.register(b.clone(), true);
        assert!(s.unregister(ia).is_some());
        assert!(s.unregister(ia).is_none());
        assert_eq!(s.len(), 1);
        ring(&s);
        assert_eq!((hits(&a), hits(&b)), (0, 1));
        assert_eq!(Arc::strong_count(&a), 1, "the subject let go of it");
    }

    #[test]
    fn an_observer_may_unregister_itself_while_notified() {
        let s: Arc<Subject<Counter>> = Arc::new(Subject::new());
        let a = counter(true);
        let id = s.register(a.clone(), false);
        let s2 = s.clone();
        s.notify(move |_| {
            let _ = s2.unregister(id);
            true
        });
        assert!(s.is_empty());
    }
}
