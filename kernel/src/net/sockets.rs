//! Kernel socket handles: thin, owning wrappers over `netstack` ids. Each
//! call locks the stack, does one non-blocking operation, and polls; dropping
//! a handle closes the socket (a TCP connection finishes its goodbye in the
//! background). The Linux socket syscalls keep these in their file objects.

use core::net::{Ipv4Addr, SocketAddrV4};
use errno::Errno;
use netstack::{PingId, Readiness, Reply, Shutdown, SocketRef, TcpId, UdpId};

use super::{peek, with};
use crate::file::Pollee;

/// A TCP socket (`socket(AF_INET, SOCK_STREAM)`); see `netstack::tcp`.
#[derive(Debug)]
pub struct Tcp(TcpId);

impl Tcp {
    pub fn new() -> Result<Tcp, Errno> {
        with(|s| s.tcp_open()).map(Tcp)
    }

    /// The socket's changes are told to `pollee` until it closes.
    pub fn watch(&self, pollee: &Pollee) {
        super::watch(SocketRef::Tcp(self.0), pollee);
    }

    pub fn bind(&self, addr: SocketAddrV4) -> Result<(), Errno> {
        with(|s| s.tcp_bind(self.0, addr))?
    }

    /// Starts listening; `backlog` is capped at `netstack::tcp::MAX_BACKLOG`.
    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        with(|s| s.tcp_listen(self.0, backlog))?
    }

    /// An established connection and its peer, or `EAGAIN`.
    pub fn accept(&self) -> Result<(Tcp, SocketAddrV4), Errno> {
        let (id, peer) = with(|s| s.tcp_accept(self.0))??;
        Ok((Tcp(id), peer))
    }

    /// `EINPROGRESS`, then `EALREADY` while connecting, then `Ok` (or the error).
    pub fn connect(&self, addr: SocketAddrV4) -> Result<(), Errno> {
        with(|s| s.tcp_connect(self.0, addr))?
    }

    pub fn send(&self, data: &[u8]) -> Result<usize, Errno> {
        with(|s| s.tcp_send(self.0, data))?
    }

    /// `Ok(0)` at end of stream; `peek` leaves the bytes queued.
    /// The stack is polled only when the read opened the window enough to
    /// announce (`netstack::tcp::WINDOW_ANNOUNCE`); otherwise the `net`
    /// thread's next poll carries it.
    pub fn recv(&self, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        super::with_poll_if(|s| s.tcp_recv_announcing(self.0, buf, peek))?
    }

    pub fn shutdown(&self, how: Shutdown) -> Result<(), Errno> {
        with(|s| s.tcp_shutdown(self.0, how))?
    }

    pub fn readiness(&self) -> Readiness {
        peek(|s| s.tcp_readiness(self.0)).unwrap_or(Readiness { hangup: true, error: true, ..Readiness::default() })
    }

    /// Bytes waiting to be read (FIONREAD).
    pub fn available(&self) -> usize {
        peek(|s| s.tcp_available(self.0)).unwrap_or(0)
    }

    /// Neither listening nor connected.
    pub fn is_fresh(&self) -> bool {
        peek(|s| s.tcp_is_fresh(self.0)).unwrap_or(false)
    }

    /// `SO_ERROR`.
    pub fn take_error(&self) -> Option<Errno> {
        with(|s| s.tcp_take_error(self.0)).ok().flatten()
    }

    pub fn local_addr(&self) -> Result<SocketAddrV4, Errno> {
        peek(|s| s.tcp_local_addr(self.0))?
    }

    pub fn peer_addr(&self) -> Result<SocketAddrV4, Errno> {
        peek(|s| s.tcp_peer_addr(self.0))?
    }

    pub fn set_nodelay(&self, nodelay: bool) -> Result<(), Errno> {
        with(|s| s.tcp_set_nodelay(self.0, nodelay))?
    }
}

impl Drop for Tcp {
    fn drop(&mut self) {
        super::unwatch(SocketRef::Tcp(self.0));
        let _ = with(|s| s.tcp_close(self.0));
    }
}

/// A UDP socket (`socket(AF_INET, SOCK_DGRAM)`); see `netstack::udp`.
#[derive(Debug)]
pub struct Udp(UdpId);

impl Udp {
    pub fn new() -> Result<Udp, Errno> {
        with(|s| s.udp_open()).map(Udp)
    }

    /// The socket's changes are told to `pollee` until it closes.
    pub fn watch(&self, pollee: &Pollee) {
        super::watch(SocketRef::Udp(self.0), pollee);
    }

    pub fn bind(&self, addr: SocketAddrV4) -> Result<(), Errno> {
        with(|s| s.udp_bind(self.0, addr))?
    }

    pub fn connect(&self, peer: SocketAddrV4) -> Result<(), Errno> {
        with(|s| s.udp_connect(self.0, peer))?
    }

    pub fn disconnect(&self) -> Result<(), Errno> {
        with(|s| s.udp_disconnect(self.0))?
    }

    /// `to == None` sends to the connected peer.
    pub fn send_to(&self, data: &[u8], to: Option<SocketAddrV4>) -> Result<usize, Errno> {
        with(|s| s.udp_send_to(self.0, data, to))?
    }

    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddrV4), Errno> {
        with(|s| s.udp_recv_from(self.0, buf))?
    }

    /// Length of the next datagram (FIONREAD).
    pub fn next_len(&self) -> usize {
        peek(|s| s.udp_next_len(self.0)).unwrap_or(0)
    }

    pub fn readiness(&self) -> Readiness {
        peek(|s| s.udp_readiness(self.0)).unwrap_or(Readiness { hangup: true, error: true, ..Readiness::default() })
    }

    pub fn local_addr(&self) -> Result<SocketAddrV4, Errno> {
        peek(|s| s.udp_local_addr(self.0))?
    }
}

impl Drop for Udp {
    fn drop(&mut self) {
        super::unwatch(SocketRef::Udp(self.0));
        let _ = with(|s| s.udp_close(self.0));
    }
}

/// A DNS lookup (A record) in flight; dropping it cancels it.
pub struct Query(Option<netstack::Query>);

impl Query {
    /// Dotted addresses resolve at once; names ask the DHCP-given server.
    pub fn start(name: &str) -> Result<Query, Errno> {
        with(|s| s.dns_start(name))?.map(|q| Query(Some(q)))
    }

    /// The address, `EAGAIN` while waiting, `EHOSTUNREACH` if it does not resolve.
    pub fn poll(&mut self) -> Result<Ipv4Addr, Errno> {
        let q = self.0.as_mut().ok_or(Errno::EINVAL)?;
        with(|s| s.dns_result(q))?
    }
}

impl Drop for Query {
    fn drop(&mut self) {
        if let Some(q) = self.0.take() {
            let _ = with(|s| s.dns_cancel(q));
        }
    }
}

/// ICMP echo requests and their replies (`ping`).
pub struct Pinger(PingId);

impl Pinger {
    pub fn new() -> Result<Pinger, Errno> {
        let hint = crate::arch::cpu::rdtsc() as u16;
        with(|s| s.icmp_open(hint))?.map(Pinger)
    }

    pub fn send(&self, to: Ipv4Addr, seq: u16) -> Result<(), Errno> {
        with(|s| s.icmp_send_echo(self.0, to, seq))?
    }

    /// The next reply, or `EAGAIN`.
    pub fn recv(&self) -> Result<Reply, Errno> {
        with(|s| s.icmp_recv_echo(self.0))?
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        let _ = with(|s| s.icmp_close(self.0));
    }
}
