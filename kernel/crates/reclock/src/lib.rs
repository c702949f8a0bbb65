//! Byte-range record locks as fcntl(2) has them, without hardware.
//!
//! Role: one [`LockTable`] holds every file's locks, keyed by a file
//! identity the kernel chooses (device and inode). A lock belongs to an
//! [`Owner`]: a process (traditional POSIX locks, released when the
//! process closes any descriptor of the file) or an open file description
//! (OFD locks, released when it is closed for the last time). Locks of
//! different owners conflict when their ranges overlap and one is a write
//! lock, whatever their kinds (a POSIX and an OFD lock of the same process
//! conflict, as on Linux). Setting a lock rewrites the owner's own locks
//! on the range: they are replaced, split and merged so that an owner's
//! locks never overlap and adjacent ones of the same type are one lock.
//! A POSIX waiter whose wait would close a cycle of owners waiting for
//! each other is refused with EDEADLK (`posix_locks_deadlock`).
//!
//! The table does not block: [`LockTable::set`] says which owner is in the
//! way, and the kernel waits and retries (registering the wait with
//! [`LockTable::wait_for`] so that deadlocks can be seen).
//!
//! Invariants: ranges are inclusive `start..=end` with `start <= end`; an
//! owner's locks on one file are contiguous in its list, sorted and
//! disjoint; no input panics.
//! Depends on: `errno`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use errno::Errno;

/// The largest offset (`OFFSET_MAX`): a lock to end of file reaches it.
pub const OFFSET_MAX: u64 = i64::MAX as u64;

/// `SEEK_*` of `l_whence`.
pub const SEEK_SET: i16 = 0;
pub const SEEK_CUR: i16 = 1;
pub const SEEK_END: i16 = 2;

/// Who holds a lock.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Owner {
    /// A process (by its kernel-wide pid): fcntl F_SETLK and friends.
    Posix(u32),
    /// An open file description (by an id the kernel gives it): F_OFD_*.
    Ofd(u64),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Read,
    Write,
}

/// One held lock.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Lock {
    pub owner: Owner,
    pub kind: Kind,
    pub start: u64,
    /// Inclusive; [`OFFSET_MAX`] for "to end of file and beyond".
    pub end: u64,
}

impl Lock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }

    fn conflicts(&self, owner: Owner, kind: Kind, start: u64, end: u64) -> bool {
        self.owner != owner && self.overlaps(start, end) && (self.kind == Kind::Write || kind == Kind::Write)
    }

    /// `l_start`/`l_len` of the lock as F_GETLK reports it.
    pub fn start_len(&self) -> (i64, i64) {
        let len = if self.end == OFFSET_MAX { 0 } else { (self.end - self.start + 1) as i64 };
        (self.start as i64, len)
    }
}

/// `flock_to_posix_lock`: the byte range `(start, end)` a `struct flock`
/// describes, given the position (SEEK_CUR) and size (SEEK_END) of the
/// file: EINVAL for a bad whence or a range starting before 0, EOVERFLOW
/// for one past `OFFSET_MAX`.
pub fn range(whence: i16, l_start: i64, l_len: i64, pos: u64, size: u64) -> Result<(u64, u64), Errno> {
    let base: i64 = match whence {
        SEEK_SET => 0,
        SEEK_CUR => i64::try_from(pos).map_err(|_| Errno::EOVERFLOW)?,
        SEEK_END => i64::try_from(size).map_err(|_| Errno::EOVERFLOW)?,
        _ => return Err(Errno::EINVAL),
    };
    let start = base.checked_add(l_start).ok_or(Errno::EOVERFLOW)?;
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let (start, end) = if l_len > 0 {
        if l_len - 1 > i64::MAX - start {
            return Err(Errno::EOVERFLOW);
        }
        (start, start + (l_len - 1))
    } else if l_len < 0 {
        let s = start.checked_add(l_len).ok_or(Errno::EINVAL)?;
        if s < 0 {
            return Err(Errno::EINVAL);
        }
        (s, start - 1)
    } else {
        (start, i64::MAX)
    };
    Ok((start as u64, end as u64))
}

/// Why a lock could not be taken now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Refusal {
    /// This lock of another owner is in the way (F_SETLK: EAGAIN; F_SETLKW: wait).
    Blocked(Lock),
    /// Waiting would deadlock (EDEADLK).
    Deadlock,
}

