//! [`Pending`]: a set of pending signals with their queued `siginfo_t`s,
//! Linux's `struct sigpending` (kernel/signal.c `__send_signal_locked`,
//! `collect_signal`, `next_signal`), and the choice of the next signal to
//! deliver.
//!
//! Standard signals (1..=31) do not queue: a second one sent while the first
//! is pending is dropped and the first one's info stays. Real-time signals
//! (32..=64) queue: every send adds an entry, delivered in order. Entries
//! are bounded by the sender's budget ([`SIGQUEUE_MAX`] per process in
//! Cyrius, Linux's RLIMIT_SIGPENDING): past it a real-time signal from
//! sigqueue/tgkill fails with EAGAIN, other senders set the bit without info.

use alloc::collections::VecDeque;
use errno::{Errno, KResult};

use crate::flags::{SigSet, Signal, SI_KERNEL, SI_USER};
use crate::structs::Siginfo;

/// Queued `siginfo_t`s one process may hold (its own set plus its threads').
pub const SIGQUEUE_MAX: usize = 1024;

/// Signals the kernel raises for the instruction that just ran: Linux
/// delivers them before any other pending signal.
pub const SYNCHRONOUS: SigSet = SigSet(
    Signal::SIGSEGV.mask()
        | Signal::SIGBUS.mask()
        | Signal::SIGILL.mask()
        | Signal::SIGTRAP.mask()
        | Signal::SIGFPE.mask()
        | Signal::SIGSYS.mask(),
);

/// What [`Pending::send`] did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sent {
    /// Pending now, its info queued.
    Queued,
    /// A standard signal that was already pending: nothing changed.
    Coalesced,
    /// Pending now, but without its info (no room): delivery reports
    /// SI_USER with pid and uid 0, as Linux does.
    InfoLost,
}

/// The next signal to deliver among `pending` minus `blocked`: a
/// synchronous one (a fault) first, else the lowest number. (A thread's
/// blocked set never holds SIGKILL or SIGSTOP; rt_sigtimedwait passes the
/// complement of its set.)
pub fn next_signal(pending: SigSet, blocked: SigSet) -> Option<Signal> {
    let ready = pending.difference(blocked);
    let sync = ready.intersection(SYNCHRONOUS);
    if sync.is_empty() {
        ready.first()
    } else {
        sync.first()
    }
}

/// A pending set with its queue (one per process, one per thread).
#[derive(Clone, Debug, Default)]
pub struct Pending {
    set: SigSet,
    queue: VecDeque<Siginfo>,
}

impl Pending {
    pub const fn new() -> Pending {
        Pending { set: SigSet::EMPTY, queue: VecDeque::new() }
    }

    /// The pending signals.
    pub fn set(&self) -> SigSet {
        self.set
    }

    /// Queued entries (what counts against [`SIGQUEUE_MAX`]).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Makes `info.si_signo` pending with `info`. `room`: whether the
    /// sender's budget allows one more entry; standard signals with a
    /// non-negative `si_code` (kernel, kill, SIGCHLD, faults) take one
    /// anyway, as in Linux. EAGAIN: no room for a real-time signal sent
    /// by neither kill() nor the kernel (sigqueue, tgkill); EINVAL:
    /// `si_signo` is not a signal.
    pub fn send(&mut self, info: Siginfo, room: bool) -> KResult<Sent> {
        let signal = Signal::new(info.si_signo).ok_or(Errno::EINVAL)?;
        if !signal.is_realtime() && self.set.contains(signal) {
            return Ok(Sent::Coalesced);
        }
        let limited = signal.is_realtime() || info.si_code < 0;
        let sent = if room || !limited {
            self.queue.push_back(info);
            Sent::Queued
        } else if signal.is_realtime() && info.si_code != SI_USER && info.si_code != SI_KERNEL {
            return Err(Errno::EAGAIN);
        } else {
            Sent::InfoLost
        };
        self.set = self.set.with(signal);
        Ok(sent)
    }

    /// Takes `signal` off the set with its oldest queued info; the bit
    /// stays while more entries of it remain (real-time signals). `None`
    /// if it was not pending.
    pub fn take(&mut self, signal: Signal) -> Option<Siginfo> {
        if !self.set.contains(signal) {
            return None;
        }
        let signo = i32::from(signal.number());
        let info = match self.queue.iter().position(|i| i.si_signo == signo) {
            Some(at) => self.queue.remove(at),
            None => None,
        };
        if !self.queue.iter().any(|i| i.si_signo == signo) {
            self.set = self.set.without(signal);
        }
        Some(info.unwrap_or_else(|| Siginfo::kill(signal, SI_USER, 0, 0)))
    }

