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
//!
//! `AF_INET6` sockets are dual-stack views of the same machinery (the
//! stack carries no IPv6 traffic): bound to `::` without `IPV6_V6ONLY`
//! a socket holds its port in the stack (IPv4, shown as v4-mapped
//! addresses) and in [`PORTS6`]; bound to `::1`, or to `::` with
//! `IPV6_V6ONLY`, it holds the port only in [`PORTS6`] and is reached only
//! through the IPv6 loopback tables ([`LOOP6_TCP`], [`LOOP6_UDP`]), so it
//! shares its port number with an IPv4 socket as on Linux. v4-mapped
//! addresses go the IPv4 way.

use alloc::collections::{BTreeMap, BTreeSet};
use core::sync::atomic::{AtomicU16, Ordering};
use alloc::sync::{Arc, Weak};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use errno::Errno;
use linux_abi::structs::{self as abi, SocketAddress};
use spin::Mutex;

use super::{wait, Received, Target};
use crate::file::Pollee;
use crate::net::local::{self, Backlog, DgramQueue, StreamEnd};
use crate::net::{Readiness, Shutdown, Tcp, Udp};

/// A pending loopback connection: the server's end, the address the client
/// connected to, and the client's address.
type Pending = (StreamEnd, SocketAddr, SocketAddr);

/// Loopback TCP listeners by port.
static LOOP_TCP: Mutex<BTreeMap<u16, Weak<Backlog<Pending>>>> = Mutex::new(BTreeMap::new());
/// Loopback UDP receivers by port.
static LOOP_UDP: Mutex<BTreeMap<u16, Weak<DgramQueue>>> = Mutex::new(BTreeMap::new());

/// The ports TCP sockets listen on (every listener registers in
/// [`LOOP_TCP`] or [`LOOP6_TCP`]), ascending. A microVM's monitor forwards them.
pub fn listening_tcp_ports() -> alloc::vec::Vec<u16> {
    let mut ports: BTreeSet<u16> = LOOP_TCP.lock().iter().filter(|(_, b)| b.strong_count() > 0).map(|(&port, _)| port).collect();
    ports.extend(LOOP6_TCP.lock().iter().filter(|(_, b)| b.strong_count() > 0).map(|(&port, _)| port));
    ports.into_iter().collect()
}

/// IPv6 loopback TCP listeners by port.
static LOOP6_TCP: Mutex<BTreeMap<u16, Weak<Backlog<Pending>>>> = Mutex::new(BTreeMap::new());
/// IPv6 loopback UDP receivers by port.
static LOOP6_UDP: Mutex<BTreeMap<u16, Weak<DgramQueue>>> = Mutex::new(BTreeMap::new());
/// The IPv6 ports of AF_INET6 sockets: (UDP?, port).
static PORTS6: Mutex<BTreeSet<(bool, u16)>> = Mutex::new(BTreeSet::new());
/// Where the search for an ephemeral IPv6 port starts (Linux's range).
static NEXT_PORT6: AtomicU16 = AtomicU16::new(EPHEMERAL.start);
const EPHEMERAL: core::ops::Range<u16> = 32768..61000;

pub fn address(a: SocketAddr) -> SocketAddress {
    match a {
        SocketAddr::V4(a) => SocketAddress::Inet(a.ip().octets(), a.port()),
        SocketAddr::V6(a) => SocketAddress::Inet6 { addr: a.ip().octets(), port: a.port(), flowinfo: 0, scope_id: 0 },
    }
}

/// An IPv6 port held by an AF_INET6 socket, released when dropped.
struct Port6 {
    udp: bool,
    port: u16,
}

impl Port6 {
    /// Claims `port` (0: a free ephemeral one); EADDRINUSE if held.
    fn claim(udp: bool, port: u16) -> Result<Port6, Errno> {
        let mut ports = PORTS6.lock();
        let port = if port != 0 {
            port
        } else {
            let span = EPHEMERAL.end - EPHEMERAL.start;
            let first = NEXT_PORT6.load(Ordering::Relaxed);
            let free = (0..span)
                .map(|i| EPHEMERAL.start + (first - EPHEMERAL.start + i) % span)
                .find(|p| !ports.contains(&(udp, *p)))
                .ok_or(Errno::EADDRINUSE)?;
            NEXT_PORT6.store(if free + 1 >= EPHEMERAL.end { EPHEMERAL.start } else { free + 1 }, Ordering::Relaxed);
            free
        };
        if !ports.insert((udp, port)) {
            return Err(Errno::EADDRINUSE);
        }
        Ok(Port6 { udp, port })
    }

    fn taken(udp: bool, port: u16) -> bool {
        PORTS6.lock().contains(&(udp, port))
    }
}

