//! TCP sockets with Linux semantics, non-blocking.
//!
//! A [`TcpId`] is one Linux TCP socket: fresh (after `socket()`), bound,
//! listening, or a connection (connecting or connected). Calls never wait:
//! `EAGAIN` (no data, no room, nothing to accept), `EINPROGRESS` (connect
//! started), `EALREADY` (connect still running). `tcp_readiness` and
//! `tcp_take_error` give poll/epoll and `SO_ERROR`.
//! Listening: smoltcp takes one connection per listening socket, so a
//! listener keeps a pool of smoltcp sockets on its port: up to
//! [`IDLE_LISTENERS`] wait in LISTEN, and the pool grows as SYNs arrive
//! (`Stack::poll` looks at each incoming SYN first, [`Stack::tcp_syn`]):
//! as Linux, up to `backlog + 1` established connections wait for
//! `accept` (`backlog` at most [`MAX_BACKLOG`]; the accept queue) and a SYN
//! arriving while it is full is dropped (the peer retries); half-open
//! connections (the SYN queue) do not count against it, up to
//! [`MAX_SYN_BACKLOG`] more sockets. `tcp_accept`
//! hands out an established one and tops the idle ones up again. So a
//! burst of connections is answered at once while an idle listener holds
//! only a few buffers.
//! Ports: a bound or listening socket owns its port (`EADDRINUSE` for a
//! second one); closing a listener frees its port at once; a connection's own
//! port is freed when its smoltcp socket is gone. Accepted connections share
//! their listener's port.
//! Closing: a connection sends FIN and stays in the stack until smoltcp
//! reaches CLOSED or TIME-WAIT (reset after `LINGER_MS`); one with unread
//! data is reset, as Linux does; connections nobody accepted are reset with
//! their listener.
//! TIME-WAIT is not kept: smoltcp would hold the whole socket (both 64 KiB
//! buffers) for 10 s, and every frame the stack handles walks every socket,
//! so a server answering a few hundred short connections per second slowed
//! down to a fraction (busybox httpd: a 32 MiB download after 300 requests
//! went from 37 to 8 MiB/s). Without it a late retransmitted FIN from the
//! peer is answered with a reset instead of an ACK, which ends that peer's
//! LAST-ACK all the same; a new connection on the same four ports (the
//! peer's choice) is accepted at once, as Linux does for a fresh SYN.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};
use errno::Errno;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::tcp::{Socket, SocketBuffer, State};
use smoltcp::time::Duration;
use smoltcp::wire::IpListenEndpoint;

use crate::changes::{self, Change, Pending, SocketRef, Wakers};
use crate::{from_endpoint, to_endpoint, Ports, Readiness, Stack};

/// Receive and send buffer of every connection (the receive window).
pub const BUFFER_SIZE: usize = 64 * 1024;
/// Receive room worth announcing at once after a read (half the buffer).
pub const WINDOW_ANNOUNCE: usize = BUFFER_SIZE / 2;
/// The most connections a listener holds (being set up or waiting for
/// `accept`): the largest backlog.
pub const MAX_BACKLOG: usize = 128;
/// Half-open connections a listener holds besides its accept queue (Linux's
/// SYN queue).
pub const MAX_SYN_BACKLOG: usize = 128;
/// Listening sockets kept ready (each holds a connection's buffers).
pub const IDLE_LISTENERS: usize = 4;
/// How long a connect may go unanswered (smoltcp's timeout, later also the
/// limit on unacknowledged data).
pub const TIMEOUT_MS: u64 = 60_000;
/// How long a closed connection may take to finish its goodbye.
const LINGER_MS: u64 = 60_000;

/// Which half of a connection `tcp_shutdown` closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    Read,
    Write,
    Both,
}

/// A TCP socket in a [`Stack`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TcpId(u32);

enum Kind {
    Fresh,
    /// `limit`: the backlog (accept queue: `limit + 1` established).
    Listener { sockets: Vec<SocketHandle>, endpoint: IpListenEndpoint, limit: usize },
    Stream(Stream),
}

struct Stream {
    handle: SocketHandle,
    /// `connect` started it and has not yet reported the outcome.
    connecting: bool,
    /// Reached ESTABLISHED at some point.
    established: bool,
    /// An unexpected CLOSED (reset or timeout) was turned into `error`.
    reset_seen: bool,
    read_shut: bool,
    write_shut: bool,
    started_ms: u64,
}