/// Every file's locks, and who waits for whom.
#[derive(Default, Debug)]
pub struct LockTable<K: Ord + Copy> {
    files: BTreeMap<K, Vec<Lock>>,
    /// A waiting POSIX owner -> the owner of the lock it waits for.
    waiting: BTreeMap<Owner, Owner>,
}

/// How many waits the deadlock search follows (Linux's MAX_DEADLK_ITERATIONS).
const MAX_DEADLK_ITERATIONS: usize = 10;

impl<K: Ord + Copy> LockTable<K> {
    pub const fn new() -> Self {
        LockTable { files: BTreeMap::new(), waiting: BTreeMap::new() }
    }

    /// The locks held on `key`: owners in the order they first locked
    /// it, each owner's locks by start.
    pub fn locks(&self, key: K) -> &[Lock] {
        self.files.get(&key).map_or(&[], Vec::as_slice)
    }

    /// F_GETLK: the first lock of another owner that would block
    /// `kind` on `start..=end` for `owner`.
    pub fn test(&self, key: K, owner: Owner, kind: Kind, start: u64, end: u64) -> Option<Lock> {
        self.locks(key).iter().find(|l| l.conflicts(owner, kind, start, end)).copied()
    }

    /// Sets (`Some(kind)`) or removes (`None`) `owner`'s lock on
    /// `start..=end`. With `wait`, a POSIX owner that would have to wait
    /// for a cycle is refused with [`Refusal::Deadlock`].
    pub fn set(&mut self, key: K, owner: Owner, kind: Option<Kind>, start: u64, end: u64, wait: bool) -> Result<(), Refusal> {
        if let Some(kind) = kind {
            if let Some(blocker) = self.test(key, owner, kind, start, end) {
                if wait && matches!(owner, Owner::Posix(_)) && self.would_deadlock(owner, blocker.owner) {
                    return Err(Refusal::Deadlock);
                }
                return Err(Refusal::Blocked(blocker));
            }
        }
        let locks = self.files.entry(key).or_default();
        let mut mine: Vec<Lock> = Vec::new();
        let mut rest: Vec<Lock> = Vec::new();
        // Where the owner's group sits: owners keep the order in which
        // they first locked the file (Linux's list order, which F_GETLK's
        // choice among several conflicting locks follows).
        let mut at = None;
        for l in locks.drain(..) {
            if l.owner == owner {
                at.get_or_insert(rest.len());
                mine.push(l);
            } else {
                rest.push(l);
            }
        }
        // The owner's locks minus the range...
        let mut kept: Vec<Lock> = Vec::new();
        for l in mine {
            if !l.overlaps(start, end) {
                kept.push(l);
                continue;
            }
            if l.start < start {
                kept.push(Lock { end: start - 1, ..l });
            }
            if l.end > end {
                kept.push(Lock { start: end + 1, ..l });
            }
        }
        // ...plus the new lock, merged with touching ones of its type.
        if let Some(kind) = kind {
            let mut new = Lock { owner, kind, start, end };
            kept.retain(|l| {
                let touches = l.kind == kind && l.start <= new.end.saturating_add(1) && new.start <= l.end.saturating_add(1);
                if touches {
                    new.start = new.start.min(l.start);
                    new.end = new.end.max(l.end);
                }
                !touches
            });
            kept.push(new);
        }
        kept.sort_by_key(|l| l.start);
        let at = at.unwrap_or(rest.len());
        rest.splice(at..at, kept);
        *locks = rest;
        if locks.is_empty() {
            self.files.remove(&key);
        }
        Ok(())
    }

    /// `posix_locks_deadlock`: would `owner` waiting for `blocker` close a
    /// cycle of waits?
    fn would_deadlock(&self, owner: Owner, blocker: Owner) -> bool {
        let mut next = blocker;
        for _ in 0..MAX_DEADLK_ITERATIONS {
            if next == owner {
                return true;
            }
            match self.waiting.get(&next) {
                Some(&b) => next = b,
                None => return false,
            }
        }
        false
    }

