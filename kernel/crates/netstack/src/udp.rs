//! UDP sockets with Linux semantics, non-blocking.
//!
//! A [`UdpId`] is one datagram socket: bound on first use if `udp_bind` was
//! not called, optionally connected to a default peer (then datagrams from
//! other peers are dropped, as Linux does). A datagram longer than the
//! caller's buffer is truncated. Calls never wait: `EAGAIN` when nothing is
//! queued or the send buffer is full.
//! Ports: a socket owns its port (`EADDRINUSE` for a second one) until closed.

use alloc::collections::BTreeMap;
use alloc::vec;
use core::net::{Ipv4Addr, SocketAddrV4};
use errno::Errno;
use smoltcp::iface::SocketHandle;
use smoltcp::phy::Device;
use smoltcp::socket::udp::{PacketBuffer, PacketMetadata, SendError, Socket};
use smoltcp::wire::IpListenEndpoint;

use crate::changes::{SocketRef, Wakers};
use crate::{from_endpoint, to_endpoint, Ports, Readiness, Stack};

/// Bytes of datagrams queued per direction.
pub const BUFFER_SIZE: usize = 64 * 1024;
/// Datagrams queued per direction.
const PACKETS: usize = 64;

/// A UDP socket in a [`Stack`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UdpId(u32);

struct Endpoint {
    handle: SocketHandle,
    local: Option<SocketAddrV4>,
    peer: Option<SocketAddrV4>,
    wakers: Wakers,
}

#[derive(Default)]
pub(crate) struct Table {
    endpoints: BTreeMap<u32, Endpoint>,
    ports: Ports,
    next_id: u32,
}

fn buffer() -> PacketBuffer<'static> {
    PacketBuffer::new(vec![PacketMetadata::EMPTY; PACKETS], vec![0u8; BUFFER_SIZE])
}

fn any_port() -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)
}

impl<D: Device> Stack<D> {
    fn udp_get(&self, id: UdpId) -> Result<&Endpoint, Errno> {
        self.udp.endpoints.get(&id.0).ok_or(Errno::EBADF)
    }

    /// A fresh socket, like `socket(AF_INET, SOCK_DGRAM, 0)`.
    pub fn udp_open(&mut self) -> UdpId {
        let handle = self.sockets.add(Socket::new(buffer(), buffer()));
        let t = &mut self.udp;
        t.next_id = t.next_id.wrapping_add(1);
        while t.endpoints.contains_key(&t.next_id) {
            t.next_id = t.next_id.wrapping_add(1);
        }
        let id = UdpId(t.next_id);
        let wakers = Wakers::new(SocketRef::Udp(id), &self.pending);
        t.endpoints.insert(t.next_id, Endpoint { handle, local: None, peer: None, wakers });
        self.udp_arm(id);
        id
    }

    /// Puts `id`'s wakers on its smoltcp socket.
    pub(crate) fn udp_arm(&mut self, id: UdpId) {
        let Some(ep) = self.udp.endpoints.get(&id.0) else { return };
        let socket = self.sockets.get_mut::<Socket>(ep.handle);
        socket.register_recv_waker(&ep.wakers.recv);
        socket.register_send_waker(&ep.wakers.send);
    }

    /// `bind`: the address must be 0.0.0.0 or the interface's; port 0 picks one.
    pub fn udp_bind(&mut self, id: UdpId, addr: SocketAddrV4) -> Result<(), Errno> {
        self.check_local(*addr.ip())?;
        let ep = self.udp_get(id)?;
        if ep.local.is_some() {
            return Err(Errno::EINVAL);
        }
        let handle = ep.handle;
        let port = self.udp.ports.claim(addr.port())?;
        let endpoint = IpListenEndpoint { addr: (!addr.ip().is_unspecified()).then(|| (*addr.ip()).into()), port };
        if self.sockets.get_mut::<Socket>(handle).bind(endpoint).is_err() {
            self.udp.ports.release(port);
            return Err(Errno::EINVAL);
        }
        if let Some(ep) = self.udp.endpoints.get_mut(&id.0) {
            ep.local = Some(SocketAddrV4::new(*addr.ip(), port));
        }
        Ok(())
    }