impl Drop for Port6 {
    fn drop(&mut self) {
        PORTS6.lock().remove(&(self.udp, self.port));
    }
}

/// The IPv6 side of an AF_INET6 socket.
#[derive(Default)]
struct Six {
    /// Its IPv6 port, once bound.
    port: Option<Port6>,
    /// Bound to IPv6 only (`::1`, or `::` with IPV6_V6ONLY): the address;
    /// such a socket has no IPv4 port.
    only: Option<Ipv6Addr>,
}

impl Six {
    fn port(&self) -> Option<u16> {
        self.port.as_ref().map(|p| p.port)
    }

    /// Its IPv6-only address and port, if it is bound that way.
    fn only_addr(&self) -> Option<SocketAddr> {
        Some(SocketAddr::V6(SocketAddrV6::new(self.only?, self.port()?, 0, 0)))
    }
}

/// Removes `port`'s entry from a loopback table if it is still `ours`.
fn unregister<T>(table: &Mutex<BTreeMap<u16, Weak<T>>>, port: u16, ours: &Arc<T>) {
    let mut map = table.lock();
    if map.get(&port).is_some_and(|w| w.as_ptr() == Arc::as_ptr(ours)) {
        map.remove(&port);
    }
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
    /// AF_INET6 only.
    six: Option<Six>,
}

enum Loop {
    None,
    Listening(Arc<Backlog<Pending>>),
    Connected { end: StreamEnd, local: SocketAddr, peer: SocketAddr },
}

pub struct Dgram {
    udp: Udp,
    /// Datagrams from loopback senders.
    queue: Arc<DgramQueue>,
    /// The port this socket is registered under in `LOOP_UDP`.
    registered: Option<u16>,
    /// The port it is registered under in `LOOP6_UDP`.
    registered6: Option<u16>,
    peer: Option<SocketAddr>,
    /// AF_INET6 only.
    six: Option<Six>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Loop::Listening(backlog) = &self.lo {
            if let Some(port) = self.tcp.as_ref().and_then(|t| t.local_addr().ok()).map(|a| a.port()) {
                unregister(&LOOP_TCP, port, backlog);
            }
            if let Some(port) = self.six.as_ref().and_then(Six::port) {
                unregister(&LOOP6_TCP, port, backlog);
            }
            backlog.close();
        }
    }
}

impl Drop for Dgram {
    fn drop(&mut self) {
        if let Some(port) = self.registered {
            unregister(&LOOP_UDP, port, &self.queue);
        }
        if let Some(port) = self.registered6 {
            unregister(&LOOP6_UDP, port, &self.queue);
        }
        self.queue.close();
    }
}

fn is_local(ip: Ipv4Addr) -> bool {
    crate::net::is_local_ip(ip)
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

    fn register6(&mut self, port: u16) {
        if self.registered6.is_none() {
            LOOP6_UDP.lock().insert(port, Arc::downgrade(&self.queue));
            self.registered6 = Some(port);
        }
    }

    /// The IPv6 port an AF_INET6 socket sends from over the IPv6 loopback
    /// (claimed now if it has none).
    fn ensure_bound6(&mut self) -> Result<u16, Errno> {
        let six = self.six.as_ref().ok_or(Errno::EAFNOSUPPORT)?;
        if let Some(port) = six.port() {
            self.register6(port);
            return Ok(port);
        }
        // Unbound: bound now as a dual-stack socket on `::` (an ephemeral port on both sides).
        let v4 = self.ensure_bound()?;
        let claimed = Port6::claim(true, v4)?;
        let port = claimed.port;
        if let Some(six) = self.six.as_mut() {
            six.port = Some(claimed);
        }
        self.register6(port);
        Ok(port)
    }

    fn only6(&self) -> bool {
        self.six.as_ref().is_some_and(|x| x.only.is_some())
    }
}

