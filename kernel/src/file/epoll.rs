//! epoll instances: the object behind an epoll descriptor.
//!
//! An [`Instance`] keeps a `readiness::Interest` (the interest set and the
//! ready list) behind a lock. Each watched (open file, descriptor) pair has
//! an [`ItemObserver`] registered on the pollees the file's `poll` named;
//! when the file notifies, the observer queues the item and notifies the
//! instance's own pollee, which wakes the threads in epoll_wait and tells
//! whoever watches the epoll itself (poll/select, an outer epoll). So
//! epoll_wait looks only at queued items: O(ready), not O(watched).
//! `EPOLLEXCLUSIVE` items are exclusive observers: of several epolls
//! watching one file that way, the first with a thread waiting takes the
//! event and the rest are not told. Nesting (an epoll watching an epoll)
//! is checked at EPOLL_CTL_ADD (`readiness::nest`: loops and chains deeper
//! than Linux allows are `ELOOP`).
//! Invariants: the interest lock is never held while a file is polled, an
//! observer runs or a pollee is notified (a look at a file may notify, and
//! an observer takes this lock); watches end when the watched open file's
//! last reference goes (`OpenFile`'s drop calls [`Instance::forget`]).

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicUsize, Ordering};
use errno::KResult;
use linux_abi::structs;
use readiness::interest::check_exclusive;
use readiness::nest::{self, Graph};
use readiness::{ev, Interest, Reported};
use spin::Mutex;

use super::{FileLike, Observer, OpenFile, PollTable, Pollee};
use crate::sched::wait::Interrupted;

/// (open file identity, descriptor): Linux's `epoll_filefd`.
type Key = (usize, i32);

/// What an item knows of its file.
struct Target {
    file: Weak<OpenFile>,
    /// The item's registrations on the file's pollees (dropped with it).
    table: Option<PollTable>,
    /// The file is an epoll: for the nesting checks.
    epoll: Option<Weak<Instance>>,
}

pub struct Instance {
    interest: Mutex<Interest<Key, Target>>,
    /// Notified when an item is queued.
    pollee: Pollee,
    /// This instance's own open file (the epolls watching it are its parents).
    file: Mutex<Weak<OpenFile>>,
}

/// The epoll file: an [`Instance`].
pub struct EpollFile {
    inst: Arc<Instance>,
}

struct ItemObserver {
    ep: Weak<Instance>,
    key: Key,
    exclusive: bool,
}

impl Observer for ItemObserver {
    fn on_events(&self, events: u32) -> bool {
        let Some(ep) = self.ep.upgrade() else { return false };
        if !ep.interest.lock().event(&self.key, events) {
            return false;
        }
        let had_waiters = ep.pollee.has_waiters();
        ep.pollee.notify(ev::IN | ev::RDNORM);
        !self.exclusive || had_waiters
    }
}

/// How deep a look into nested epolls may go (a guard; loops are refused
/// at EPOLL_CTL_ADD already).
static DEPTH: AtomicUsize = AtomicUsize::new(0);

impl EpollFile {
    /// A new epoll; the caller puts it in an open file and calls
    /// [`EpollFile::opened`].
    pub fn new() -> Arc<EpollFile> {
        let inst = Arc::new(Instance { interest: Mutex::new(Interest::new()), pollee: Pollee::new(), file: Mutex::new(Weak::new()) });
        Arc::new(EpollFile { inst })
    }

    /// Records the open file holding this epoll.
    pub fn opened(&self, file: &Arc<OpenFile>) {
        *self.inst.file.lock() = Arc::downgrade(file);
    }

    pub fn instance(&self) -> &Arc<Instance> {
        &self.inst
    }
}

struct Nest;

impl Graph for Nest {
    type Node = Arc<Instance>;

    fn id(&self, node: &Arc<Instance>) -> usize {
        Arc::as_ptr(node) as usize
    }

    fn children(&self, node: &Arc<Instance>) -> Vec<Arc<Instance>> {
        node.interest.lock().iter().filter_map(|(_, t)| t.epoll.as_ref().and_then(Weak::upgrade)).collect()
    }

    fn parents(&self, node: &Arc<Instance>) -> Vec<Arc<Instance>> {
        let file = node.file.lock().upgrade();
        file.map(|f| f.watchers()).unwrap_or_default()
    }
}

