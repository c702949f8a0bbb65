//! The socket object behind a socket descriptor (its `file::FileLike` is
//! in [`file`]): one Linux socket of family `AF_INET` (TCP over `netstack`
//! or the loopback path, UDP likewise; see [`inet`]), `AF_INET6` (the same,
//! dual-stack: IPv4 peers appear v4-mapped; IPv6 traffic only over `::1`)
//! or `AF_UNIX` (stream
//! and datagram, named in the filesystem or the abstract namespace; see
//! [`unix`]).
//!
//! Role: Linux semantics with blocking. Each operation tries the
//! non-blocking one and, unless the caller is non-blocking, sleeps on the
//! socket's own pollee (notified by the network stack for its TCP/UDP
//! socket, and by the in-kernel queues it is attached to) or on the pollee
//! of the queue it waits for room in, until it can proceed, a signal
//! arrives (`EINTR`) or the socket's `SO_RCVTIMEO`/`SO_SNDTIMEO` passes
//! (`EAGAIN`).
//! The syscall layer (`abi::linux::socket`) does user memory and paths;
//! this module sees only kernel buffers and resolved addresses.
//! Invariants: no lock is held while sleeping; closing is dropping (the last
//! open file of the socket goes, and with it its port or name).
//! May call: `net` (stack handles, local transports), `file` (pollees, the
//! open-file trait), `sched` (waits), `vfs` inodes (names).

pub mod file;
pub mod inet;
pub mod unix;

use alloc::vec::Vec;
use core::net::{Ipv6Addr, SocketAddrV4, SocketAddrV6};
use errno::Errno;
use linux_abi::structs::{self as abi, SocketAddress};
use spin::Mutex;

use super::Readiness;
use crate::file::Pollee;
use crate::sched::wait::Interrupted;

/// Where bind/connect/sendto point, resolved by the syscall layer.
pub enum Target {
    Inet(SocketAddrV4),
    /// An IPv6 address that is not v4-mapped (those are `Inet`).
    Inet6(SocketAddrV6),
    Unix(unix::UnixAddr),
    /// `AF_UNSPEC` (connect: dissolve a datagram association).
    Unspec,
}

/// What a receive got.
pub struct Received {
    /// Bytes copied into the buffer.
    pub len: usize,
    /// The datagram's full length (more than `len` when truncated).
    pub full: usize,
    pub from: Option<SocketAddress>,
}

/// Per-socket options that only need remembering (and the timeouts).
#[derive(Clone, Copy)]
struct Options {
    reuse_addr: bool,
    reuse_port: bool,
    keep_alive: bool,
    broadcast: bool,
    oob_inline: bool,
    pass_cred: bool,
    no_delay: bool,
    cork: bool,
    rcvbuf: i32,
    sndbuf: i32,
    /// Milliseconds; 0 = wait forever.
    rcv_timeout: u64,
    snd_timeout: u64,
    linger: abi::Linger,
    keep_idle: i32,
    keep_intvl: i32,
    keep_cnt: i32,
    /// IPPROTO_IP options: remembered for getsockopt, no effect on the
    /// traffic (TOS, TTL, PKTINFO, MTU_DISCOVER, RECVERR, FREEBIND).
    ip: [i32; IP_OPTIONS.len()],
    /// IPV6_V6ONLY (AF_INET6; settable until bound).
    v6only: bool,
}

/// The IPPROTO_IP option names kept in `Options::ip`, and their defaults.
const IP_OPTIONS: [(i32, i32); 6] =
    [(abi::IP_TOS, 0), (abi::IP_TTL, 64), (abi::IP_PKTINFO, 0), (abi::IP_MTU_DISCOVER, 0), (abi::IP_RECVERR, 0), (abi::IP_FREEBIND, 0)];

fn ip_slot(name: i32) -> Option<usize> {
    IP_OPTIONS.iter().position(|(n, _)| *n == name)
}