impl Stream {
    fn new(handle: SocketHandle, connecting: bool, now_ms: u64) -> Stream {
        Stream {
            handle,
            connecting,
            established: !connecting,
            reset_seen: false,
            read_shut: false,
            write_shut: false,
            started_ms: now_ms,
        }
    }
}

struct Endpoint {
    kind: Kind,
    /// The local address (bound, or chosen by listen/connect/accept).
    local: Option<SocketAddrV4>,
    /// `local`'s port is this socket's entry in the port table.
    owns_port: bool,
    /// Pending error for `SO_ERROR` / the next call.
    error: Option<Errno>,
    /// Its smoltcp sockets' wakers (`changes`).
    wakers: Option<Wakers>,
}

struct Closing {
    handle: SocketHandle,
    give_up_ms: u64,
    port: Option<u16>,
}

#[derive(Default)]
pub(crate) struct Table {
    endpoints: BTreeMap<u32, Endpoint>,
    /// Listening sockets by port.
    listeners: BTreeMap<u16, u32>,
    ports: Ports,
    closing: Vec<Closing>,
    next_id: u32,
}

impl Table {
    fn get(&mut self, id: TcpId) -> Result<&mut Endpoint, Errno> {
        self.endpoints.get_mut(&id.0).ok_or(Errno::EBADF)
    }

    fn insert(&mut self, mut ep: Endpoint, pending: &Pending) -> TcpId {
        self.next_id = self.next_id.wrapping_add(1);
        while self.endpoints.contains_key(&self.next_id) {
            self.next_id = self.next_id.wrapping_add(1);
        }
        let id = TcpId(self.next_id);
        ep.wakers = Some(Wakers::new(SocketRef::Tcp(id), pending));
        self.endpoints.insert(self.next_id, ep);
        id
    }

    /// Sockets still open or finishing their close (for tests and `ss`-like views).
    pub(crate) fn smoltcp_sockets(&self) -> usize {
        let open: usize = self
            .endpoints
            .values()
            .map(|e| match &e.kind {
                Kind::Fresh => 0,
                Kind::Listener { sockets, .. } => sockets.len(),
                Kind::Stream(_) => 1,
            })
            .sum();
        open + self.closing.len()
    }

    /// Housekeeping after each poll: reap finished closes, re-arm listening
    /// sockets whose half-open connection died, turn resets into errors.
    /// True if some socket's visible state changed.
    pub(crate) fn maintain(&mut self, set: &mut SocketSet<'static>, now_ms: u64, pending: &Pending) -> bool {
        let mut changed = false;
        let ports = &mut self.ports;
        self.closing.retain(|c| {
            let socket = set.get_mut::<Socket>(c.handle);
            if matches!(socket.state(), State::Closed | State::TimeWait) {
                set.remove(c.handle);
                if let Some(p) = c.port {
                    ports.release(p);
                }
                return false;
            }
            if now_ms >= c.give_up_ms {
                socket.abort();
            }
            true
        });
        for (&id, ep) in self.endpoints.iter_mut() {
            match &mut ep.kind {
                Kind::Listener { sockets, endpoint, .. } => {
                    for &h in sockets.iter() {
                        let socket = set.get_mut::<Socket>(h);
                        if socket.state() == State::Closed {
                            let _ = socket.listen(*endpoint);
                        }
                    }
                }
                Kind::Stream(s) => {
                    let state = set.get::<Socket>(s.handle).state();
                    if !matches!(state, State::SynSent | State::SynReceived | State::Closed) {
                        s.established = true;
                    }
                    if state == State::Closed && !s.write_shut && !s.reset_seen {
                        s.reset_seen = true;
                        ep.error = Some(if s.established {
                            Errno::ECONNRESET
                        } else if now_ms.saturating_sub(s.started_ms) >= TIMEOUT_MS {
                            Errno::ETIMEDOUT
                        } else {
                            Errno::ECONNREFUSED
                        });
                        changes::mark(pending, SocketRef::Tcp(TcpId(id)), Change::BOTH);
                        changed = true;
                    }
                }
                Kind::Fresh => {}
            }
        }
        changed
    }
}

fn new_socket(set: &mut SocketSet<'static>) -> SocketHandle {
    let mut socket = Socket::new(SocketBuffer::new(vec![0u8; BUFFER_SIZE]), SocketBuffer::new(vec![0u8; BUFFER_SIZE]));
    socket.set_timeout(Some(Duration::from_millis(TIMEOUT_MS)));
    set.add(socket)
}

