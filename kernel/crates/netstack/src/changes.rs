//! Which sockets changed: the per-socket notifications the kernel needs so
//! it wakes only the waiters of the sockets a poll touched.
//!
//! Every smoltcp socket carries two wakers of its Linux socket (receive and
//! send side); smoltcp wakes them when data arrives, room appears or the
//! connection's state changes (its `async` support). A woken waker records
//! its socket in the stack's pending set; [`Stack::take_changes`] hands the
//! set out after a poll and re-arms the wakers of the sockets in it
//! (smoltcp's wakers fire once). So a poll costs O(sockets that changed) in
//! notifications, never a walk over all sockets.
//! Invariant: after `take_changes`, every open socket's smoltcp sockets
//! hold its wakers (new handles are armed when they are made).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::task::Wake;
use alloc::vec::Vec;
use core::task::Waker;
use smoltcp::phy::Device;
use spin::Mutex;

use crate::{Stack, TcpId, UdpId};

/// A socket of the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SocketRef {
    Tcp(TcpId),
    Udp(UdpId),
}

/// What may have changed for one socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Receiving: data, end of stream, a connection to accept, an error.
    pub recv: bool,
    /// Sending: room, connected, an error.
    pub send: bool,
}

impl Change {
    pub const BOTH: Change = Change { recv: true, send: true };
}

pub(crate) type Pending = Arc<Mutex<BTreeMap<SocketRef, Change>>>;

/// Records `change` for `who`.
pub(crate) fn mark(pending: &Pending, who: SocketRef, change: Change) {
    let mut p = pending.lock();
    let c = p.entry(who).or_default();
    c.recv |= change.recv;
    c.send |= change.send;
}

struct Flag {
    who: SocketRef,
    change: Change,
    pending: Pending,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        mark(&self.pending, self.who, self.change);
    }
}

/// One socket's wakers.
pub(crate) struct Wakers {
    pub recv: Waker,
    pub send: Waker,
}

impl Wakers {
    pub fn new(who: SocketRef, pending: &Pending) -> Wakers {
        let flag = |change| Waker::from(Arc::new(Flag { who, change, pending: pending.clone() }));
        Wakers { recv: flag(Change { recv: true, send: false }), send: flag(Change { recv: false, send: true }) }
    }
}

impl<D: Device> Stack<D> {
    /// The sockets whose state may have changed since the last call (by a
    /// poll, or by an operation on the socket), with what may have changed.
    /// Re-arms their wakers.
    pub fn take_changes(&mut self) -> Vec<(SocketRef, Change)> {
        let pending = core::mem::take(&mut *self.pending.lock());
        let mut out = Vec::with_capacity(pending.len());
        for (who, change) in pending {
            match who {
                SocketRef::Tcp(id) => self.tcp_arm(id),
                SocketRef::Udp(id) => self.udp_arm(id),
            }
            out.push((who, change));
        }
        out
    }
}
