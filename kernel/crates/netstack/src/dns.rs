//! Name resolution: A records through smoltcp's DNS client, asking the
//! server the configuration names (QEMU's 10.0.2.3 over DHCP). Non-blocking:
//! `dns_result` says `EAGAIN` until the answer (or the client's own retries
//! and timeout) is in. Dotted IPv4 literals resolve at once, offline.

use core::net::Ipv4Addr;
use errno::Errno;
use smoltcp::phy::Device;
use smoltcp::socket::dns::{GetQueryResultError, QueryHandle, Socket, StartQueryError};
use smoltcp::wire::{DnsQueryType, IpAddress};

use crate::Stack;

/// A name being resolved; hand it to `dns_result` until that stops saying
/// `EAGAIN`, or to `dns_cancel`.
pub struct Query {
    state: State,
}

enum State {
    Literal(Ipv4Addr),
    Pending(QueryHandle),
    Done,
}

impl<D: Device> Stack<D> {
    /// Starts resolving `name` (`ENETUNREACH` while no DNS server is known).
    pub fn dns_start(&mut self, name: &str) -> Result<Query, Errno> {
        if let Ok(ip) = name.parse::<Ipv4Addr>() {
            return Ok(Query { state: State::Literal(ip) });
        }
        if self.config.and_then(|c| c.dns).is_none() {
            return Err(Errno::ENETUNREACH);
        }
        let socket = self.sockets.get_mut::<Socket>(self.dns);
        let handle = socket.start_query(self.iface.context(), name, DnsQueryType::A).map_err(|e| match e {
            StartQueryError::NoFreeSlot => Errno::EAGAIN,
            StartQueryError::InvalidName => Errno::EINVAL,
            StartQueryError::NameTooLong => Errno::ENAMETOOLONG,
        })?;
        Ok(Query { state: State::Pending(handle) })
    }

    /// The address; `EAGAIN` while waiting; `EHOSTUNREACH` if the name does
    /// not resolve (no such name, no answer, no A record).
    pub fn dns_result(&mut self, query: &mut Query) -> Result<Ipv4Addr, Errno> {
        let handle = match query.state {
            State::Literal(ip) => return Ok(ip),
            State::Pending(h) => h,
            State::Done => return Err(Errno::EINVAL),
        };
        match self.sockets.get_mut::<Socket>(self.dns).get_query_result(handle) {
            Err(GetQueryResultError::Pending) => Err(Errno::EAGAIN),
            Err(GetQueryResultError::Failed) => {
                query.state = State::Done;
                Err(Errno::EHOSTUNREACH)
            }
            Ok(addrs) => {
                query.state = State::Done;
                addrs
                    .iter()
                    .map(|a| {
                        let IpAddress::Ipv4(ip) = *a;
                        ip
                    })
                    .next()
                    .ok_or(Errno::EHOSTUNREACH)
            }
        }
    }

    /// Gives up on a query (harmless once it finished).
    pub fn dns_cancel(&mut self, query: Query) {
        if let State::Pending(handle) = query.state {
            self.sockets.get_mut::<Socket>(self.dns).cancel_query(handle);
        }
    }
}
