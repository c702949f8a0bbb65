//! `AF_INET` sockets: TCP and UDP over the `netstack` handles, plus the
//! loopback path for 127/8 and the interface's own address.
//!
//! Loopback: smoltcp does not deliver to itself, so traffic between two
//! sockets of this kernel never becomes frames. A listening TCP socket also
//! registers its port in [`LOOP_TCP`]; `connect` to a local address finds
//! it there and queues one end of a `local::stream_pair` on its backlog,
//! which `accept` takes before the network's connections. A bound UDP
//! socket registers its port in [`LOOP_UDP`]; `sendto` a local address puts
//! the datagram straight into that socket's queue. Ports stay claimed in the
//! stack's port table either way, so `EADDRINUSE` covers both.
//! Limits: a loopback listener accepts on any local address whatever it was
//! bound to; a loopback connection has no TCP options (urgent data, etc.).

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::net::{Ipv4Addr, SocketAddrV4};
use errno::Errno;
use linux_abi::structs::{self as abi, SocketAddress};
use spin::Mutex;

use super::{wait, Received, Target};
use crate::file::Pollee;
use crate::net::local::{self, Backlog, DgramQueue, StreamEnd};
use crate::net::{Readiness, Shutdown, Tcp, Udp};

/// A pending loopback connection: the server's end and the client's address.
type Pending = (StreamEnd, SocketAddrV4, SocketAddrV4);

/// Loopback TCP listeners by port.
static LOOP_TCP: Mutex<BTreeMap<u16, Weak<Backlog<Pending>>>> = Mutex::new(BTreeMap::new());
/// Loopback UDP receivers by port.
static LOOP_UDP: Mutex<BTreeMap<u16, Weak<DgramQueue>>> = Mutex::new(BTreeMap::new());

pub fn address(a: SocketAddrV4) -> SocketAddress {
    SocketAddress::Inet(a.ip().octets(), a.port())
}

pub enum Inet {
    Stream(Mutex<Stream>),
    Dgram(Mutex<Dgram>),
}

pub struct Stream {
    /// The stack's socket: the port, the listener, or the connection. An
    /// accepted loopback connection has none.
    tcp: Option<Tcp>,
    lo: Loop,
}

enum Loop {
    None,
    Listening(Arc<Backlog<Pending>>),
    Connected { end: StreamEnd, local: SocketAddrV4, peer: SocketAddrV4 },
}

pub struct Dgram {
    udp: Udp,
    /// Datagrams from loopback senders.
    queue: Arc<DgramQueue>,
    /// The port this socket is registered under in `LOOP_UDP`.
    registered: Option<u16>,
    peer: Option<SocketAddrV4>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Loop::Listening(backlog) = &self.lo {
            if let Some(port) = self.tcp.as_ref().and_then(|t| t.local_addr().ok()).map(|a| a.port()) {
                let mut map = LOOP_TCP.lock();
                if map.get(&port).is_some_and(|w| w.as_ptr() == Arc::as_ptr(backlog)) {
                    map.remove(&port);
                }
            }
            backlog.close();
        }
    }
}

impl Drop for Dgram {
    fn drop(&mut self) {
        if let Some(port) = self.registered {
            let mut map = LOOP_UDP.lock();
            if map.get(&port).is_some_and(|w| w.as_ptr() == Arc::as_ptr(&self.queue)) {
                map.remove(&port);
            }
        }
        self.queue.close();
    }
}

fn is_local(ip: Ipv4Addr) -> bool {
    crate::net::is_local_ip(ip)
}

/// A destination as Linux routes it: the unspecified address 0.0.0.0 means this host
/// (`ip_route_output_key_hash_rcu` makes it 127.0.0.1).
fn routed(addr: SocketAddrV4) -> SocketAddrV4 {
    if addr.ip().is_unspecified() { SocketAddrV4::new(Ipv4Addr::LOCALHOST, addr.port()) } else { addr }
}

impl Stream {
    fn tcp(&self) -> Result<&Tcp, Errno> {
        self.tcp.as_ref().ok_or(Errno::EINVAL)
    }
}

impl Dgram {
    /// Binds to an ephemeral port if unbound, and registers the port.
    fn ensure_bound(&mut self) -> Result<u16, Errno> {
        let mut port = self.udp.local_addr()?.port();
        if port == 0 {
            self.udp.bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?;
            port = self.udp.local_addr()?.port();
        }
        self.register(port);
        Ok(port)
    }

