//! One epoll instance's interest set and ready list (Linux's `rbr` and
//! `rdllist`), without any file or lock: the kernel keeps one behind a lock
//! and tells it what happened.
//!
//! - An item is keyed by `K` (the kernel uses (open file, descriptor), as
//!   Linux does) and carries the requested events, the user's data and a
//!   payload `T` (how the kernel reaches the file).
//! - [`Interest::event`] is the wake-up callback (`ep_poll_callback`): an
//!   event the item asked for queues it on the ready list once.
//! - Harvesting (`ep_send_events`) takes items off the front one at a time
//!   ([`Interest::next_ready`]); the caller looks at the file (outside its
//!   lock) and hands the bits back to [`Interest::complete`], which reports
//!   them and decides the item's fate: level-triggered items go back on the
//!   list, edge-triggered ones wait for the next event, one-shot ones are
//!   disabled until [`Interest::modify`]. [`Interest::finish`] ends a
//!   harvest (the re-queued items go to the tail, so they are looked at
//!   again by the next harvest, not this one).
//! - An event for an item whose harvest is under way is remembered and the
//!   item re-queued, so no edge is lost between the look and the report.
//!
//! Invariants: an item is on the ready list at most once; every list entry
//! names a live item (entries carry the item's serial, so a stale one left
//! by remove-then-add is skipped); a harvest costs O(items looked at).

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use errno::Errno;

use crate::ev;

/// One event for epoll_wait's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reported {
    pub events: u32,
    pub data: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Idle,
    Queued,
    /// Taken off the list by a harvest; `hit`: an event arrived meanwhile.
    InTransit { hit: bool },
}

struct Item<T> {
    /// Asked-for bits (always with ERR|HUP) and the input flags; a fired
    /// one-shot item keeps only the flags.
    events: u32,
    data: u64,
    serial: u64,
    state: State,
    payload: T,
}

impl<T> Item<T> {
    fn armed(&self) -> bool {
        self.events & !ev::PRIVATE != 0
    }
}

pub struct Interest<K, T> {
    items: BTreeMap<K, Item<T>>,
    ready: VecDeque<(K, u64)>,
    requeue: Vec<(K, u64)>,
    serial: u64,
}