    /// Drops every pending instance of the signals in `set`.
    pub fn discard(&mut self, set: SigSet) {
        self.set = self.set.difference(set);
        self.queue.retain(|i| Signal::new(i.si_signo).is_some_and(|s| !set.contains(s)));
    }

    /// The info delivery would report for `signal` (its oldest entry).
    pub fn peek(&self, signal: Signal) -> Option<&Siginfo> {
        self.queue.iter().find(|i| i.si_signo == i32::from(signal.number()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::{SIGRTMIN, SI_QUEUE, SI_TKILL};

    fn rt(n: u8) -> Signal {
        Signal::new(i32::from(SIGRTMIN + n)).unwrap()
    }

    #[test]
    fn standard_signals_coalesce_and_keep_the_first_info() {
        let mut p = Pending::new();
        assert_eq!(p.send(Siginfo::kill(Signal::SIGUSR1, SI_USER, 7, 0), true), Ok(Sent::Queued));
        assert_eq!(p.send(Siginfo::kill(Signal::SIGUSR1, SI_TKILL, 8, 0), true), Ok(Sent::Coalesced));
        assert_eq!(p.queued(), 1);
        let info = p.take(Signal::SIGUSR1).unwrap();
        assert_eq!((info.si_code, info.pid()), (SI_USER, 7));
        assert!(p.set().is_empty());
        assert_eq!(p.take(Signal::SIGUSR1), None);
    }

    #[test]
    fn realtime_signals_queue_in_order() {
        let mut p = Pending::new();
        for v in 1..=3 {
            assert_eq!(p.send(Siginfo::queue(rt(1), SI_QUEUE, 5, 0, v), true), Ok(Sent::Queued));
        }
        assert_eq!(p.queued(), 3);
        for v in 1..=3 {
            assert!(p.set().contains(rt(1)));
            assert_eq!(p.take(rt(1)).map(|i| i.value()), Some(v));
        }
        assert!(p.set().is_empty());
    }

    #[test]
    fn the_budget_bounds_the_queue() {
        let mut p = Pending::new();
        assert_eq!(p.send(Siginfo::queue(rt(2), SI_QUEUE, 5, 0, 1), false), Err(Errno::EAGAIN));
        assert_eq!(p.send(Siginfo::kill(rt(2), SI_TKILL, 5, 0), false), Err(Errno::EAGAIN));
        assert!(p.set().is_empty());
        // kill() and the kernel still make it pending, without info.
        assert_eq!(p.send(Siginfo::kill(rt(2), SI_USER, 5, 0), false), Ok(Sent::InfoLost));
        assert_eq!(p.queued(), 0);
        let info = p.take(rt(2)).unwrap();
        assert_eq!((info.si_signo, info.si_code, info.pid()), (34, SI_USER, 0));
        // Standard signals with si_code >= 0 are not limited.
        assert_eq!(p.send(Siginfo::kill(Signal::SIGTERM, SI_USER, 5, 0), false), Ok(Sent::Queued));
        assert_eq!(p.send(Siginfo::kill(Signal::SIGHUP, SI_TKILL, 5, 0), false), Ok(Sent::InfoLost));
    }

    #[test]
    fn discard_drops_set_and_entries() {
        let mut p = Pending::new();
        p.send(Siginfo::queue(rt(1), SI_QUEUE, 1, 0, 1), true).unwrap();
        p.send(Siginfo::queue(rt(1), SI_QUEUE, 1, 0, 2), true).unwrap();
        p.send(Siginfo::kill(Signal::SIGINT, SI_USER, 1, 0), true).unwrap();
        p.discard(SigSet::EMPTY.with(rt(1)));
        assert_eq!(p.set(), SigSet::EMPTY.with(Signal::SIGINT));
        assert_eq!(p.queued(), 1);
        assert_eq!(p.peek(Signal::SIGINT).map(|i| i.si_code), Some(SI_USER));
    }

    #[test]
    fn faults_come_first_then_the_lowest() {
        let pending = SigSet::EMPTY.with(Signal::SIGHUP).with(Signal::SIGSEGV).with(rt(0));
        assert_eq!(next_signal(pending, SigSet::EMPTY), Some(Signal::SIGSEGV));
        assert_eq!(next_signal(pending, SigSet::EMPTY.with(Signal::SIGSEGV)), Some(Signal::SIGHUP));
        let all = SigSet(u64::MAX);
        assert_eq!(next_signal(pending.with(Signal::SIGKILL), all.blockable()), Some(Signal::SIGKILL));
        assert_eq!(next_signal(pending.with(Signal::SIGKILL), all), None);
    }
}