    /// Records that POSIX `owner` sleeps waiting for `blocker` (none: it
    /// stopped waiting).
    pub fn wait_for(&mut self, owner: Owner, blocker: Option<Owner>) {
        if !matches!(owner, Owner::Posix(_)) {
            return;
        }
        match blocker {
            Some(b) => {
                self.waiting.insert(owner, b);
            }
            None => {
                self.waiting.remove(&owner);
            }
        }
    }

    /// Drops every lock of `owner` on `key` (a POSIX owner closing a
    /// descriptor of the file); true if any was dropped.
    pub fn release(&mut self, key: K, owner: Owner) -> bool {
        let Some(locks) = self.files.get_mut(&key) else { return false };
        let before = locks.len();
        locks.retain(|l| l.owner != owner);
        let dropped = locks.len() != before;
        if locks.is_empty() {
            self.files.remove(&key);
        }
        dropped
    }

    /// Drops every lock of `owner` on every file (a process ending, an
    /// open file description closed); true if any was dropped.
    pub fn release_all(&mut self, owner: Owner) -> bool {
        let mut dropped = false;
        self.files.retain(|_, locks| {
            let before = locks.len();
            locks.retain(|l| l.owner != owner);
            dropped |= locks.len() != before;
            !locks.is_empty()
        });
        self.waiting.remove(&owner);
        dropped
    }