impl Default for Options {
    fn default() -> Options {
        Options {
            reuse_addr: false,
            reuse_port: false,
            keep_alive: false,
            broadcast: false,
            oob_inline: false,
            pass_cred: false,
            no_delay: false,
            cork: false,
            rcvbuf: 212_992,
            sndbuf: 212_992,
            rcv_timeout: 0,
            snd_timeout: 0,
            linger: abi::Linger::default(),
            keep_idle: 7200,
            keep_intvl: 75,
            keep_cnt: 9,
            ip: IP_OPTIONS.map(|(_, v)| v),
            v6only: false,
        }
    }
}

enum Inner {
    Inet(inet::Inet),
    Unix(unix::Unix),
}

pub struct Socket {
    pub domain: u16,
    /// `SOCK_STREAM` or `SOCK_DGRAM`.
    pub ty: u32,
    pub protocol: i32,
    inner: Inner,
    opts: Mutex<Options>,
    /// The creating process (SO_PEERCRED of its peer).
    pub owner_pid: u32,
    /// Notified when the socket's state changes.
    pollee: Pollee,
    _live: crate::live::Live,
}

/// Runs `op` until it stops saying `EAGAIN`: at once if `nonblock`, else
/// sleeping on `pollee` between tries, up to `timeout_ms` (0: no limit).
pub fn wait<R>(pollee: &Pollee, nonblock: bool, timeout_ms: u64, mut op: impl FnMut() -> Result<R, Errno>) -> Result<R, Errno> {
    if nonblock {
        return op();
    }
    let deadline = (timeout_ms != 0)
        .then(|| crate::time::ticks().saturating_add(timeout_ms.saturating_mul(u64::from(crate::time::HZ)) / 1000));
    pollee
        .wait(
            || loop {
                // An attempt polls the stack and may consume the event that
                // would have woken us: retry while the pollee moved meanwhile.
                let before = pollee.seq();
                match op() {
                    Err(Errno::EAGAIN) if pollee.seq() != before => continue,
                    Err(Errno::EAGAIN) => return None,
                    other => return Some(other),
                }
            },
            deadline,
        )
        .map_err(Interrupted::errno)?
}

impl Socket {
    /// socket(2): `ty` is `SOCK_STREAM` or `SOCK_DGRAM` (flags stripped).
    pub fn new(domain: u16, ty: u32, protocol: i32, owner_pid: u32) -> Result<Socket, Errno> {
        let pollee = Pollee::new();
        let inner = match domain {
            abi::AF_INET => Inner::Inet(inet::Inet::new(ty, protocol, &pollee, false)?),
            abi::AF_INET6 => Inner::Inet(inet::Inet::new(ty, protocol, &pollee, true)?),
            abi::AF_UNIX => Inner::Unix(unix::Unix::new(ty, protocol, &pollee)?),
            _ => return Err(Errno::EAFNOSUPPORT),
        };
        Ok(Socket { domain, ty, protocol, inner, opts: Mutex::new(Options::default()), owner_pid, pollee, _live: crate::live::Live::new(crate::live::Kind::Socket) })
    }

    /// socketpair(2): two connected `AF_UNIX` sockets.
    pub fn pair(ty: u32, owner_pid: u32) -> Result<(Socket, Socket), Errno> {
        let (pa, pb) = (Pollee::new(), Pollee::new());
        let (a, b) = unix::Unix::pair(ty, &pa, &pb)?;
        let make = |u, pollee| Socket {
            domain: abi::AF_UNIX,
            ty,
            protocol: 0,
            inner: Inner::Unix(u),
            opts: Mutex::new(Options::default()),
            owner_pid,
            pollee,
            _live: crate::live::Live::new(crate::live::Kind::Socket),
        };
        Ok((make(a, pa), make(b, pb)))
    }