fn new_listener(set: &mut SocketSet<'static>, endpoint: IpListenEndpoint) -> Result<SocketHandle, Errno> {
    let handle = new_socket(set);
    if set.get_mut::<Socket>(handle).listen(endpoint).is_err() {
        set.remove(handle);
        return Err(Errno::EINVAL);
    }
    Ok(handle)
}

fn acceptable(set: &SocketSet<'static>, handle: SocketHandle) -> bool {
    matches!(set.get::<Socket>(handle).state(), State::Established | State::CloseWait)
}

impl<D: Device> Stack<D> {
    /// A fresh socket, like `socket(AF_INET, SOCK_STREAM, 0)`.
    pub fn tcp_open(&mut self) -> TcpId {
        self.tcp.insert(Endpoint { kind: Kind::Fresh, local: None, owns_port: false, error: None, wakers: None }, &self.pending)
    }

    /// `bind`: the address must be 0.0.0.0 or the interface's; port 0 picks one.
    pub fn tcp_bind(&mut self, id: TcpId, addr: SocketAddrV4) -> Result<(), Errno> {
        self.check_local(*addr.ip())?;
        let ep = self.tcp.get(id)?;
        if !matches!(ep.kind, Kind::Fresh) || ep.local.is_some() {
            return Err(Errno::EINVAL);
        }
        let port = self.tcp.ports.claim(addr.port())?;
        let ep = self.tcp.get(id)?;
        ep.local = Some(SocketAddrV4::new(*addr.ip(), port));
        ep.owns_port = true;
        Ok(())
    }