impl Inet {
    /// A socket whose changes are told to `pollee`; `six`: of AF_INET6.
    pub fn new(ty: u32, protocol: i32, pollee: &Pollee, six: bool) -> Result<Inet, Errno> {
        let six = || six.then(Six::default);
        match (ty, protocol) {
            (abi::SOCK_STREAM, 0 | abi::IPPROTO_TCP) => {
                let tcp = Tcp::new()?;
                tcp.watch(pollee);
                Ok(Inet::Stream(Mutex::new(Stream { tcp: Some(tcp), lo: Loop::None, six: six() })))
            }
            (abi::SOCK_DGRAM, 0 | abi::IPPROTO_UDP) => {
                let udp = Udp::new()?;
                udp.watch(pollee);
                Ok(Inet::Dgram(Mutex::new(Dgram {
                    udp,
                    queue: DgramQueue::new(pollee),
                    registered: None,
                    registered6: None,
                    peer: None,
                    six: six(),
                })))
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

    /// An AF_INET6 socket's bind to `::` or `::1` (v4-mapped addresses
    /// bind as IPv4): `::` without `v6only` takes the port on both sides
    /// (EADDRINUSE if either has it), otherwise only the IPv6 port.
    pub fn bind6(&self, ip: Ipv6Addr, port: u16, v6only: bool) -> Result<(), Errno> {
        let only = v6only || !ip.is_unspecified();
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port);
        match self {
            Inet::Stream(s) => {
                let mut st = s.lock();
                let v4 = st.tcp()?.local_addr()?.port();
                let six = st.six.as_ref().ok_or(Errno::EAFNOSUPPORT)?;
                if six.port.is_some() || v4 != 0 {
                    return Err(Errno::EINVAL);
                }
                let claimed = if only {
                    Port6::claim(false, port)?
                } else {
                    if port != 0 && Port6::taken(false, port) {
                        return Err(Errno::EADDRINUSE);
                    }
                    let tcp = st.tcp()?;
                    tcp.bind(any)?;
                    Port6::claim(false, tcp.local_addr()?.port())?
                };
                let six = st.six.get_or_insert_with(Six::default);
                six.port = Some(claimed);
                six.only = only.then_some(ip);
                Ok(())
            }
            Inet::Dgram(d) => {
                let mut d = d.lock();
                let v4 = d.udp.local_addr()?.port();
                let six = d.six.as_ref().ok_or(Errno::EAFNOSUPPORT)?;
                if six.port.is_some() || v4 != 0 {
                    return Err(Errno::EINVAL);
                }
                let claimed = if only {
                    Port6::claim(true, port)?
                } else {
                    if port != 0 && Port6::taken(true, port) {
                        return Err(Errno::EADDRINUSE);
                    }
                    d.udp.bind(any)?;
                    let port = d.udp.local_addr()?.port();
                    d.register(port);
                    Port6::claim(true, port)?
                };
                let port = claimed.port;
                let six = d.six.get_or_insert_with(Six::default);
                six.port = Some(claimed);
                six.only = only.then_some(ip);
                d.register6(port);
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
        let only = s.six.as_ref().is_some_and(|x| x.only.is_some());
        if !only {
            s.tcp()?.listen(backlog)?;
        }
        let max = backlog.clamp(1, 128);
        match &s.lo {
            Loop::Listening(b) => b.set_max(max),
            _ => {
                let b = Backlog::new(max, pollee);
                if !only {
                    let port = s.tcp()?.local_addr()?.port();
                    LOOP_TCP.lock().insert(port, Arc::downgrade(&b));
                    // A dual-stack listener listening unbound took a port now.
                    if let Some(six) = s.six.as_mut().filter(|x| x.port.is_none()) {
                        six.port = Port6::claim(false, port).ok();
                    }
                }
                if let Some(port) = s.six.as_ref().and_then(Six::port) {
                    LOOP6_TCP.lock().insert(port, Arc::downgrade(&b));
                }
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
        let six = || s.six.as_ref().map(|_| Six::default());
        if let Some((end, local, peer)) = backlog.pop() {
            end.attach(pollee);
            let new = Stream { tcp: None, lo: Loop::Connected { end, local, peer }, six: six() };
            return Ok((Inet::Stream(Mutex::new(new)), address(peer)));
        }
        if s.six.as_ref().is_some_and(|x| x.only.is_some()) {
            return Err(Errno::EAGAIN);
        }
        let (tcp, peer) = s.tcp()?.accept()?;
        tcp.watch(pollee);
        Ok((Inet::Stream(Mutex::new(Stream { tcp: Some(tcp), lo: Loop::None, six: six() })), address(SocketAddr::V4(peer))))
    }

    /// connect(2) to an IPv4 address, or (AF_INET6) to the IPv6 loopback.
    pub fn connect(&self, addr: SocketAddr, nonblock: bool, timeout: u64, pollee: &Pollee) -> Result<(), Errno> {
        let addr = match (self, addr) {
            (Inet::Dgram(d), SocketAddr::V6(_)) => {
                let mut d = d.lock();
                d.ensure_bound6()?;
                d.peer = Some(addr);
                return Ok(());
            }
            (Inet::Stream(s), SocketAddr::V6(_)) => {
                if !matches!(s.lock().lo, Loop::None) {
                    return Err(Errno::EISCONN);
                }
                return connect_loopback(s, addr, nonblock, timeout, pollee);
            }
            (_, SocketAddr::V4(a)) => a,
        };
        match self {
            Inet::Dgram(d) => {
                let mut d = d.lock();
                if d.only6() {
                    return Err(Errno::ENETUNREACH);
                }
                d.ensure_bound()?;
                d.udp.connect(addr)?;
                d.peer = Some(SocketAddr::V4(addr));
                Ok(())
            }
            Inet::Stream(s) => {
                let loopback = {
                    let st = s.lock();
                    if !matches!(st.lo, Loop::None) {
                        return Err(Errno::EISCONN);
                    }
                    if st.six.as_ref().is_some_and(|x| x.only.is_some()) {
                        return Err(Errno::ENETUNREACH);
                    }
                    is_local(*addr.ip()) && st.tcp()?.is_fresh()
                };
                if loopback {
                    return connect_loopback(s, SocketAddr::V4(addr), nonblock, timeout, pollee);
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
            Some(Target::Inet(a)) => Some(SocketAddr::V4(a)),
            Some(Target::Inet6(a)) => Some(SocketAddr::V6(a)),
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
                    to.or(d.peer).ok_or(Errno::EDESTADDRREQ)?
                };
                let dest = match dest {
                    SocketAddr::V6(dest) => {
                        let port = d.lock().ensure_bound6()?;
                        let target = LOOP6_UDP.lock().get(&dest.port()).and_then(Weak::upgrade);
                        let Some(q) = target else { return Ok(data.len()) }; // nobody there: dropped
                        let from = address(SocketAddr::V6(SocketAddrV6::new(*dest.ip(), port, 0, 0)));
                        return wait(q.room(), nonblock, timeout, || q.push(data, from.clone()));
                    }
                    SocketAddr::V4(dest) => dest,
                };
                if d.lock().only6() {
                    return Err(Errno::ENETUNREACH);
                }
                if is_local(*dest.ip()) {
                    let port = d.lock().ensure_bound()?;
                    let target = LOOP_UDP.lock().get(&dest.port()).and_then(Weak::upgrade);
                    let Some(q) = target else { return Ok(data.len()) }; // nobody there: dropped
                    let from = address(SocketAddr::V4(SocketAddrV4::new(*dest.ip(), port)));
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
                Ok(Received { len, full: len, from: Some(address(SocketAddr::V4(from))) })
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
                        let only = st.six.as_ref().is_some_and(|x| x.only.is_some());
                        let mut r = st.tcp.as_ref().filter(|_| !only).map(Tcp::readiness).unwrap_or_default();
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

    /// Its address (an AF_INET6 socket's IPv4 side is shown v4-mapped by the caller).
    pub fn local_addr(&self) -> SocketAddr {
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
        match self {
            Inet::Stream(s) => {
                let st = s.lock();
                match &st.lo {
                    Loop::Connected { local, .. } => *local,
                    _ => st.six.as_ref().and_then(Six::only_addr).unwrap_or_else(|| {
                        SocketAddr::V4(st.tcp.as_ref().and_then(|t| t.local_addr().ok()).unwrap_or(any))
                    }),
                }
            }
            Inet::Dgram(d) => {
                let d = d.lock();
                d.six.as_ref().and_then(Six::only_addr).unwrap_or_else(|| SocketAddr::V4(d.udp.local_addr().unwrap_or(any)))
            }
        }
    }

    pub fn peer_addr(&self) -> Result<SocketAddr, Errno> {
        match self {
            Inet::Stream(s) => {
                let st = s.lock();
                match &st.lo {
                    Loop::Connected { peer, .. } => Ok(*peer),
                    _ => st.tcp()?.peer_addr().map(SocketAddr::V4),
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

/// connect() to a local address (IPv4, or the IPv6 loopback): hand one
/// end of a fresh stream to the listener registered on the port (waiting
/// while its backlog is full).
fn connect_loopback(s: &Mutex<Stream>, addr: SocketAddr, nonblock: bool, timeout: u64, pollee: &Pollee) -> Result<(), Errno> {
    let table = if addr.is_ipv6() { &LOOP6_TCP } else { &LOOP_TCP };
    let backlog = table.lock().get(&addr.port()).and_then(Weak::upgrade).ok_or(Errno::ECONNREFUSED)?;
    let port = {
        let mut st = s.lock();
        if addr.is_ipv6() {
            let v4 = st.tcp()?.local_addr()?.port();
            let six = st.six.as_mut().ok_or(Errno::EAFNOSUPPORT)?;
            match six.port() {
                Some(p) => p,
                None => {
                    let claimed = Port6::claim(false, v4)?;
                    let p = claimed.port;
                    six.port = Some(claimed);
                    p
                }
            }
        } else {
            let tcp = st.tcp()?;
            if tcp.local_addr()?.port() == 0 {
                tcp.bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))?;
            }
            tcp.local_addr()?.port()
        }
    };
    wait(backlog.room_pollee(), nonblock, timeout, || backlog.room())?;
    let local = SocketAddr::new(addr.ip(), port);
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
