//! Readiness, the hardware-independent part: who is told when an open file
//! changes state, and epoll's bookkeeping.
//!
//! - [`subject`]: a list of observers of one object (a pipe end, a socket,
//!   an epoll instance...). [`Subject::notify`] calls every ordinary
//!   observer and then the exclusive ones until one takes the event, as
//!   Linux's `__wake_up_common` treats `WQ_FLAG_EXCLUSIVE` entries.
//! - [`interest`]: one epoll instance's interest set (keyed by open file and
//!   descriptor, as Linux's) and its ready list: level- and edge-triggered
//!   reporting, `EPOLLONESHOT`, events that arrive while an item is being
//!   reported. Harvesting costs O(ready items), never O(registered).
//! - [`nest`]: the checks `EPOLL_CTL_ADD` makes when an epoll goes inside
//!   another (no loops, at most [`nest::MAX_NESTS`] levels: `ELOOP`).
//!
//! Event masks are `u32`s holding Linux's `EPOLL*` bits ([`ev`]); poll(2)'s
//! `POLL*` bits are the same numbers.
//! Invariants: no lock is held while an observer runs; everything else is
//! plain data the caller serialises.
//! Depends on `errno`, `linux-abi` (the bit values) and `spin`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod interest;
pub mod nest;
pub mod subject;

pub use interest::{Interest, Reported};
pub use subject::Subject;

/// The event bits, as `u32`s.
pub mod ev {
    use linux_abi::flags::EpollEvents as E;

    pub const IN: u32 = E::EPOLLIN.bits();
    pub const PRI: u32 = E::EPOLLPRI.bits();
    pub const OUT: u32 = E::EPOLLOUT.bits();
    pub const ERR: u32 = E::EPOLLERR.bits();
    pub const HUP: u32 = E::EPOLLHUP.bits();
    pub const NVAL: u32 = E::EPOLLNVAL.bits();
    pub const RDNORM: u32 = E::EPOLLRDNORM.bits();
    pub const RDBAND: u32 = E::EPOLLRDBAND.bits();
    pub const WRNORM: u32 = E::EPOLLWRNORM.bits();
    pub const WRBAND: u32 = E::EPOLLWRBAND.bits();
    pub const MSG: u32 = E::EPOLLMSG.bits();
    pub const RDHUP: u32 = E::EPOLLRDHUP.bits();
    pub const EXCLUSIVE: u32 = E::EPOLLEXCLUSIVE.bits();
    pub const WAKEUP: u32 = E::EPOLLWAKEUP.bits();
    pub const ONESHOT: u32 = E::EPOLLONESHOT.bits();
    pub const ET: u32 = E::EPOLLET.bits();

    /// The epoll input flags (Linux's `EP_PRIVATE_BITS`): never reported.
    pub const PRIVATE: u32 = WAKEUP | ONESHOT | ET | EXCLUSIVE;
    /// What `EPOLLEXCLUSIVE` may be combined with (`EPOLLEXCLUSIVE_OK_BITS`).
    pub const EXCLUSIVE_OK: u32 = IN | OUT | ERR | HUP | WAKEUP | ET | EXCLUSIVE;
    /// Always reported when they hold, asked for or not.
    pub const ALWAYS: u32 = ERR | HUP;
    /// Every readiness bit a file may report.
    pub const ALL: u32 = IN | PRI | OUT | ERR | HUP | RDNORM | RDBAND | WRNORM | WRBAND | MSG | RDHUP;
}
