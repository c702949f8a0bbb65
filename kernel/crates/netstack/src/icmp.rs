//! ICMP echo from the kernel (`ping`): an ICMP socket bound to one
//! identifier; each request carries its send time, so a reply gives its
//! round trip. Non-blocking: `icmp_recv_echo` says `EAGAIN` until a reply.
//! (Answering other hosts' echo requests is smoltcp's own job.)

use alloc::collections::BTreeMap;
use alloc::vec;
use core::net::Ipv4Addr;
use errno::Errno;
use smoltcp::iface::SocketHandle;
use smoltcp::phy::{ChecksumCapabilities, Device};
use smoltcp::socket::icmp::{Endpoint, PacketBuffer, PacketMetadata, Socket};
use smoltcp::wire::{Icmpv4Packet, Icmpv4Repr, IpAddress};

use crate::Stack;

/// Payload bytes per request (Linux ping's default).
pub const PAYLOAD: usize = 56;

/// An echo socket in a [`Stack`] (its value is the ICMP identifier).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PingId(u16);

/// One echo reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub from: Ipv4Addr,
    pub seq: u16,
    /// ICMP message length (header + payload), as ping prints it.
    pub bytes: usize,
    pub rtt_ms: u64,
}

#[derive(Default)]
pub(crate) struct Table {
    sockets: BTreeMap<u16, SocketHandle>,
}

impl<D: Device> Stack<D> {
    /// An echo socket; `ident_hint` (say, a timestamp) picks its identifier.
    pub fn icmp_open(&mut self, ident_hint: u16) -> Result<PingId, Errno> {
        let mut ident = ident_hint;
        while self.icmp.sockets.contains_key(&ident) {
            ident = ident.wrapping_add(1);
        }
        let buffer = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 8], vec![0u8; 2048]);
        let mut socket = Socket::new(buffer(), buffer());
        socket.bind(Endpoint::Ident(ident)).map_err(|_| Errno::EINVAL)?;
        self.icmp.sockets.insert(ident, self.sockets.add(socket));
        Ok(PingId(ident))
    }

    /// Queues echo request `seq` to `to`.
    pub fn icmp_send_echo(&mut self, id: PingId, to: Ipv4Addr, seq: u16) -> Result<(), Errno> {
        let handle = *self.icmp.sockets.get(&id.0).ok_or(Errno::EBADF)?;
        if self.config.is_none() {
            return Err(Errno::ENETUNREACH);
        }
        let mut data = [0u8; PAYLOAD];
        data[..8].copy_from_slice(&self.now_ms().to_le_bytes());
        for (i, b) in data.iter_mut().enumerate().skip(8) {
            *b = i as u8;
        }
        let repr = Icmpv4Repr::EchoRequest { ident: id.0, seq_no: seq, data: &data };
        let socket = self.sockets.get_mut::<Socket>(handle);
        let buf = socket.send(repr.buffer_len(), IpAddress::Ipv4(to)).map_err(|_| Errno::EAGAIN)?;
        repr.emit(&mut Icmpv4Packet::new_unchecked(buf), &ChecksumCapabilities::default());
        Ok(())
    }

    /// The next echo reply for this socket, or `EAGAIN`.
    pub fn icmp_recv_echo(&mut self, id: PingId) -> Result<Reply, Errno> {
        let handle = *self.icmp.sockets.get(&id.0).ok_or(Errno::EBADF)?;
        let now = self.now_ms();
        let socket = self.sockets.get_mut::<Socket>(handle);
        loop {
            let (packet, from) = socket.recv().map_err(|_| Errno::EAGAIN)?;
            let IpAddress::Ipv4(from) = from;
            let Ok(packet) = Icmpv4Packet::new_checked(packet) else { continue };
            let Ok(repr) = Icmpv4Repr::parse(&packet, &ChecksumCapabilities::default()) else { continue };
            if let Icmpv4Repr::EchoReply { ident, seq_no, data } = repr {
                if ident != id.0 || data.len() < 8 {
                    continue;
                }
                let mut sent = [0u8; 8];
                sent.copy_from_slice(&data[..8]);
                let rtt_ms = now.saturating_sub(u64::from_le_bytes(sent));
                return Ok(Reply { from, seq: seq_no, bytes: repr.buffer_len(), rtt_ms });
            }
        }
    }

    pub fn icmp_close(&mut self, id: PingId) {
        if let Some(handle) = self.icmp.sockets.remove(&id.0) {
            self.sockets.remove(handle);
        }
    }
}