    fn register(&mut self, port: u16) {
        if self.registered.is_none() {
            LOOP_UDP.lock().insert(port, Arc::downgrade(&self.queue));
            self.registered = Some(port);
        }
    }
}

impl Inet {
    /// A socket whose changes are told to `pollee`.
    pub fn new(ty: u32, protocol: i32, pollee: &Pollee) -> Result<Inet, Errno> {
        match (ty, protocol) {
            (abi::SOCK_STREAM, 0 | abi::IPPROTO_TCP) => {
                let tcp = Tcp::new()?;
                tcp.watch(pollee);
                Ok(Inet::Stream(Mutex::new(Stream { tcp: Some(tcp), lo: Loop::None })))
            }
            (abi::SOCK_DGRAM, 0 | abi::IPPROTO_UDP) => {
                let udp = Udp::new()?;
                udp.watch(pollee);
                Ok(Inet::Dgram(Mutex::new(Dgram { udp, queue: DgramQueue::new(pollee), registered: None, peer: None })))
            }
            (abi::SOCK_STREAM | abi::SOCK_DGRAM, _) => Err(Errno::EPROTONOSUPPORT),
            _ => Err(Errno::ESOCKTNOSUPPORT),
        }
    }

    pub fn bind(&self, addr: SocketAddrV4) -> Result<(), Errno> {
        match self {
            Inet::Stream(s) => s.lock().tcp()?.bind(addr),
            Inet::Dgram(d) => {
                let mut d = d.lock();
                d.udp.bind(addr)?;
                let port = d.udp.local_addr()?.port();
                d.register(port);
                Ok(())
            }
        }
    }

    pub fn listen(&self, backlog: usize, pollee: &Pollee) -> Result<(), Errno> {
        let Inet::Stream(s) = self else { return Err(Errno::EOPNOTSUPP) };
        let mut s = s.lock();
        if matches!(s.lo, Loop::Connected { .. }) {
            return Err(Errno::EINVAL);
        }
        s.tcp()?.listen(backlog)?;
        let max = backlog.clamp(1, 128);
        match &s.lo {
            Loop::Listening(b) => b.set_max(max),
            _ => {
                let port = s.tcp()?.local_addr()?.port();
                let b = Backlog::new(max, pollee);
                LOOP_TCP.lock().insert(port, Arc::downgrade(&b));
                s.lo = Loop::Listening(b);
            }
        }
        Ok(())
    }

    /// One accept attempt: a loopback connection first, then the network's.
    /// The new socket's changes are told to `pollee`.
    pub fn accept(&self, pollee: &Pollee) -> Result<(Inet, SocketAddress), Errno> {
        let Inet::Stream(s) = self else { return Err(Errno::EOPNOTSUPP) };
        let s = s.lock();
        let Loop::Listening(backlog) = &s.lo else { return Err(Errno::EINVAL) };
        if let Some((end, local, peer)) = backlog.pop() {
            end.attach(pollee);
            let new = Stream { tcp: None, lo: Loop::Connected { end, local, peer } };
            return Ok((Inet::Stream(Mutex::new(new)), address(peer)));
        }
        let (tcp, peer) = s.tcp()?.accept()?;
        tcp.watch(pollee);
        Ok((Inet::Stream(Mutex::new(Stream { tcp: Some(tcp), lo: Loop::None })), address(peer)))
    }

    pub fn connect(&self, addr: SocketAddrV4, nonblock: bool, timeout: u64, pollee: &Pollee) -> Result<(), Errno> {
        let addr = routed(addr);
        match self {
            Inet::Dgram(d) => {
                let mut d = d.lock();
                d.ensure_bound()?;
                d.udp.connect(addr)?;
                d.peer = Some(addr);
                Ok(())
            }
            Inet::Stream(s) => {
                let loopback = {
                    let st = s.lock();
                    if !matches!(st.lo, Loop::None) {
                        return Err(Errno::EISCONN);
                    }
                    is_local(*addr.ip()) && st.tcp()?.is_fresh()
                };
                if loopback {
                    return connect_loopback(s, addr, nonblock, timeout, pollee);
                }
                let first = s.lock().tcp()?.connect(addr);
                match first {
                    Err(Errno::EINPROGRESS) if !nonblock => {}
                    other => return other,
                }
                // Blocking connect: wait for the outcome.
                wait(pollee, false, timeout, || match s.lock().tcp()?.connect(addr) {
                    Err(Errno::EALREADY) => Err(Errno::EAGAIN),
                    other => other,
                })
                .map_err(|e| if e == Errno::EAGAIN { Errno::EINPROGRESS } else { e })
            }
        }
    }