impl Instance {
    /// EPOLL_CTL_ADD of `target` under descriptor `fd`.
    pub fn add(self: &Arc<Self>, target: &Arc<OpenFile>, fd: i32, events: u32, data: u64) -> KResult<()> {
        let inner_epoll = target.downcast::<EpollFile>().map(|e| e.inst.clone());
        check_exclusive(events, false, inner_epoll.is_some())?;
        if let Some(inner) = &inner_epoll {
            nest::check_add(&Nest, self, inner)?;
        }
        let key = (target.id(), fd);
        let placeholder = Target { file: Arc::downgrade(target), table: None, epoll: inner_epoll.as_ref().map(Arc::downgrade) };
        self.interest.lock().add(key, events, data, placeholder)?;
        target.watched_by(self, fd);
        let observer = Arc::new(ItemObserver { ep: Arc::downgrade(self), key, exclusive: events & ev::EXCLUSIVE != 0 });
        let mut table = PollTable::new(observer, events & ev::EXCLUSIVE != 0);
        let revents = target.poll(events | ev::ALWAYS, Some(&mut table));
        let ready = {
            let mut interest = self.interest.lock();
            match interest.payload_mut(&key) {
                Some(t) => t.table = Some(table),
                None => return Ok(()), // removed meanwhile
            }
            interest.ready_now(&key, revents)
        };
        if ready {
            self.pollee.notify(ev::IN | ev::RDNORM);
        }
        Ok(())
    }

    /// EPOLL_CTL_MOD.
    pub fn modify(self: &Arc<Self>, target: &Arc<OpenFile>, fd: i32, events: u32, data: u64) -> KResult<()> {
        check_exclusive(events, true, false)?;
        let key = (target.id(), fd);
        self.interest.lock().modify(&key, events, data)?;
        let revents = target.poll(events | ev::ALWAYS, None);
        if self.interest.lock().ready_now(&key, revents) {
            self.pollee.notify(ev::IN | ev::RDNORM);
        }
        Ok(())
    }

    /// EPOLL_CTL_DEL.
    pub fn delete(&self, target: &OpenFile, fd: i32) -> KResult<()> {
        let removed = self.interest.lock().remove(&(target.id(), fd))?;
        target.unwatched_by(self, fd);
        drop(removed); // unregisters, outside the lock
        Ok(())
    }

    /// The watched open file `id` is gone: its items under `fd` go too.
    pub fn forget(&self, id: usize, fd: i32) {
        let removed = self.interest.lock().remove(&(id, fd));
        drop(removed);
    }

    /// Up to `max` events now, updating edge/one-shot state (one harvest).
    fn harvest(&self, max: usize) -> Vec<Reported> {
        let mut out = Vec::new();
        while out.len() < max {
            let (key, serial, file) = {
                let mut interest = self.interest.lock();
                let Some((key, serial)) = interest.next_ready() else { break };
                let file = interest.payload(&key).and_then(|t| t.file.upgrade());
                (key, serial, file)
            };
            let revents = file.as_ref().map_or(0, |f| f.poll(ev::ALL, None));
            let reported = self.interest.lock().complete(&key, serial, revents);
            drop(file); // a last reference may call back into forget: outside the lock
            out.extend(reported);
        }
        self.interest.lock().finish();
        out
    }

    /// True if some queued item is really ready (poll of the epoll itself);
    /// items found not ready leave the list.
    fn peek_ready(&self) -> bool {
        if DEPTH.fetch_add(1, Ordering::AcqRel) > nest::MAX_NESTS {
            DEPTH.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        let mut ready = false;
        loop {
            let (key, serial, file) = {
                let mut interest = self.interest.lock();
                let Some((key, serial)) = interest.next_ready() else { break };
                let file = interest.payload(&key).and_then(|t| t.file.upgrade());
                (key, serial, file)
            };
            let revents = file.as_ref().map_or(0, |f| f.poll(ev::ALL, None));
            let now = self.interest.lock().complete_peek(&key, serial, revents);
            drop(file);
            if now {
                ready = true;
                break;
            }
        }
        DEPTH.fetch_sub(1, Ordering::AcqRel);
        ready
    }

    /// epoll_wait: up to `max` events, waiting until one is ready, a signal
    /// arrives or `deadline` (ticks) passes; `nonblocking`: do not wait.
    pub fn wait(&self, max: usize, nonblocking: bool, deadline: Option<u64>) -> Result<Vec<Reported>, Interrupted> {
        let first = self.harvest(max);
        if !first.is_empty() || nonblocking {
            return Ok(first);
        }
        self.pollee.wait(
            || {
                if !self.interest.lock().has_ready() {
                    return None;
                }
                let found = self.harvest(max);
                (!found.is_empty()).then_some(found)
            },
            deadline,
        )
    }
}

impl FileLike for EpollFile {
    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(&self.inst.pollee);
        }
        if self.inst.peek_ready() {
            mask & (ev::IN | ev::RDNORM)
        } else {
            0
        }
    }

    fn stat(&self) -> KResult<structs::Stat> {
        Ok(super::anon_stat(0o600, 0))
    }

    fn describe(&self) -> String {
        String::from("anon_inode:[eventpoll]")
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        Ok((u64::MAX - 3, Arc::as_ptr(&self.inst) as u64))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
