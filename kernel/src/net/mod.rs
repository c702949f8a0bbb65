//! Networking glue: the one TCP/IP stack (`netstack` over the virtio-net
//! card) behind a lock, kept running by a kernel thread, and the kernel
//! socket handles the Linux socket syscalls wrap.
//!
//! Role: [`init`] builds the stack over the probed card and starts the `net`
//! thread; DHCP then runs in the background (QEMU's user network:
//! 10.0.2.15/24, gateway 10.0.2.2, DNS 10.0.2.3) and smoltcp answers ICMP
//! echo. [`sockets`] has the handles ([`Tcp`], [`Udp`], [`Query`],
//! [`Pinger`]): every call returns at once (`EAGAIN`/`EINPROGRESS`/`EALREADY`
//! mean "not yet") and dropping a handle closes its socket. Callers block on
//! [`ACTIVITY`] and re-check.
//! Progress: the stack runs only in thread context, never in an interrupt
//! handler (a poll takes the stack lock and allocates bounce buffers). The
//! card interrupts on its IRQ line (maybe shared with disks); its driver
//! acknowledges it and calls the hook here, which records that it
//! interrupted and wakes the `net` thread, which polls when [`poll_due`]
//! (IRQ recorded, or smoltcp's next timer due; at least once a second) and
//! otherwise sleeps until then. Every socket call also polls, so its effect
//! goes out at once.
//! Waking: the stack names the sockets a poll (or an operation) changed
//! (`netstack::Stack::take_changes`, from smoltcp's per-socket wakers); the
//! Linux socket of each has registered its pollee ([`watch`]), which is
//! notified with what changed, after the stack lock is released. So a
//! frame wakes the waiters of its own socket, not every waiter. The kernel
//! shell's handles (DNS, ping, `httpget`) wait on [`ACTIVITY`] and
//! [`generation`] instead, woken only while one of them waits. Looking at a
//! socket (readiness, addresses) never polls; an operation that polls may
//! consume an event, so a waiter retries while its pollee's sequence moved
//! during its attempt.
//! Invariants: the stack lives in one `IrqMutex`, so neither an interrupt nor
//! another thread sees it half-changed.
//! May call: `dev::virtio::net`, `sched` (thread, wait queues), `time`,
//! `arch` (random seed, IRQ lines), `file` (pollees).

pub mod local;
pub mod socket;
pub mod sockets;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use errno::Errno;
use netstack::{Change, SocketRef};
use spin::Mutex;

use crate::dev::virtio::net::{Stats, VirtioNet};
use crate::file::{ev, Pollee};
use crate::sched::WaitQueue;
use crate::sync::IrqMutex;
use alloc::boxed::Box;

#[allow(unused_imports)] // Readiness, Shutdown, Udp: for the socket syscalls
pub use netstack::{Ipv4Config, Readiness, Shutdown};
#[allow(unused_imports)]
pub use sockets::{Pinger, Query, Tcp, Udp};

type Stack = netstack::Stack<VirtioNet>;

/// What `ifconfig` shows.
#[derive(Clone, Copy, Debug)]
pub struct Info {
    pub mac: [u8; 6],
    pub mtu: usize,
    pub config: Option<Ipv4Config>,
    /// The configuration comes from DHCP (not set by hand).
    pub dhcp: bool,
    pub stats: Stats,
}

static STACK: IrqMutex<Option<Stack>> = IrqMutex::new(None);
/// Uptime (ms) by which the stack wants a poll; `u64::MAX` without a card.
static NEXT_POLL_MS: AtomicU64 = AtomicU64::new(u64::MAX);
/// Set by the card's interrupt, cleared by the poll that follows.
static IRQ_SEEN: AtomicBool = AtomicBool::new(false);
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Woken by the card's IRQ: the `net` thread sleeps here.
static EVENT: WaitQueue = WaitQueue::new();
/// Woken after every poll that may have changed some socket's state, while
/// someone waits here: the kernel shell's handles (compare [`generation`]).
pub static ACTIVITY: WaitQueue = WaitQueue::new();
/// The pollee of each stack socket a Linux socket holds.
static WATCHERS: Mutex<BTreeMap<SocketRef, Pollee>> = Mutex::new(BTreeMap::new());

/// Changes of `who` are told to `pollee` from now on.
pub fn watch(who: SocketRef, pollee: &Pollee) {
    WATCHERS.lock().insert(who, pollee.clone());
}

/// `who` is closed: no more notifications.
pub fn unwatch(who: SocketRef) {
    let old = WATCHERS.lock().remove(&who);
    drop(old);
}

/// The bits a change may have made true.
fn change_events(c: Change) -> u32 {
    let mut bits = 0;
    if c.recv {
        bits |= ev::IN | ev::RDNORM | ev::RDHUP | ev::HUP | ev::ERR;
    }
    if c.send {
        bits |= ev::OUT | ev::WRNORM | ev::HUP | ev::ERR;
    }
    bits
}