    /// `connect`: sets the default destination and the only accepted source.
    pub fn udp_connect(&mut self, id: UdpId, peer: SocketAddrV4) -> Result<(), Errno> {
        if peer.port() == 0 || peer.ip().is_unspecified() {
            return Err(Errno::EINVAL);
        }
        if self.udp_get(id)?.local.is_none() {
            self.udp_bind(id, any_port())?;
        }
        if let Some(ep) = self.udp.endpoints.get_mut(&id.0) {
            ep.peer = Some(peer);
        }
        Ok(())
    }

    /// `connect(AF_UNSPEC)`: forgets the default peer (the port stays bound).
    pub fn udp_disconnect(&mut self, id: UdpId) -> Result<(), Errno> {
        let ep = self.udp.endpoints.get_mut(&id.0).ok_or(Errno::EBADF)?;
        ep.peer = None;
        Ok(())
    }

    /// `sendto` (or `send` with `to == None` on a connected socket): the whole
    /// datagram is queued, or `EAGAIN` if it does not fit now.
    pub fn udp_send_to(&mut self, id: UdpId, data: &[u8], to: Option<SocketAddrV4>) -> Result<usize, Errno> {
        let ep = self.udp_get(id)?;
        let dest = to.or(ep.peer).ok_or(Errno::EDESTADDRREQ)?;
        if dest.port() == 0 || dest.ip().is_unspecified() {
            return Err(Errno::EINVAL);
        }
        if self.config.is_none() {
            return Err(Errno::ENETUNREACH);
        }
        if data.len() > BUFFER_SIZE {
            return Err(Errno::EMSGSIZE);
        }
        if ep.local.is_none() {
            self.udp_bind(id, any_port())?;
        }
        let handle = self.udp_get(id)?.handle;
        match self.sockets.get_mut::<Socket>(handle).send_slice(data, to_endpoint(dest)) {
            Ok(()) => Ok(data.len()),
            Err(SendError::BufferFull) => Err(Errno::EAGAIN),
            Err(SendError::Unaddressable) => Err(Errno::EINVAL),
        }
    }

    /// `recvfrom`: one datagram (truncated to `buf`) and its sender, or `EAGAIN`.
    pub fn udp_recv_from(&mut self, id: UdpId, buf: &mut [u8]) -> Result<(usize, SocketAddrV4), Errno> {
        let ep = self.udp_get(id)?;
        let peer = ep.peer;
        let socket = self.sockets.get_mut::<Socket>(ep.handle);
        loop {
            // Not `recv_slice`: it drops a datagram longer than `buf`, where
            // Linux hands over the first `buf.len()` bytes.
            let (payload, meta) = socket.recv().map_err(|_| Errno::EAGAIN)?;
            let from = from_endpoint(meta.endpoint);
            if peer.is_none_or(|p| p == from) {
                let n = payload.len().min(buf.len());
                buf[..n].copy_from_slice(&payload[..n]);
                return Ok((n, from));
            }
        }
    }

    /// Length of the next queued datagram (0 if none): FIONREAD.
    pub fn udp_next_len(&mut self, id: UdpId) -> usize {
        let Ok(ep) = self.udp_get(id) else { return 0 };
        let handle = ep.handle;
        self.sockets.get_mut::<Socket>(handle).peek().map_or(0, |(payload, _)| payload.len())
    }

    pub fn udp_readiness(&self, id: UdpId) -> Readiness {
        let Ok(ep) = self.udp_get(id) else { return Readiness { hangup: true, error: true, ..Readiness::default() } };
        let socket = self.sockets.get::<Socket>(ep.handle);
        Readiness { readable: socket.can_recv(), writable: socket.can_send(), ..Readiness::default() }
    }

    /// `getsockname`: 0.0.0.0:0 when unbound.
    pub fn udp_local_addr(&self, id: UdpId) -> Result<SocketAddrV4, Errno> {
        Ok(self.udp_get(id)?.local.unwrap_or(any_port()))
    }

    /// `getpeername`.
    pub fn udp_peer_addr(&self, id: UdpId) -> Result<SocketAddrV4, Errno> {
        self.udp_get(id)?.peer.ok_or(Errno::ENOTCONN)
    }

    /// `close`: frees the socket and its port.
    pub fn udp_close(&mut self, id: UdpId) {
        if let Some(ep) = self.udp.endpoints.remove(&id.0) {
            if let Some(local) = ep.local {
                self.udp.ports.release(local.port());
            }
            self.sockets.remove(ep.handle);
        }
    }
}