    /// connect(AF_UNSPEC).
    pub fn disconnect(&self) -> Result<(), Errno> {
        match self {
            Inet::Dgram(d) => {
                let mut d = d.lock();
                d.peer = None;
                d.udp.disconnect()
            }
            // Linux would abort the connection; not offered.
            Inet::Stream(_) => Err(Errno::EOPNOTSUPP),
        }
    }

    pub fn send(&self, data: &[u8], to: Option<Target>, nonblock: bool, timeout: u64, pollee: &Pollee) -> Result<usize, Errno> {
        let to = match to {
            None => None,
            Some(Target::Inet(a)) => Some(a),
            Some(_) => return Err(Errno::EAFNOSUPPORT),
        };
        match self {
            Inet::Stream(s) => {
                // Linux ignores the address of a connected stream socket.
                let mut done = 0;
                while done < data.len() || data.is_empty() {
                    let r = wait(pollee, nonblock, timeout, || {
                        let st = s.lock();
                        match &st.lo {
                            Loop::Connected { end, .. } => end.write(&data[done..]),
                            Loop::Listening(_) => Err(Errno::ENOTCONN),
                            Loop::None => st.tcp()?.send(&data[done..]).map_err(|e| match e {
                                // Not connected (yet): ENOTCONN unless connecting.
                                Errno::EPIPE if st.tcp().is_ok_and(|t| t.peer_addr().is_err()) => Errno::ENOTCONN,
                                e => e,
                            }),
                        }
                    });
                    match r {
                        Ok(n) => {
                            done += n;
                            if data.is_empty() || nonblock {
                                break;
                            }
                        }
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => break,
                    }
                }
                Ok(done)
            }
            Inet::Dgram(d) => {
                let dest = {
                    let d = d.lock();
                    to.map(routed).or(d.peer).ok_or(Errno::EDESTADDRREQ)?
                };
                if is_local(*dest.ip()) {
                    let port = d.lock().ensure_bound()?;
                    let target = LOOP_UDP.lock().get(&dest.port()).and_then(Weak::upgrade);
                    let Some(q) = target else { return Ok(data.len()) }; // nobody there: dropped
                    let from = address(SocketAddrV4::new(*dest.ip(), port));
                    return wait(q.room(), nonblock, timeout, || q.push(data, from.clone()));
                }
                wait(pollee, nonblock, timeout, || d.lock().udp.send_to(data, Some(dest)))
            }
        }
    }

    /// One receive attempt.
    pub fn recv(&self, buf: &mut [u8], peek: bool) -> Result<Received, Errno> {
        match self {
            Inet::Stream(s) => {
                let st = s.lock();
                let n = match &st.lo {
                    Loop::Connected { end, .. } => end.read(buf, peek)?,
                    Loop::Listening(_) => return Err(Errno::ENOTCONN),
                    Loop::None => st.tcp()?.recv(buf, peek)?,
                };
                Ok(Received { len: n, full: n, from: None })
            }
            Inet::Dgram(d) => {
                let d = d.lock();
                let peer = d.peer.map(address);
                match d.queue.pop(buf, peek, |from| peer.as_ref().is_none_or(|p| p == from)) {
                    Ok((len, full, from)) => return Ok(Received { len, full, from: Some(from) }),
                    Err(Errno::EAGAIN) => {}
                    Err(e) => return Err(e),
                }
                if peek {
                    // The stack's UDP has no peek: only loopback datagrams can be peeked.
                    return Err(Errno::EAGAIN);
                }
                let (len, from) = d.udp.recv_from(buf)?;
                Ok(Received { len, full: len, from: Some(address(from)) })
            }
        }
    }