    fn with_inner(&self, inner: Inner, pollee: Pollee) -> Socket {
        Socket {
            domain: self.domain,
            ty: self.ty,
            protocol: self.protocol,
            inner,
            opts: Mutex::new(*self.opts.lock()),
            owner_pid: self.owner_pid,
            pollee,
            _live: crate::live::Live::new(crate::live::Kind::Socket),
        }
    }

    /// What is notified when the socket changes.
    pub fn pollee(&self) -> &Pollee {
        &self.pollee
    }

    pub fn bind(&self, to: Target) -> Result<(), Errno> {
        match (&self.inner, to) {
            (Inner::Inet(_), Target::Inet(_)) if self.domain == abi::AF_INET6 && self.opts.lock().v6only => Err(Errno::EINVAL),
            (Inner::Inet(s), Target::Inet(a)) => s.bind(a),
            (Inner::Inet(s), Target::Inet6(a)) if self.domain == abi::AF_INET6 => {
                if !a.ip().is_unspecified() && !a.ip().is_loopback() {
                    return Err(Errno::EADDRNOTAVAIL);
                }
                s.bind6(*a.ip(), a.port(), self.opts.lock().v6only)
            }
            (Inner::Unix(s), Target::Unix(a)) => s.bind(a, &self.pollee),
            (Inner::Inet(_), _) => Err(Errno::EAFNOSUPPORT),
            (Inner::Unix(_), _) => Err(Errno::EINVAL),
        }
    }