impl<K: Ord + Clone, T> Default for Interest<K, T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Linux's checks of an `EPOLLEXCLUSIVE` request (before the item is looked
/// up): not with `EPOLL_CTL_MOD`, not on an epoll, only with
/// [`ev::EXCLUSIVE_OK`] bits. `EINVAL` otherwise.
pub fn check_exclusive(events: u32, modify: bool, target_is_epoll: bool) -> Result<(), Errno> {
    if events & ev::EXCLUSIVE == 0 {
        return Ok(());
    }
    if modify || target_is_epoll || events & !ev::EXCLUSIVE_OK != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

impl<K: Ord + Clone, T> Interest<K, T> {
    pub const fn new() -> Interest<K, T> {
        Interest { items: BTreeMap::new(), ready: VecDeque::new(), requeue: Vec::new(), serial: 0 }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn contains(&self, key: &K) -> bool {
        self.items.contains_key(key)
    }

    pub fn payload(&self, key: &K) -> Option<&T> {
        self.items.get(key).map(|i| &i.payload)
    }

    pub fn payload_mut(&mut self, key: &K) -> Option<&mut T> {
        self.items.get_mut(key).map(|i| &mut i.payload)
    }

    /// Every item's key and payload (the nesting checks walk them).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &T)> {
        self.items.iter().map(|(k, i)| (k, &i.payload))
    }

    /// Removes every item (the epoll is going away); returns the payloads.
    pub fn clear(&mut self) -> Vec<T> {
        self.ready.clear();
        self.requeue.clear();
        core::mem::take(&mut self.items).into_values().map(|i| i.payload).collect()
    }

    /// EPOLL_CTL_ADD: `EEXIST` if `key` is there. The item starts idle; the
    /// caller looks at the file and calls [`Interest::ready_now`].
    pub fn add(&mut self, key: K, events: u32, data: u64, payload: T) -> Result<(), Errno> {
        if self.items.contains_key(&key) {
            return Err(Errno::EEXIST);
        }
        self.serial += 1;
        let item = Item { events: events | ev::ALWAYS, data, serial: self.serial, state: State::Idle, payload };
        self.items.insert(key, item);
        Ok(())
    }

    /// EPOLL_CTL_MOD: new events and data, re-arming a fired one-shot item.
    /// `ENOENT` if absent, `EINVAL` if it was added with `EPOLLEXCLUSIVE`.
    /// The caller looks at the file and calls [`Interest::ready_now`].
    pub fn modify(&mut self, key: &K, events: u32, data: u64) -> Result<(), Errno> {
        let item = self.items.get_mut(key).ok_or(Errno::ENOENT)?;
        if item.events & ev::EXCLUSIVE != 0 {
            return Err(Errno::EINVAL);
        }
        item.events = events | ev::ALWAYS;
        item.data = data;
        Ok(())
    }

    /// EPOLL_CTL_DEL (or the file's last close): `ENOENT` if absent.
    pub fn remove(&mut self, key: &K) -> Result<T, Errno> {
        let item = self.items.remove(key).ok_or(Errno::ENOENT)?;
        if item.state == State::Queued {
            self.ready.retain(|(k, s)| !(k == key && *s == item.serial));
            self.requeue.retain(|(k, s)| !(k == key && *s == item.serial));
        }
        Ok(item.payload)
    }

    fn enqueue(&mut self, key: &K) {
        if let Some(item) = self.items.get_mut(key) {
            item.state = State::Queued;
            self.ready.push_back((key.clone(), item.serial));
        }
    }

    /// The file of `key` changed (`events`: the bits that may now hold, 0 if
    /// unknown). Queues the item if it is armed and asked for them; true if
    /// it did ask (the epoll's waiters should be woken).
    pub fn event(&mut self, key: &K, events: u32) -> bool {
        let Some(item) = self.items.get_mut(key) else { return false };
        if !item.armed() || (events != 0 && events & item.events == 0) {
            return false;
        }
        match item.state {
            State::Idle => self.enqueue(key),
            State::Queued => {}
            State::InTransit { .. } => item.state = State::InTransit { hit: true },
        }
        true
    }

    /// After ADD or MOD: the file's bits now are `revents`; queues the item
    /// if it asked for one of them. True if it is ready.
    pub fn ready_now(&mut self, key: &K, revents: u32) -> bool {
        let Some(item) = self.items.get_mut(key) else { return false };
        if revents & item.events & !ev::PRIVATE == 0 {
            return false;
        }
        if item.state == State::Idle {
            self.enqueue(key);
        }
        true
    }

    /// True if some item is queued (it may turn out not to be ready).
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Queued items.
    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// Takes the next queued item for a look: its key and serial (for
    /// [`Interest::complete`]). The payload stays reachable by key.
    pub fn next_ready(&mut self) -> Option<(K, u64)> {
        while let Some((key, serial)) = self.ready.pop_front() {
            if let Some(item) = self.items.get_mut(&key) {
                if item.serial == serial && item.state == State::Queued {
                    item.state = State::InTransit { hit: false };
                    return Some((key, serial));
                }
            }
        }
        None
    }

    /// The look at an item [`Interest::next_ready`] gave out found
    /// `revents`: what to report (if anything the item asks for holds), and
    /// where the item goes (see the module doc).
    pub fn complete(&mut self, key: &K, serial: u64, revents: u32) -> Option<Reported> {
        let item = self.items.get_mut(key).filter(|i| i.serial == serial)?;
        let State::InTransit { hit } = item.state else { return None };
        let bits = revents & item.events & !ev::PRIVATE;
        let mut again = hit;
        let mut report = None;
        if bits != 0 {
            report = Some(Reported { events: bits, data: item.data });
            if item.events & ev::ONESHOT != 0 {
                item.events &= ev::PRIVATE;
            } else if item.events & ev::ET == 0 {
                again = true;
            }
        }
        if again && item.armed() {
            item.state = State::Queued;
            self.requeue.push((key.clone(), serial));
        } else {
            item.state = State::Idle;
        }
        report
    }

    /// Like [`Interest::complete`] for a look that reports nothing (poll of
    /// the epoll itself): an item found ready goes back to the front of the
    /// list unchanged; one found not ready leaves it (unless an event
    /// arrived meanwhile). True if ready.
    pub fn complete_peek(&mut self, key: &K, serial: u64, revents: u32) -> bool {
        let Some(item) = self.items.get_mut(key).filter(|i| i.serial == serial) else { return false };
        let State::InTransit { hit } = item.state else { return false };
        let ready = revents & item.events & !ev::PRIVATE != 0;
        if ready || hit {
            item.state = State::Queued;
            self.ready.push_front((key.clone(), serial));
        } else {
            item.state = State::Idle;
        }
        ready
    }

    /// Ends a harvest: re-queued items go to the tail of the ready list.
    pub fn finish(&mut self) {
        let requeue = core::mem::take(&mut self.requeue);
        self.ready.extend(requeue);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::ev::*;
    use std::collections::BTreeMap as Map;
    use std::vec;
    use std::vec::Vec;

    /// A harvest of up to `max` events over files whose bits are in `now`.
    fn harvest(i: &mut Interest<u32, ()>, now: &Map<u32, u32>, max: usize) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some((k, s)) = i.next_ready() else { break };
            if let Some(r) = i.complete(&k, s, now.get(&k).copied().unwrap_or(0)) {
                out.push((r.events, r.data));
            }
        }
        i.finish();
        out
    }

    fn files(pairs: &[(u32, u32)]) -> Map<u32, u32> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn ctl_errors_are_linux_s() {
        let mut i: Interest<u32, ()> = Interest::new();
        assert_eq!(i.add(1, IN, 0, ()), Ok(()));
        assert_eq!(i.add(1, IN, 0, ()), Err(Errno::EEXIST));
        assert_eq!(i.modify(&2, IN, 0), Err(Errno::ENOENT));
        assert_eq!(i.remove(&2), Err(Errno::ENOENT));
        assert_eq!(i.add(3, IN | EXCLUSIVE, 0, ()), Ok(()));
        assert_eq!(i.modify(&3, IN, 0), Err(Errno::EINVAL), "an exclusive item cannot be modified");
        assert_eq!(check_exclusive(IN | EXCLUSIVE, true, false), Err(Errno::EINVAL));
        assert_eq!(check_exclusive(IN | EXCLUSIVE, false, true), Err(Errno::EINVAL));
        assert_eq!(check_exclusive(IN | RDHUP | EXCLUSIVE, false, false), Err(Errno::EINVAL));
        assert_eq!(check_exclusive(IN | OUT | ET | EXCLUSIVE, false, false), Ok(()));
        assert_eq!(check_exclusive(IN | RDHUP, true, false), Ok(()));
    }

    #[test]
    fn level_triggered_reports_while_ready() {
        let mut i = Interest::new();
        i.add(1, IN, 11, ()).unwrap();
        assert!(i.ready_now(&1, IN));
        let ready = files(&[(1, IN)]);
        assert_eq!(harvest(&mut i, &ready, 8), vec![(IN, 11)]);
        assert_eq!(harvest(&mut i, &ready, 8), vec![(IN, 11)], "still ready: reported again");
        assert_eq!(harvest(&mut i, &files(&[]), 8), vec![], "drained: dropped from the list");
        assert!(!i.has_ready());
    }

    #[test]
    fn edge_triggered_reports_once_per_event() {
        let mut i = Interest::new();
        i.add(1, IN | ET, 5, ()).unwrap();
        let ready = files(&[(1, IN)]);
        assert!(i.ready_now(&1, IN));
        assert_eq!(harvest(&mut i, &ready, 8), vec![(IN, 5)]);
        assert_eq!(harvest(&mut i, &ready, 8), vec![], "no new event");
        assert!(i.event(&1, IN));
        assert!(i.event(&1, IN), "a second event before the harvest queues it once");
        assert_eq!(i.ready_len(), 1);
        assert_eq!(harvest(&mut i, &ready, 8), vec![(IN, 5)]);
    }

    #[test]
    fn only_asked_for_bits_queue_and_report() {
        let mut i = Interest::new();
        i.add(1, IN, 1, ()).unwrap();
        assert!(!i.event(&1, OUT), "OUT was not asked for");
        assert!(!i.has_ready());
        assert!(i.event(&1, HUP), "HUP is always asked for");
        assert_eq!(harvest(&mut i, &files(&[(1, OUT | HUP)]), 8), vec![(HUP, 1)]);
        assert!(i.event(&1, 0), "unknown bits queue the item");
    }

    #[test]
    fn oneshot_fires_once_until_modified() {
        let mut i = Interest::new();
        i.add(1, IN | ONESHOT, 9, ()).unwrap();
        let ready = files(&[(1, IN)]);
        i.ready_now(&1, IN);
        assert_eq!(harvest(&mut i, &ready, 8), vec![(IN, 9)]);
        assert!(!i.event(&1, IN), "disabled");
        assert!(!i.ready_now(&1, IN | HUP), "even HUP");
        assert_eq!(harvest(&mut i, &ready, 8), vec![]);
        i.modify(&1, IN | ONESHOT, 10).unwrap();
        assert!(i.ready_now(&1, IN));
        assert_eq!(harvest(&mut i, &ready, 8), vec![(IN, 10)]);
    }

    #[test]
    fn max_events_leaves_the_rest_queued_in_order() {
        let mut i = Interest::new();
        for k in 1..=5 {
            i.add(k, IN, u64::from(k), ()).unwrap();
            i.ready_now(&k, IN);
        }
        let ready = files(&[(1, IN), (2, IN), (3, IN), (4, IN), (5, IN)]);
        assert_eq!(harvest(&mut i, &ready, 2), vec![(IN, 1), (IN, 2)]);
        // Level-triggered 1 and 2 went to the tail: the next harvest starts at 3.
        assert_eq!(harvest(&mut i, &ready, 3), vec![(IN, 3), (IN, 4), (IN, 5)]);
        assert_eq!(harvest(&mut i, &ready, 8), vec![(IN, 1), (IN, 2), (IN, 3), (IN, 4), (IN, 5)]);
    }

    #[test]
    fn harvest_looks_only_at_queued_items() {
        let mut i = Interest::new();
        for k in 0..1000u32 {
            i.add(k, IN | ET, u64::from(k), ()).unwrap();
        }
        i.event(&700, IN);
        let mut looked = 0;
        while let Some((k, s)) = i.next_ready() {
            looked += 1;
            i.complete(&k, s, IN);
        }
        i.finish();
        assert_eq!(looked, 1);
    }

    #[test]
    fn an_event_during_the_look_is_not_lost() {
        let mut i = Interest::new();
        i.add(1, IN | ET, 1, ()).unwrap();
        i.event(&1, IN);
        let (k, s) = i.next_ready().unwrap();
        // The file looked empty; data arrives before the look is handed back.
        assert!(i.event(&1, IN));
        assert_eq!(i.complete(&k, s, 0), None);
        i.finish();
        assert_eq!(harvest(&mut i, &files(&[(1, IN)]), 8), vec![(IN, 1)]);
    }

    #[test]
    fn removed_items_leave_the_ready_list() {
        let mut i = Interest::new();
        i.add(1, IN, 1, ()).unwrap();
        i.add(2, IN, 2, ()).unwrap();
        i.event(&1, IN);
        i.event(&2, IN);
        i.remove(&1).unwrap();
        assert_eq!(i.ready_len(), 1);
        // Re-added under the same key while the old entry was in transit.
        let (k, s) = i.next_ready().unwrap();
        assert_eq!(k, 2);
        i.remove(&2).unwrap();
        i.add(2, IN, 22, ()).unwrap();
        assert_eq!(i.complete(&k, s, IN), None, "the stale look reports nothing");
        i.finish();
        assert!(!i.has_ready());
    }

    #[test]
    fn peeking_keeps_ready_items_and_drops_stale_ones() {
        let mut i = Interest::new();
        i.add(1, IN, 1, ()).unwrap();
        i.add(2, IN, 2, ()).unwrap();
        i.event(&1, IN);
        i.event(&2, IN);
        let (k, s) = i.next_ready().unwrap();
        assert!(!i.complete_peek(&k, s, 0), "1 is not ready after all");
        let (k, s) = i.next_ready().unwrap();
        assert!(i.complete_peek(&k, s, IN));
        assert_eq!(i.ready_len(), 1);
        assert_eq!(harvest(&mut i, &files(&[(2, IN)]), 8), vec![(IN, 2)]);
    }
}