    /// Drops the locks of owners `alive` says are gone (OFD locks of open
    /// files that were closed); true if any was dropped.
    pub fn prune(&mut self, key: K, alive: impl Fn(Owner) -> bool) -> bool {
        let Some(locks) = self.files.get_mut(&key) else { return false };
        let before = locks.len();
        locks.retain(|l| alive(l.owner));
        let dropped = locks.len() != before;
        if locks.is_empty() {
            self.files.remove(&key);
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const A: Owner = Owner::Posix(1);
    const B: Owner = Owner::Posix(2);
    const C: Owner = Owner::Posix(3);
    const O: Owner = Owner::Ofd(9);

    fn spans(t: &LockTable<u32>, owner: Owner) -> Vec<(Kind, u64, u64)> {
        t.locks(0).iter().filter(|l| l.owner == owner).map(|l| (l.kind, l.start, l.end)).collect()
    }

    #[test]
    fn ranges() {
        assert_eq!(range(SEEK_SET, 10, 5, 0, 0), Ok((10, 14)));
        assert_eq!(range(SEEK_SET, 10, 0, 0, 0), Ok((10, OFFSET_MAX)));
        assert_eq!(range(SEEK_SET, 10, -5, 0, 0), Ok((5, 9)));
        assert_eq!(range(SEEK_SET, 10, -11, 0, 0), Err(Errno::EINVAL));
        assert_eq!(range(SEEK_SET, -1, 5, 0, 0), Err(Errno::EINVAL));
        assert_eq!(range(SEEK_CUR, 0, 2, 100, 0), Ok((100, 101)));
        assert_eq!(range(SEEK_END, -10, 0, 0, 50), Ok((40, OFFSET_MAX)));
        assert_eq!(range(3, 0, 0, 0, 0), Err(Errno::EINVAL));
        assert_eq!(range(SEEK_SET, i64::MAX, 2, 0, 0), Err(Errno::EOVERFLOW));
        assert_eq!(range(SEEK_SET, i64::MAX, 1, 0, 0), Ok((OFFSET_MAX, OFFSET_MAX)));
        assert_eq!(range(SEEK_CUR, i64::MAX, 1, 1, 0), Err(Errno::EOVERFLOW));
        let l = Lock { owner: A, kind: Kind::Read, start: 5, end: OFFSET_MAX };
        assert_eq!(l.start_len(), (5, 0));
        assert_eq!(Lock { end: 9, ..l }.start_len(), (5, 5));
    }

    #[test]
    fn split_and_merge() {
        let mut t = LockTable::<u32>::new();
        t.set(0, A, Some(Kind::Write), 0, 99, false).unwrap();
        t.set(0, A, Some(Kind::Read), 10, 19, false).unwrap();
        assert_eq!(spans(&t, A), vec![(Kind::Write, 0, 9), (Kind::Read, 10, 19), (Kind::Write, 20, 99)]);
        t.set(0, A, None, 50, 59, false).unwrap();
        assert_eq!(spans(&t, A), vec![(Kind::Write, 0, 9), (Kind::Read, 10, 19), (Kind::Write, 20, 49), (Kind::Write, 60, 99)]);
        t.set(0, A, Some(Kind::Write), 10, 59, false).unwrap();
        assert_eq!(spans(&t, A), vec![(Kind::Write, 0, 99)]);
        t.set(0, A, Some(Kind::Write), 100, 109, false).unwrap();
        assert_eq!(spans(&t, A), vec![(Kind::Write, 0, 109)]);
        t.set(0, A, None, 0, OFFSET_MAX, false).unwrap();
        assert!(t.locks(0).is_empty());
    }

    #[test]
    fn conflicts() {
        let mut t = LockTable::<u32>::new();
        t.set(0, A, Some(Kind::Read), 0, 9, false).unwrap();
        t.set(0, B, Some(Kind::Read), 5, 14, false).unwrap();
        assert!(matches!(t.set(0, B, Some(Kind::Write), 0, 0, false), Err(Refusal::Blocked(l)) if l.owner == A));
        assert_eq!(t.test(0, C, Kind::Write, 12, 12).map(|l| l.owner), Some(B));
        assert_eq!(t.test(0, C, Kind::Read, 0, 100), None);
        assert_eq!(t.test(0, A, Kind::Write, 0, 4), None);
        // An OFD lock conflicts with the POSIX locks of any process.
        assert!(matches!(t.set(0, O, Some(Kind::Write), 9, 9, false), Err(Refusal::Blocked(_))));
        assert!(t.set(0, O, Some(Kind::Write), 20, 29, false).is_ok());
        assert!(t.release(0, A));
        assert!(!t.release(0, A));
        assert!(t.release_all(O));
        assert_eq!(t.locks(0).len(), 1);
        assert!(t.prune(0, |o| o != B));
        assert!(t.locks(0).is_empty());
    }

    #[test]
    fn owners_keep_their_first_locking_order() {
        let mut t = LockTable::<u32>::new();
        t.set(0, O, Some(Kind::Write), 0, 9, false).unwrap();
        t.set(0, A, Some(Kind::Write), 20, 24, false).unwrap();
        t.set(0, O, Some(Kind::Write), 0, 11, false).unwrap();
        // B sees O's lock first, though A's owner id sorts lower.
        assert_eq!(t.test(0, B, Kind::Write, 0, 100).map(|l| l.owner), Some(O));
        t.set(0, O, None, 0, OFFSET_MAX, false).unwrap();
        t.set(0, O, Some(Kind::Write), 0, 1, false).unwrap();
        assert_eq!(t.test(0, B, Kind::Write, 0, 100).map(|l| l.owner), Some(A));
    }

    #[test]
    fn deadlocks() {
        let mut t = LockTable::<u32>::new();
        t.set(0, A, Some(Kind::Write), 0, 0, false).unwrap();
        t.set(0, B, Some(Kind::Write), 1, 1, false).unwrap();
        // A waits for B's byte...
        assert!(matches!(t.set(0, A, Some(Kind::Write), 1, 1, true), Err(Refusal::Blocked(l)) if l.owner == B));
        t.wait_for(A, Some(B));
        // ...so B waiting for A's would deadlock; without waiting it is plain EAGAIN.
        assert_eq!(t.set(0, B, Some(Kind::Write), 0, 0, true), Err(Refusal::Deadlock));
        assert!(matches!(t.set(0, B, Some(Kind::Write), 0, 0, false), Err(Refusal::Blocked(_))));
        // A three-owner cycle.
        t.set(0, C, Some(Kind::Write), 2, 2, false).unwrap();
        t.wait_for(B, Some(C));
        assert_eq!(t.set(0, C, Some(Kind::Write), 0, 0, true), Err(Refusal::Deadlock));
        t.wait_for(A, None);
        assert!(matches!(t.set(0, C, Some(Kind::Write), 0, 0, true), Err(Refusal::Blocked(_))));
        // OFD waiters are never deadlock-checked.
        t.set(1, O, Some(Kind::Write), 0, 0, false).unwrap();
        assert!(matches!(t.set(1, A, Some(Kind::Write), 0, 0, true), Err(Refusal::Blocked(_))));
    }
}