    pub fn shutdown(&self, read: bool, write: bool) -> Result<(), Errno> {
        let Inet::Stream(s) = self else { return Err(Errno::ENOTCONN) };
        let st = s.lock();
        match &st.lo {
            Loop::Connected { end, .. } => {
                end.shutdown(read, write);
                Ok(())
            }
            Loop::Listening(_) => Err(Errno::ENOTCONN),
            Loop::None => {
                let how = match (read, write) {
                    (true, true) => Shutdown::Both,
                    (true, false) => Shutdown::Read,
                    _ => Shutdown::Write,
                };
                st.tcp()?.shutdown(how)
            }
        }
    }

    pub fn readiness(&self) -> (Readiness, bool) {
        match self {
            Inet::Stream(s) => {
                let st = s.lock();
                match &st.lo {
                    Loop::Connected { end, .. } => (end.readiness(), end.peer_done()),
                    Loop::Listening(b) => {
                        let mut r = st.tcp.as_ref().map(Tcp::readiness).unwrap_or_default();
                        r.readable |= !b.is_empty();
                        (r, false)
                    }
                    Loop::None => {
                        let r = st.tcp.as_ref().map(Tcp::readiness).unwrap_or_default();
                        (r, r.readable && r.hangup)
                    }
                }
            }
            Inet::Dgram(d) => {
                let d = d.lock();
                let mut r = d.udp.readiness();
                r.readable |= d.queue.readable();
                (r, false)
            }
        }
    }

    pub fn local_addr(&self) -> SocketAddrV4 {
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
        match self {
            Inet::Stream(s) => {
                let st = s.lock();
                match &st.lo {
                    Loop::Connected { local, .. } => *local,
                    _ => st.tcp.as_ref().and_then(|t| t.local_addr().ok()).unwrap_or(any),
                }
            }
            Inet::Dgram(d) => d.lock().udp.local_addr().unwrap_or(any),
        }
    }

    pub fn peer_addr(&self) -> Result<SocketAddrV4, Errno> {
        match self {
            Inet::Stream(s) => {
                let st = s.lock();
                match &st.lo {
                    Loop::Connected { peer, .. } => Ok(*peer),
                    _ => st.tcp()?.peer_addr(),
                }
            }
            Inet::Dgram(d) => d.lock().peer.ok_or(Errno::ENOTCONN),
        }
    }

    pub fn available(&self) -> usize {
        match self {
            Inet::Stream(s) => {
                let st = s.lock();
                match &st.lo {
                    Loop::Connected { end, .. } => end.available(),
                    _ => st.tcp.as_ref().map_or(0, Tcp::available),
                }
            }
            Inet::Dgram(d) => {
                let d = d.lock();
                match d.queue.next_len() {
                    0 => d.udp.next_len(),
                    n => n,
                }
            }
        }
    }

    pub fn take_error(&self) -> Option<Errno> {
        match self {
            Inet::Stream(s) => s.lock().tcp.as_ref().and_then(Tcp::take_error),
            Inet::Dgram(_) => None,
        }
    }

    pub fn is_listening(&self) -> bool {
        matches!(self, Inet::Stream(s) if matches!(s.lock().lo, Loop::Listening(_)))
    }

    pub fn set_nodelay(&self, on: bool) {
        if let Inet::Stream(s) = self {
            if let Some(t) = &s.lock().tcp {
                let _ = t.set_nodelay(on);
            }
        }
    }
}

/// connect() to a local address: hand one end of a fresh stream to the
/// listener registered on the port (waiting while its backlog is full).
fn connect_loopback(s: &Mutex<Stream>, addr: SocketAddrV4, nonblock: bool, timeout: u64, pollee: &Pollee) -> Result<(), Errno> {
    let backlog = LOOP_TCP.lock().get(&addr.port()).and_then(Weak::upgrade).ok_or(Errno::ECONNREFUSED)?;
    let port = {
        let st = s.lock();
        let tcp = st.tcp()?;
        if tcp.local_addr()?.port() == 0 {
            tcp.bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?;
        }
        tcp.local_addr()?.port()
    };
    wait(backlog.room_pollee(), nonblock, timeout, || backlog.room())?;
    let local = SocketAddrV4::new(*addr.ip(), port);
    let (mine, theirs) = local::stream_pair();
    mine.attach(pollee);
    let mut st = s.lock();
    if !matches!(st.lo, Loop::None) {
        return Err(Errno::EISCONN);
    }
    backlog.push((theirs, addr, local))?;
    st.lo = Loop::Connected { end: mine, local, peer: addr };
    Ok(())
}