/// Notifies the pollees of the sockets in `changes` (no lock held).
fn notify(changes: Vec<(SocketRef, Change)>) {
    for (who, change) in changes {
        let pollee = WATCHERS.lock().get(&who).cloned();
        if let Some(p) = pollee {
            p.notify(change_events(change));
        }
    }
}

/// Builds the stack over the probed card, if any. Nothing waits for the
/// network: DHCP starts with the first poll.
pub fn init() {
    let Some(nic) = crate::dev::virtio::net::take() else { return };
    let options = netstack::Options {
        mac: nic.mac(),
        random_seed: crate::arch::cpu::rdrand64().unwrap_or_else(crate::arch::cpu::rdtsc),
        clock: crate::time::uptime_ms,
        static_config: None,
    };
    *STACK.lock() = Some(netstack::Stack::new(nic, options));
    NEXT_POLL_MS.store(0, Ordering::Release);
    crate::dev::virtio::net::set_irq_hook(on_irq);
    crate::sched::spawn_kernel("net", Box::new(service));
}

/// The card interrupted (its driver acknowledged it): record that and wake
/// the `net` thread.
fn on_irq() {
    IRQ_SEEN.store(true, Ordering::Release);
    EVENT.wake_all();
}

/// The `net` thread: polls when there is work, sleeps until the next timer
/// or interrupt otherwise.
fn service() {
    loop {
        if poll_due() {
            poll();
        }
        let deadline = NEXT_POLL_MS.load(Ordering::Acquire).saturating_mul(u64::from(crate::time::HZ)) / 1000;
        let _ = EVENT.wait_interruptible(|| poll_due().then_some(()), Some(deadline));
    }
}

/// True if the stack has work: the card interrupted, or a timer is due.
pub fn poll_due() -> bool {
    IRQ_SEEN.load(Ordering::Acquire) || crate::time::uptime_ms() >= NEXT_POLL_MS.load(Ordering::Acquire)
}

/// Runs the stack: frames in and out, timers, DHCP. Thread context only.
pub fn poll() {
    let _ = with(|_| ());
}

/// Counts polls that may have changed some socket's state: a waiter reads
/// it, checks its socket, and sleeps only while it is unchanged.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// True for addresses the kernel's loopback path serves: 127/8 and the
/// interface's own address.
pub fn is_local_ip(ip: core::net::Ipv4Addr) -> bool {
    ip.is_loopback() || STACK.lock().as_ref().is_some_and(|s| s.is_own_address(ip))
}

/// Sets eth0's address, prefix and gateway by hand and stops DHCP (a host
/// tap network has no DHCP server); `ENETDOWN` without a card.
pub fn set_static(config: Ipv4Config) -> Result<(), Errno> {
    with(|s| s.set_static(config))
}

/// The DNS server DHCP named (QEMU: 10.0.2.3), if any yet.
pub fn dns_server() -> Option<core::net::Ipv4Addr> {
    STACK.lock().as_ref().and_then(|s| s.config()).and_then(|c| c.dns)
}

/// The interface's addresses and counters (`None` without a card).
pub fn info() -> Option<Info> {
    let guard = STACK.lock();
    let s = guard.as_ref()?;
    Some(Info { mac: s.device().mac(), mtu: 1500, config: s.config(), dhcp: s.uses_dhcp(), stats: s.device().stats() })
}

/// Runs `f` on the stack without polling it: for looking at state
/// (readiness, addresses). A look must not poll, or it could consume an
/// event whose wake-up a waiter checking that state would then miss.
fn peek<R>(f: impl FnOnce(&mut Stack) -> R) -> Result<R, Errno> {
    let mut guard = STACK.lock();
    let stack = guard.as_mut().ok_or(Errno::ENETDOWN)?;
    Ok(f(stack))
}

/// Runs `f` on the stack and polls it only if `f` says its effect should
/// go out at once (true); otherwise the `net` thread's next poll sends it.
fn with_poll_if<R>(f: impl FnOnce(&mut Stack) -> (R, bool)) -> Result<R, Errno> {
    let mut now = false;
    let result = peek(|s| {
        let (r, poll) = f(s);
        now = poll;
        r
    })?;
    if now {
        poll();
    }
    Ok(result)
}

/// Runs `f` on the stack, then polls it so the effects go out at once;
/// `ENETDOWN` without a card.
fn with<R>(f: impl FnOnce(&mut Stack) -> R) -> Result<R, Errno> {
    let (result, changed, changes) = {
        let mut guard = STACK.lock();
        let stack = guard.as_mut().ok_or(Errno::ENETDOWN)?;
        let result = f(stack);
        IRQ_SEEN.store(false, Ordering::Release);
        let changed = stack.poll();
        NEXT_POLL_MS.store(stack.next_poll_ms(), Ordering::Release);
        (result, changed, stack.take_changes())
    };
    if changed || !changes.is_empty() {
        GENERATION.fetch_add(1, Ordering::AcqRel);
        if ACTIVITY.has_waiters() {
            ACTIVITY.wake_all();
        }
    }
    notify(changes);
    Ok(result)
}