    /// `listen`: an unbound socket gets an ephemeral port first. Listening
    /// again only grows the backlog.
    pub fn tcp_listen(&mut self, id: TcpId, backlog: usize) -> Result<(), Errno> {
        let limit = backlog.min(MAX_BACKLOG);
        let wanted = (limit + 1).min(IDLE_LISTENERS);
        let ep = self.tcp.get(id)?;
        match &mut ep.kind {
            Kind::Stream(_) => return Err(Errno::EINVAL),
            Kind::Listener { sockets, endpoint, limit: old } => {
                *old = (*old).max(limit);
                while sockets.len() < wanted {
                    sockets.push(new_listener(&mut self.sockets, *endpoint)?);
                }
                self.tcp_arm(id);
                return Ok(());
            }
            Kind::Fresh => {}
        }
        let bound = ep.local;
        let local = match bound {
            Some(l) => l,
            None => {
                let port = self.tcp.ports.claim(0)?;
                let ep = self.tcp.get(id)?;
                ep.owns_port = true;
                *ep.local.insert(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))
            }
        };
        let endpoint = IpListenEndpoint {
            addr: (!local.ip().is_unspecified()).then(|| (*local.ip()).into()),
            port: local.port(),
        };
        let mut sockets = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            match new_listener(&mut self.sockets, endpoint) {
                Ok(h) => sockets.push(h),
                Err(e) => {
                    for h in sockets {
                        self.sockets.remove(h);
                    }
                    return Err(e);
                }
            }
        }
        self.tcp.get(id)?.kind = Kind::Listener { sockets, endpoint, limit };
        self.tcp.listeners.insert(endpoint.port, id.0);
        self.tcp_arm(id);
        Ok(())
    }

    /// A SYN for `port` is about to reach smoltcp: if a listener there has
    /// no socket in LISTEN, one is added while the pool is below its limit.
    /// False if the SYN must be dropped (the pool is full: the accept queue
    /// of Linux's listener, the peer will retry).
    pub(crate) fn tcp_syn(&mut self, port: u16) -> bool {
        let Some(&id) = self.tcp.listeners.get(&port) else { return true };
        let Some(Endpoint { kind: Kind::Listener { sockets, endpoint, limit }, .. }) = self.tcp.endpoints.get_mut(&id) else {
            return true;
        };
        // Linux: a SYN meeting a full accept queue (more than `backlog`
        // established connections waiting) is dropped; half-open ones wait
        // apart (the SYN queue) and do not count against it.
        if sockets.iter().filter(|&&h| acceptable(&self.sockets, h)).count() > *limit {
            return false;
        }
        if sockets.iter().any(|&h| self.sockets.get::<Socket>(h).state() == State::Listen) {
            return true;
        }
        if sockets.len() >= *limit + 1 + MAX_SYN_BACKLOG {
            return false;
        }
        match new_listener(&mut self.sockets, *endpoint) {
            Ok(h) => sockets.push(h),
            Err(_) => return false,
        }
        self.tcp_arm(TcpId(id));
        true
    }

    /// `accept`: an established connection and its peer, or `EAGAIN`.
    pub fn tcp_accept(&mut self, id: TcpId) -> Result<(TcpId, SocketAddrV4), Errno> {
        let now = self.now_ms();
        let Kind::Listener { sockets, endpoint, limit } = &mut self.tcp.get(id)?.kind else { return Err(Errno::EINVAL) };
        let ready = sockets.iter().position(|&h| acceptable(&self.sockets, h)).ok_or(Errno::EAGAIN)?;
        let handle = sockets.remove(ready);
        let idle = sockets.iter().filter(|&&h| self.sockets.get::<Socket>(h).state() == State::Listen).count();
        if idle < (*limit + 1).min(IDLE_LISTENERS) {
            if let Ok(fresh) = new_listener(&mut self.sockets, *endpoint) {
                sockets.push(fresh);
            }
        }
        let socket = self.sockets.get::<Socket>(handle);
        let local = socket.local_endpoint().map(from_endpoint);
        let Some(peer) = socket.remote_endpoint().map(from_endpoint) else {
            self.sockets.remove(handle);
            return Err(Errno::ECONNABORTED);
        };
        let stream = Stream::new(handle, false, now);
        let new = self.tcp.insert(Endpoint { kind: Kind::Stream(stream), local, owns_port: false, error: None, wakers: None }, &self.pending);
        self.tcp_arm(new);
        self.tcp_arm(id);
        Ok((new, peer))
    }

    /// `connect`: `EINPROGRESS` when started, `EALREADY` while running, then
    /// `Ok` once (or the error: `ECONNREFUSED`, `ETIMEDOUT`), `EISCONN` after.
    pub fn tcp_connect(&mut self, id: TcpId, addr: SocketAddrV4) -> Result<(), Errno> {
        let now = self.now_ms();
        let ep = self.tcp.get(id)?;
        match &mut ep.kind {
            Kind::Listener { .. } => return Err(Errno::EISCONN),
            Kind::Stream(st) => {
                if !st.connecting {
                    return Err(Errno::EISCONN);
                }
                return match self.sockets.get::<Socket>(st.handle).state() {
                    State::SynSent | State::SynReceived => Err(Errno::EALREADY),
                    State::Closed => {
                        st.connecting = false;
                        Err(ep.error.take().unwrap_or(Errno::ECONNREFUSED))
                    }
                    _ => {
                        st.connecting = false;
                        Ok(())
                    }
                };
            }
            Kind::Fresh => {}
        }
        if addr.port() == 0 || addr.ip().is_unspecified() {
            return Err(Errno::ECONNREFUSED);
        }
        if self.config.is_none() {
            return Err(Errno::ENETUNREACH);
        }
        let bound = ep.local;
        let port = match bound {
            Some(l) => l.port(),
            None => self.tcp.ports.claim(0)?,
        };
        let local_ip = bound.map(|l| *l.ip()).filter(|ip| !ip.is_unspecified());
        let handle = new_socket(&mut self.sockets);
        let local = IpListenEndpoint { addr: local_ip.map(Into::into), port };
        let started = self.sockets.get_mut::<Socket>(handle).connect(self.iface.context(), to_endpoint(addr), local);
        if started.is_err() {
            self.sockets.remove(handle);
            if bound.is_none() {
                self.tcp.ports.release(port);
            }
            return Err(Errno::ENETUNREACH);
        }
        let chosen = self.sockets.get::<Socket>(handle).local_endpoint().map(from_endpoint);
        let ep = self.tcp.get(id)?;
        ep.owns_port = true;
        ep.local = chosen.or(Some(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)));
        ep.kind = Kind::Stream(Stream::new(handle, true, now));
        self.tcp_arm(id);
        Err(Errno::EINPROGRESS)
    }

    /// `send`: bytes queued (at least 1 for non-empty `data`); `EAGAIN` when
    /// the send buffer is full or the connection is not up yet; `EPIPE` when
    /// the sending half is closed (the caller raises SIGPIPE).
    pub fn tcp_send(&mut self, id: TcpId, data: &[u8]) -> Result<usize, Errno> {
        let ep = self.tcp.get(id)?;
        let Kind::Stream(st) = &ep.kind else { return Err(Errno::EPIPE) };
        if let Some(e) = ep.error.take() {
            return Err(e);
        }
        let socket = self.sockets.get_mut::<Socket>(st.handle);
        if matches!(socket.state(), State::SynSent | State::SynReceived) {
            return Err(Errno::EAGAIN);
        }
        if st.write_shut || !socket.may_send() {
            return Err(Errno::EPIPE);
        }
        if data.is_empty() {
            return Ok(0);
        }
        match socket.send_slice(data) {
            Ok(0) => Err(Errno::EAGAIN),
            Ok(n) => Ok(n),
            Err(_) => Err(Errno::EPIPE),
        }
    }

    /// `recv`: bytes read, `Ok(0)` at end of stream, `EAGAIN` when nothing is
    /// waiting. With `peek` the bytes stay queued (MSG_PEEK).
    pub fn tcp_recv(&mut self, id: TcpId, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        let ep = self.tcp.get(id)?;
        let Kind::Stream(st) = &ep.kind else { return Err(Errno::ENOTCONN) };
        if st.read_shut {
            return Ok(0);
        }
        let socket = self.sockets.get_mut::<Socket>(st.handle);
        if socket.can_recv() && !buf.is_empty() {
            let got = if peek { socket.peek_slice(buf) } else { socket.recv_slice(buf) };
            return got.map_err(|_| Errno::ENOTCONN);
        }
        if let Some(e) = ep.error.take() {
            return Err(e);
        }
        match socket.state() {
            State::SynSent | State::SynReceived => Err(Errno::EAGAIN),
            _ if !socket.may_recv() || buf.is_empty() => Ok(0),
            _ => Err(Errno::EAGAIN),
        }
    }

    /// `recv`, and whether the read opened the receive window enough to be
    /// worth announcing now: the free room crossed [`WINDOW_ANNOUNCE`]. The
    /// caller polls the stack only then. smoltcp announces any growth from a
    /// closed window, so a reader taking 1 KiB at a time (busybox `nc`)
    /// behind a full buffer had the peer send 1 KiB segments, each after a
    /// poll of the whole stack (silly window syndrome; RFC 1122 4.2.3.3 has
    /// the receiver wait for min(buffer/2, MSS) of room).
    pub fn tcp_recv_announcing(&mut self, id: TcpId, buf: &mut [u8], peek: bool) -> (Result<usize, Errno>, bool) {
        let before = self.tcp_recv_room(id);
        let got = self.tcp_recv(id, buf, peek);
        let after = self.tcp_recv_room(id);
        (got, before < WINDOW_ANNOUNCE && after >= WINDOW_ANNOUNCE)
    }

    /// Free room in a connection's receive buffer (the window it can offer).
    fn tcp_recv_room(&mut self, id: TcpId) -> usize {
        match self.tcp.get(id).map(|ep| &ep.kind) {
            Ok(Kind::Stream(st)) => {
                let socket = self.sockets.get::<Socket>(st.handle);
                socket.recv_capacity() - socket.recv_queue()
            }
            _ => 0,
        }
    }

    /// `shutdown`: closing the write half sends FIN after the queued data.
    pub fn tcp_shutdown(&mut self, id: TcpId, how: Shutdown) -> Result<(), Errno> {
        let Kind::Stream(st) = &mut self.tcp.get(id)?.kind else { return Err(Errno::ENOTCONN) };
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            st.read_shut = true;
        }
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            st.write_shut = true;
            self.sockets.get_mut::<Socket>(st.handle).close();
        }
        Ok(())
    }

    /// What would not block now (a stale id reads as hung up with an error).
    pub fn tcp_readiness(&mut self, id: TcpId) -> Readiness {
        let Ok(ep) = self.tcp.get(id) else { return Readiness { hangup: true, error: true, ..Readiness::default() } };
        let error = ep.error.is_some();
        match &ep.kind {
            // Linux: a socket that never connected polls as POLLOUT|POLLHUP.
            Kind::Fresh => Readiness { writable: true, hangup: true, ..Readiness::default() },
            Kind::Listener { sockets, .. } => Readiness {
                readable: sockets.iter().any(|&h| acceptable(&self.sockets, h)),
                ..Readiness::default()
            },
            Kind::Stream(st) => {
                let socket = self.sockets.get::<Socket>(st.handle);
                let state = socket.state();
                if matches!(state, State::SynSent | State::SynReceived) {
                    return Readiness { error, ..Readiness::default() };
                }
                let closed = state == State::Closed;
                Readiness {
                    readable: socket.can_recv() || !socket.may_recv() || st.read_shut || error,
                    writable: socket.can_send() || closed || error,
                    hangup: closed || (!socket.may_recv() && !socket.may_send()),
                    error,
                }
            }
        }
    }

    /// Bytes received and not yet read: FIONREAD.
    pub fn tcp_available(&mut self, id: TcpId) -> usize {
        match self.tcp.get(id).map(|ep| &ep.kind) {
            Ok(Kind::Stream(st)) if !st.read_shut => self.sockets.get::<Socket>(st.handle).recv_queue(),
            _ => 0,
        }
    }

    /// True for a socket that neither listens nor connected (fresh or bound).
    pub fn tcp_is_fresh(&mut self, id: TcpId) -> bool {
        self.tcp.get(id).is_ok_and(|ep| matches!(ep.kind, Kind::Fresh))
    }

    /// `SO_ERROR`: the pending error, cleared.
    pub fn tcp_take_error(&mut self, id: TcpId) -> Option<Errno> {
        self.tcp.get(id).ok()?.error.take()
    }

    /// `getsockname`: 0.0.0.0:0 when unbound.
    pub fn tcp_local_addr(&mut self, id: TcpId) -> Result<SocketAddrV4, Errno> {
        Ok(self.tcp.get(id)?.local.unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))
    }

    /// `getpeername`.
    pub fn tcp_peer_addr(&mut self, id: TcpId) -> Result<SocketAddrV4, Errno> {
        let Kind::Stream(st) = &self.tcp.get(id)?.kind else { return Err(Errno::ENOTCONN) };
        self.sockets.get::<Socket>(st.handle).remote_endpoint().map(from_endpoint).ok_or(Errno::ENOTCONN)
    }

    /// `TCP_NODELAY`: send small segments at once instead of coalescing (Nagle).
    pub fn tcp_set_nodelay(&mut self, id: TcpId, nodelay: bool) -> Result<(), Errno> {
        if let Kind::Stream(st) = &self.tcp.get(id)?.kind {
            self.sockets.get_mut::<Socket>(st.handle).set_nagle_enabled(!nodelay);
        }
        Ok(())
    }

    /// `close`: the id is gone; a connection finishes its goodbye in the background.
    pub fn tcp_close(&mut self, id: TcpId) {
        let now = self.now_ms();
        let t = &mut self.tcp;
        let Some(ep) = t.endpoints.remove(&id.0) else { return };
        let port = ep.local.map(|l| l.port()).filter(|_| ep.owns_port);
        match ep.kind {
            Kind::Fresh => {
                if let Some(p) = port {
                    t.ports.release(p);
                }
            }
            Kind::Listener { sockets, endpoint, .. } => {
                if let Some(p) = port {
                    t.ports.release(p);
                }
                if t.listeners.get(&endpoint.port) == Some(&id.0) {
                    t.listeners.remove(&endpoint.port);
                }
                for h in sockets {
                    let socket = self.sockets.get_mut::<Socket>(h);
                    if matches!(socket.state(), State::Listen | State::Closed) {
                        self.sockets.remove(h);
                    } else {
                        // A connection nobody accepted: reset, as Linux does.
                        socket.abort();
                        t.closing.push(Closing { handle: h, give_up_ms: 0, port: None });
                    }
                }
            }
            Kind::Stream(st) => {
                let socket = self.sockets.get_mut::<Socket>(st.handle);
                if socket.recv_queue() > 0 || matches!(socket.state(), State::SynSent | State::SynReceived) {
                    socket.abort();
                } else {
                    socket.close();
                }
                t.closing.push(Closing { handle: st.handle, give_up_ms: now + LINGER_MS, port });
            }
        }
    }

    /// Puts `id`'s wakers on its smoltcp sockets (after they were made, or
    /// after the wakers fired).
    pub(crate) fn tcp_arm(&mut self, id: TcpId) {
        let Some(ep) = self.tcp.endpoints.get(&id.0) else { return };
        let Some(w) = &ep.wakers else { return };
        let handles: &[SocketHandle] = match &ep.kind {
            Kind::Listener { sockets, .. } => sockets,
            Kind::Stream(st) => core::slice::from_ref(&st.handle),
            Kind::Fresh => &[],
        };
        for &h in handles {
            let socket = self.sockets.get_mut::<Socket>(h);
            socket.register_recv_waker(&w.recv);
            socket.register_send_waker(&w.send);
        }
    }

    /// smoltcp TCP sockets in use: open ones plus those still closing.
    pub fn tcp_socket_count(&self) -> usize {
        self.tcp.smoltcp_sockets()
    }
}