    /// True once bound (or connected): a second bind is `EINVAL`.
    pub fn is_bound(&self) -> bool {
        match &self.inner {
            Inner::Inet(s) => s.local_addr().port() != 0,
            Inner::Unix(s) => s.is_bound(),
        }
    }

    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        let r = match &self.inner {
            Inner::Inet(s) => s.listen(backlog, &self.pollee),
            Inner::Unix(s) => s.listen(backlog),
        };
        self.pollee.notify(0);
        r
    }

    /// accept(2): the new socket and its peer's address.
    pub fn accept(&self, nonblock: bool) -> Result<(Socket, SocketAddress), Errno> {
        let timeout = self.opts.lock().rcv_timeout;
        let pollee = Pollee::new();
        let (inner, peer) = match &self.inner {
            Inner::Inet(s) => {
                let (new, peer) = wait(&self.pollee, nonblock, timeout, || s.accept(&pollee))?;
                (Inner::Inet(new), peer)
            }
            Inner::Unix(s) => {
                let (new, peer) = wait(&self.pollee, nonblock, timeout, || s.accept(&pollee))?;
                (Inner::Unix(new), peer)
            }
        };
        let peer = self.shown(peer);
        Ok((self.with_inner(inner, pollee), peer))
    }

    /// An address as this socket's family shows it: an AF_INET6 socket
    /// sees IPv4 addresses v4-mapped (and 0.0.0.0 as `::`).
    fn shown(&self, a: SocketAddress) -> SocketAddress {
        match a {
            SocketAddress::Inet(ip, port) if self.domain == abi::AF_INET6 => {
                let ip = core::net::Ipv4Addr::from(ip);
                let v6 = if ip.is_unspecified() { Ipv6Addr::UNSPECIFIED } else { ip.to_ipv6_mapped() };
                SocketAddress::Inet6 { addr: v6.octets(), port, flowinfo: 0, scope_id: 0 }
            }
            other => other,
        }
    }

    pub fn connect(&self, to: Target, nonblock: bool) -> Result<(), Errno> {
        let timeout = self.opts.lock().snd_timeout;
        match (&self.inner, to) {
            (Inner::Inet(_), Target::Inet(_)) if self.domain == abi::AF_INET6 && self.opts.lock().v6only => Err(Errno::ENETUNREACH),
            (Inner::Inet(s), Target::Inet(a)) => s.connect(core::net::SocketAddr::V4(a), nonblock, timeout, &self.pollee),
            (Inner::Inet(s), Target::Inet6(a)) if self.domain == abi::AF_INET6 => {
                s.connect(core::net::SocketAddr::V6(loopback6(a)?), nonblock, timeout, &self.pollee)
            }
            (Inner::Inet(s), Target::Unspec) => s.disconnect(),
            (Inner::Unix(s), Target::Unix(a)) => s.connect(a, nonblock, timeout, &self.pollee),
            (Inner::Unix(s), Target::Unspec) => s.disconnect(),
            (Inner::Inet(_), _) => Err(Errno::EAFNOSUPPORT),
            (Inner::Unix(_), _) => Err(Errno::EINVAL),
        }
    }

    /// send/sendto/sendmsg/write: bytes taken. Stream sockets block until
    /// all of `data` is queued (or return what fit when non-blocking);
    /// `EPIPE` is returned as is (the caller raises SIGPIPE).
    pub fn send(&self, data: &[u8], to: Option<Target>, nonblock: bool) -> Result<usize, Errno> {
        let timeout = self.opts.lock().snd_timeout;
        let to = match to {
            Some(Target::Inet6(a)) if self.domain == abi::AF_INET6 => Some(Target::Inet6(loopback6(a)?)),
            Some(Target::Inet6(_)) => return Err(Errno::EAFNOSUPPORT),
            other => other,
        };
        match &self.inner {
            Inner::Inet(s) => s.send(data, to, nonblock, timeout, &self.pollee),
            Inner::Unix(s) => s.send(data, to, nonblock, timeout, &self.pollee),
        }
    }

    /// recv/recvfrom/recvmsg/read: at least one byte (stream), one datagram,
    /// or `Ok(len 0)` at end of stream.
    pub fn recv(&self, buf: &mut [u8], peek: bool, wait_all: bool, nonblock: bool) -> Result<Received, Errno> {
        let timeout = self.opts.lock().rcv_timeout;
        let got = match &self.inner {
            Inner::Inet(s) => wait(&self.pollee, nonblock, timeout, || s.recv(buf, peek))?,
            Inner::Unix(s) => wait(&self.pollee, nonblock, timeout, || s.recv(buf, peek))?,
        };
        let got = Received { from: got.from.map(|a| self.shown(a)), ..got };
        if !wait_all || peek || self.ty != abi::SOCK_STREAM || got.len == 0 || got.len == buf.len() {
            return Ok(got);
        }
        // MSG_WAITALL: keep reading until full, end of stream, or an error.
        let mut done = got.len;
        while done < buf.len() {
            let more = match &self.inner {
                Inner::Inet(s) => wait(&self.pollee, false, timeout, || s.recv(&mut buf[done..], false)),
                Inner::Unix(s) => wait(&self.pollee, false, timeout, || s.recv(&mut buf[done..], false)),
            };
            match more {
                Ok(r) if r.len > 0 => done += r.len,
                _ => break,
            }
        }
        Ok(Received { len: done, full: done, from: got.from })
    }

    pub fn shutdown(&self, how: u32) -> Result<(), Errno> {
        let (read, write) = match how {
            abi::SHUT_RD => (true, false),
            abi::SHUT_WR => (false, true),
            abi::SHUT_RDWR => (true, true),
            _ => return Err(Errno::EINVAL),
        };
        let r = match &self.inner {
            Inner::Inet(s) => s.shutdown(read, write),
            Inner::Unix(s) => s.shutdown(read, write),
        };
        self.pollee.notify(0);
        r
    }

    /// poll/epoll's view; `rdhup`: the peer closed its sending half.
    pub fn readiness(&self) -> (Readiness, bool) {
        match &self.inner {
            Inner::Inet(s) => s.readiness(),
            Inner::Unix(s) => s.readiness(),
        }
    }

    /// Pollees besides its own whose changes affect its readiness (a
    /// connected datagram socket's peer queue, for room).
    pub fn other_pollees(&self) -> Option<Pollee> {
        match &self.inner {
            Inner::Inet(_) => None,
            Inner::Unix(s) => s.peer_room(),
        }
    }

    pub fn local_name(&self) -> SocketAddress {
        match &self.inner {
            Inner::Inet(s) => self.shown(inet::address(s.local_addr())),
            Inner::Unix(s) => s.local_name(),
        }
    }

    pub fn peer_name(&self) -> Result<SocketAddress, Errno> {
        match &self.inner {
            Inner::Inet(s) => s.peer_addr().map(|a| self.shown(inet::address(a))),
            Inner::Unix(s) => s.peer_name(),
        }
    }

    /// FIONREAD: bytes (stream) or the next datagram's size.
    pub fn available(&self) -> usize {
        match &self.inner {
            Inner::Inet(s) => s.available(),
            Inner::Unix(s) => s.available(),
        }
    }

    /// The peer's credentials (SO_PEERCRED): its pid as the caller's PID
    /// namespace names it (0 if it cannot), effective uid and gid when it
    /// connected (or listened, or made the pair); without a peer, pid 0
    /// and the overflow ids 65534, as Linux.
    fn peer_cred(&self) -> abi::Ucred {
        const OVERFLOW_ID: u32 = 65534;
        let peer = match &self.inner {
            Inner::Unix(s) => s.peer_cred(),
            Inner::Inet(_) => None,
        };
        match (peer, crate::task::current_process()) {
            (Some(c), Some(me)) => abi::Ucred { pid: c.pid_in(&me.ns), uid: c.uid, gid: c.gid },
            (Some(c), None) => abi::Ucred { pid: 0, uid: c.uid, gid: c.gid },
            (None, _) => abi::Ucred { pid: 0, uid: OVERFLOW_ID, gid: OVERFLOW_ID },
        }
    }

    /// setsockopt(2) with the option's bytes.
    pub fn set_option(&self, level: i32, name: i32, val: &[u8]) -> Result<(), Errno> {
        let int = || -> Result<i32, Errno> {
            let b: [u8; 4] = val.get(..4).and_then(|b| b.try_into().ok()).ok_or(Errno::EINVAL)?;
            Ok(i32::from_le_bytes(b))
        };
        let timeout = || -> Result<u64, Errno> {
            let tv = abi::Timeval::from_bytes(val.get(..16).ok_or(Errno::EINVAL)?)?;
            if tv.tv_sec < 0 || !(0..1_000_000).contains(&tv.tv_usec) {
                return Err(Errno::EDOM);
            }
            Ok((tv.tv_sec as u64).saturating_mul(1000).saturating_add((tv.tv_usec as u64).div_ceil(1000)))
        };
        let mut o = self.opts.lock();
        match (level, name) {
            (abi::SOL_SOCKET, abi::SO_REUSEADDR) => o.reuse_addr = int()? != 0,
            (abi::SOL_SOCKET, abi::SO_REUSEPORT) => o.reuse_port = int()? != 0,
            (abi::SOL_SOCKET, abi::SO_KEEPALIVE) => o.keep_alive = int()? != 0,
            (abi::SOL_SOCKET, abi::SO_BROADCAST) => o.broadcast = int()? != 0,
            (abi::SOL_SOCKET, abi::SO_OOBINLINE) => o.oob_inline = int()? != 0,
            (abi::SOL_SOCKET, abi::SO_PASSCRED) => o.pass_cred = int()? != 0,
            (abi::SOL_SOCKET, abi::SO_DEBUG | abi::SO_DONTROUTE) => {
                int()?;
            }
            // Linux doubles the value (bookkeeping overhead) and has a floor.
            (abi::SOL_SOCKET, abi::SO_RCVBUF) => o.rcvbuf = int()?.clamp(1152, 1 << 24) * 2,
            (abi::SOL_SOCKET, abi::SO_SNDBUF) => o.sndbuf = int()?.clamp(2304, 1 << 24) * 2,
            (abi::SOL_SOCKET, abi::SO_RCVLOWAT | abi::SO_SNDLOWAT) => {
                int()?;
            }
            (abi::SOL_SOCKET, abi::SO_RCVTIMEO) => o.rcv_timeout = timeout()?,
            (abi::SOL_SOCKET, abi::SO_SNDTIMEO) => o.snd_timeout = timeout()?,
            (abi::SOL_SOCKET, abi::SO_LINGER) => {
                o.linger = abi::Linger::from_bytes(val.get(..8).ok_or(Errno::EINVAL)?)?;
            }
            (abi::IPPROTO_TCP, _) if !self.is_inet() || self.ty != abi::SOCK_STREAM => return Err(Errno::EOPNOTSUPP),
            (abi::IPPROTO_TCP, abi::TCP_NODELAY) => {
                o.no_delay = int()? != 0;
                if let Inner::Inet(s) = &self.inner {
                    s.set_nodelay(o.no_delay);
                }
            }
            (abi::IPPROTO_TCP, abi::TCP_CORK) => o.cork = int()? != 0,
            (abi::IPPROTO_TCP, abi::TCP_KEEPIDLE) => o.keep_idle = int()?.max(1),
            (abi::IPPROTO_TCP, abi::TCP_KEEPINTVL) => o.keep_intvl = int()?.max(1),
            (abi::IPPROTO_TCP, abi::TCP_KEEPCNT) => o.keep_cnt = int()?.max(1),
            (abi::IPPROTO_TCP, abi::TCP_DEFER_ACCEPT | abi::TCP_QUICKACK | abi::TCP_MAXSEG) => {
                int()?;
            }
            (abi::IPPROTO_IPV6, abi::IPV6_V6ONLY) if self.domain == abi::AF_INET6 => {
                let v = int()? != 0;
                drop(o);
                // Only before bind (Linux: EINVAL once the socket has a port).
                if self.is_bound() {
                    return Err(Errno::EINVAL);
                }
                self.opts.lock().v6only = v;
                return Ok(());
            }
            (abi::IPPROTO_IP, n) if self.is_inet() && ip_slot(n).is_some() => {
                let v = if val.len() >= 4 { int()? } else { i32::from(*val.first().ok_or(Errno::EINVAL)?) };
                o.ip[ip_slot(n).unwrap_or(0)] = v;
            }
            // Multicast, IPv6 and the rest: not offered.
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// getsockopt(2): the option's bytes (the caller truncates to optlen).
    pub fn get_option(&self, level: i32, name: i32) -> Result<Vec<u8>, Errno> {
        let o = *self.opts.lock();
        let int = |v: i32| Ok(v.to_le_bytes().to_vec());
        let tv = |ms: u64| Ok(abi::Timeval { tv_sec: (ms / 1000) as i64, tv_usec: ((ms % 1000) * 1000) as i64 }.to_bytes().to_vec());
        match (level, name) {
            (abi::SOL_SOCKET, abi::SO_TYPE) => int(self.ty as i32),
            (abi::SOL_SOCKET, abi::SO_DOMAIN) => int(i32::from(self.domain)),
            (abi::SOL_SOCKET, abi::SO_PROTOCOL) => int(match (self.is_inet(), self.ty) {
                (true, abi::SOCK_STREAM) => abi::IPPROTO_TCP,
                (true, _) => abi::IPPROTO_UDP,
                _ => 0,
            }),
            (abi::SOL_SOCKET, abi::SO_ERROR) => int(self.take_error().map_or(0, |e| e as i32)),
            (abi::SOL_SOCKET, abi::SO_ACCEPTCONN) => int(i32::from(self.is_listening())),
            (abi::SOL_SOCKET, abi::SO_REUSEADDR) => int(i32::from(o.reuse_addr)),
            (abi::SOL_SOCKET, abi::SO_REUSEPORT) => int(i32::from(o.reuse_port)),
            (abi::SOL_SOCKET, abi::SO_KEEPALIVE) => int(i32::from(o.keep_alive)),
            (abi::SOL_SOCKET, abi::SO_BROADCAST) => int(i32::from(o.broadcast)),
            (abi::SOL_SOCKET, abi::SO_OOBINLINE) => int(i32::from(o.oob_inline)),
            (abi::SOL_SOCKET, abi::SO_PASSCRED) => int(i32::from(o.pass_cred)),
            (abi::SOL_SOCKET, abi::SO_DEBUG | abi::SO_DONTROUTE) => int(0),
            (abi::SOL_SOCKET, abi::SO_RCVBUF) => int(o.rcvbuf),
            (abi::SOL_SOCKET, abi::SO_SNDBUF) => int(o.sndbuf),
            (abi::SOL_SOCKET, abi::SO_RCVLOWAT | abi::SO_SNDLOWAT) => int(1),
            (abi::SOL_SOCKET, abi::SO_RCVTIMEO) => tv(o.rcv_timeout),
            (abi::SOL_SOCKET, abi::SO_SNDTIMEO) => tv(o.snd_timeout),
            (abi::SOL_SOCKET, abi::SO_LINGER) => Ok(o.linger.to_bytes().to_vec()),
            (abi::SOL_SOCKET, abi::SO_PEERCRED) if self.domain == abi::AF_UNIX => {
                Ok(self.peer_cred().to_bytes().to_vec())
            }
            (abi::IPPROTO_TCP, _) if !self.is_inet() || self.ty != abi::SOCK_STREAM => Err(Errno::EOPNOTSUPP),
            (abi::IPPROTO_TCP, abi::TCP_NODELAY) => int(i32::from(o.no_delay)),
            (abi::IPPROTO_TCP, abi::TCP_CORK) => int(i32::from(o.cork)),
            (abi::IPPROTO_TCP, abi::TCP_MAXSEG) => int(1460),
            (abi::IPPROTO_TCP, abi::TCP_KEEPIDLE) => int(o.keep_idle),
            (abi::IPPROTO_TCP, abi::TCP_KEEPINTVL) => int(o.keep_intvl),
            (abi::IPPROTO_TCP, abi::TCP_KEEPCNT) => int(o.keep_cnt),
            (abi::IPPROTO_IPV6, abi::IPV6_V6ONLY) if self.domain == abi::AF_INET6 => int(i32::from(o.v6only)),
            (abi::IPPROTO_IP, n) if self.is_inet() => int(o.ip[ip_slot(n).ok_or(Errno::ENOPROTOOPT)?]),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    fn is_inet(&self) -> bool {
        self.domain == abi::AF_INET || self.domain == abi::AF_INET6
    }

    fn take_error(&self) -> Option<Errno> {
        match &self.inner {
            Inner::Inet(s) => s.take_error(),
            Inner::Unix(_) => None,
        }
    }

    fn is_listening(&self) -> bool {
        match &self.inner {
            Inner::Inet(s) => s.is_listening(),
            Inner::Unix(s) => s.is_listening(),
        }
    }

    /// What /proc/<pid>/fd names: `socket:[N]`.
    pub fn id(&self) -> u64 {
        (self as *const Socket as u64 >> 4) & 0xffff_ffff
    }
}

/// Where an AF_INET6 socket's IPv6 connect/send goes: `::` means the
/// loopback (as on Linux); any other address has no route here.
fn loopback6(a: SocketAddrV6) -> Result<SocketAddrV6, Errno> {
    if a.ip().is_unspecified() || a.ip().is_loopback() {
        Ok(SocketAddrV6::new(Ipv6Addr::LOCALHOST, a.port(), 0, 0))
    } else {
        Err(Errno::ENETUNREACH)
    }
}
