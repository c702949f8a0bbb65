//! Cyrius TCP/IP: one smoltcp interface over any `phy::Device`, configured by
//! DHCPv4 (or statically), and the socket semantics the Linux socket
//! syscalls need, as non-blocking operations on a [`Stack`].
//!
//! Summary:
//! - [`Stack::new`]`(device, options)`; [`Stack::poll`] moves frames, runs
//!   timers and DHCP, and returns true when some socket's state may have
//!   changed; [`Stack::next_poll_ms`] says when it wants the next poll.
//! - TCP ([`tcp`]): `tcp_open`, `tcp_bind`, `tcp_listen` (a backlog of
//!   listening smoltcp sockets per port), `tcp_accept`, `tcp_connect`
//!   (`EINPROGRESS`, `EALREADY`, then the outcome), `tcp_send`, `tcp_recv`,
//!   `tcp_shutdown`, `tcp_readiness`, `tcp_take_error`, `tcp_close`.
//! - UDP ([`udp`]), DNS A queries ([`dns`]), ICMP echo ([`icmp`]).
//! - Every operation returns at once; "not yet" is `EAGAIN`, `EINPROGRESS`
//!   or `EALREADY`; [`Readiness`] is poll/epoll's view of a socket.
//! - [`Stack::take_changes`] names the sockets whose state may have changed
//!   ([`changes`]: smoltcp's per-socket wakers), so the caller wakes only
//!   their waiters.
//!
//! Invariants: sockets are ids into the stack's tables; an id is valid from
//! its `*_open` (or `tcp_accept`) until its `*_close`, and a stale id is
//! `EBADF`, never a panic. Ports: one bound/listening socket per port and
//! protocol (`EADDRINUSE`), freed when its socket closes (a listener's at
//! once, a connection's when smoltcp is done with it).
//! Time comes from the `clock` in [`Options`] (milliseconds, monotonic).
//! Depends on `smoltcp`, `errno` and `spin` (the wakers' pending set); no
//! other locking (the caller serialises).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod changes;
pub mod dns;
pub mod icmp;
mod intake;
pub mod tcp;
pub mod udp;

use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};
use errno::Errno;
use smoltcp::iface::{Config, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::{dhcpv4, dns as sdns};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Cidr};

pub use changes::{Change, SocketRef};
pub use dns::Query;
pub use icmp::{PingId, Reply};
pub use tcp::{Shutdown, TcpId};
pub use udp::UdpId;

/// The interface's IPv4 configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Config {
    pub address: Ipv4Addr,
    pub prefix_len: u8,
    pub gateway: Option<Ipv4Addr>,
    pub dns: Option<Ipv4Addr>,
}

impl Ipv4Config {
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Cidr::new(self.address, self.prefix_len).netmask()
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Cidr::new(self.address, self.prefix_len).broadcast().unwrap_or(Ipv4Addr::BROADCAST)
    }
}

/// What would not block now (poll/epoll's view of a socket).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Data, a connection to accept, or end-of-file is waiting (POLLIN).
    pub readable: bool,
    /// A send would take at least one byte (POLLOUT).
    pub writable: bool,
    /// Both directions are closed (POLLHUP).
    pub hangup: bool,
    /// An error is pending; `take_error` returns it (POLLERR).
    pub error: bool,
}

/// How to build a [`Stack`].
pub struct Options {
    pub mac: [u8; 6],
    /// Seeds TCP sequence numbers and ephemeral choices; differ per boot.
    pub random_seed: u64,
    /// Milliseconds on a monotonic clock.
    pub clock: fn() -> u64,
    /// `None`: ask DHCP. `Some`: a fixed configuration.
    pub static_config: Option<Ipv4Config>,
}

/// The longest the stack asks to go unpolled.
const MAX_POLL_INTERVAL_MS: u64 = 1000;

pub struct Stack<D: Device> {
    device: D,
    iface: Interface,
    sockets: SocketSet<'static>,
    dhcp: Option<SocketHandle>,
    dns: SocketHandle,
    config: Option<Ipv4Config>,
    clock: fn() -> u64,
    next_poll_ms: u64,
    tcp: tcp::Table,
    udp: udp::Table,
    icmp: icmp::Table,
    /// Sockets whose wakers fired since the last `take_changes`.
    pending: changes::Pending,
    /// The frame being looked at (`intake`), kept for its allocation.
    frame: Vec<u8>,
    /// `frame` holds a frame smoltcp has not taken yet (no room to reply).
    held: bool,
}

fn to_endpoint(addr: SocketAddrV4) -> IpEndpoint {
    IpEndpoint::new(IpAddress::Ipv4(*addr.ip()), addr.port())
}

fn from_endpoint(ep: IpEndpoint) -> SocketAddrV4 {
    let IpAddress::Ipv4(ip) = ep.addr;
    SocketAddrV4::new(ip, ep.port)
}

impl<D: Device> Stack<D> {
    pub fn new(mut device: D, options: Options) -> Stack<D> {
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(options.mac)));
        config.random_seed = options.random_seed;
        let now = Instant::from_millis((options.clock)() as i64);
        let iface = Interface::new(config, &mut device, now);
        let mut sockets = SocketSet::new(Vec::new());
        let dhcp = options.static_config.is_none().then(|| {
            let mut dhcp = dhcpv4::Socket::new();
            let mut retry = dhcpv4::RetryConfig::default();
            retry.discover_timeout = Duration::from_secs(2);
            retry.initial_request_timeout = Duration::from_secs(2);
            dhcp.set_retry_config(retry);
            sockets.add(dhcp)
        });
        let dns = sockets.add(sdns::Socket::new(&[], Vec::new()));
        let mut stack = Stack {
            device,
            iface,
            sockets,
            dhcp,
            dns,
            config: None,
            clock: options.clock,
            next_poll_ms: 0,
            tcp: tcp::Table::default(),
            udp: udp::Table::default(),
            icmp: icmp::Table::default(),
            pending: changes::Pending::default(),
            frame: Vec::new(),
            held: false,
        };
        if let Some(c) = options.static_config {
            stack.configure(Some(c));
        }
        stack
    }

    pub fn device(&self) -> &D {
        &self.device
    }

    pub fn device_mut(&mut self) -> &mut D {
        &mut self.device
    }

    /// The current configuration (`None` until DHCP answered).
    pub fn config(&self) -> Option<Ipv4Config> {
        self.config
    }

    fn now_ms(&self) -> u64 {
        (self.clock)()
    }

    /// True for the interface's own address (traffic to it stays in the
    /// host: the kernel's loopback path).
    pub fn is_own_address(&self, ip: Ipv4Addr) -> bool {
        self.config.map(|c| c.address) == Some(ip)
    }

    /// Replaces DHCP with a fixed configuration from now on (a host tap
    /// network has no DHCP server): the DHCP socket is removed, so a later
    /// lease cannot overwrite it.
    pub fn set_static(&mut self, config: Ipv4Config) {
        if let Some(dhcp) = self.dhcp.take() {
            self.sockets.remove(dhcp);
        }
        self.configure(Some(config));
    }

    /// True while the configuration comes (or will come) from DHCP.
    pub fn uses_dhcp(&self) -> bool {
        self.dhcp.is_some()
    }

    /// One round: frames in and out, timers, DHCP, socket housekeeping. True
    /// if some socket's state may have changed (wake the waiters).
    pub fn poll(&mut self) -> bool {
        let now_ms = self.now_ms();
        let now = Instant::from_millis(now_ms as i64);
        let mut changed = self.ingress_and_egress(now);
        changed |= self.dhcp_update();
        changed |= self.tcp.maintain(&mut self.sockets, now_ms, &self.pending);
        let next = match self.iface.poll_delay(now, &self.sockets) {
            Some(d) => now_ms.saturating_add(d.total_millis()),
            None => u64::MAX,
        };
        // A held frame is retried on the next millisecond, after the device sent some.
        self.next_poll_ms = if self.held { now_ms + 1 } else { next.min(now_ms + MAX_POLL_INTERVAL_MS) };
        changed
    }

    /// smoltcp's `Interface::poll`, one incoming frame at a time: a SYN is
    /// looked at first (`tcp_syn`) and dropped when its listener is full.
    fn ingress_and_egress(&mut self, now: Instant) -> bool {
        let mut changed = false;
        self.iface.poll_maintenance(now);
        let mut frame = core::mem::take(&mut self.frame);
        while core::mem::take(&mut self.held) || intake::take(&mut self.device, now, &mut frame) {
            if let Some(port) = intake::syn_port(&frame) {
                if !self.tcp_syn(port) {
                    continue;
                }
            }
            let mut dev = intake::Intake { dev: &mut self.device, frame: &frame, taken: false };
            if self.iface.poll_ingress_single(now, &mut dev, &mut self.sockets) == PollIngressSingleResult::SocketStateChanged {
                changed = true;
            }
            if !dev.taken {
                // No room to send a reply yet: keep the frame for the next
                // poll (a millisecond away) and let the egress below go.
                self.held = true;
                break;
            }
        }
        self.frame = frame;
        while self.iface.poll_egress(now, &mut self.device, &mut self.sockets) == PollResult::SocketStateChanged {
            changed = true;
        }
        changed
    }

    /// The clock time (ms) by which [`poll`](Self::poll) should run again,
    /// even if no frame arrives.
    pub fn next_poll_ms(&self) -> u64 {
        self.next_poll_ms
    }

    fn dhcp_update(&mut self) -> bool {
        let Some(dhcp) = self.dhcp else { return false };
        let config = match self.sockets.get_mut::<dhcpv4::Socket>(dhcp).poll() {
            None => return false,
            Some(dhcpv4::Event::Configured(c)) => Some(Ipv4Config {
                address: c.address.address(),
                prefix_len: c.address.prefix_len(),
                gateway: c.router,
                dns: c.dns_servers.first().copied(),
            }),
            Some(dhcpv4::Event::Deconfigured) => None,
        };
        self.configure(config);
        true
    }

    /// Applies (or with `None`, removes) the interface's addresses and routes.
    fn configure(&mut self, config: Option<Ipv4Config>) {
        self.iface.update_ip_addrs(|addrs| {
            addrs.clear();
            if let Some(c) = config {
                let _ = addrs.push(IpCidr::Ipv4(Ipv4Cidr::new(c.address, c.prefix_len)));
            }
        });
        match config.and_then(|c| c.gateway) {
            Some(gw) => {
                let _ = self.iface.routes_mut().add_default_ipv4_route(gw);
            }
            None => {
                self.iface.routes_mut().remove_default_ipv4_route();
            }
        }
        let servers: Vec<IpAddress> = config.and_then(|c| c.dns).into_iter().map(IpAddress::Ipv4).collect();
        self.sockets.get_mut::<sdns::Socket>(self.dns).update_servers(&servers);
        self.config = config;
    }

    /// Checks a local address for `bind`: 0.0.0.0, the interface's own, or
    /// loopback (127/8: only the kernel's loopback path reaches it, but the
    /// port is claimed here all the same).
    fn check_local(&self, ip: Ipv4Addr) -> Result<(), Errno> {
        if ip.is_unspecified() || ip.is_loopback() || self.is_own_address(ip) {
            Ok(())
        } else {
            Err(Errno::EADDRNOTAVAIL)
        }
    }
}

/// First port handed out for port 0 (Linux's default ip_local_port_range
/// starts at 32768; IANA's dynamic range at 49152).
const EPHEMERAL_FIRST: u16 = 49152;

/// Bound ports of one protocol, and the ephemeral cursor.
#[derive(Default)]
struct Ports {
    used: alloc::collections::BTreeSet<u16>,
    next: u16,
}

impl Ports {
    /// Claims `port`, or a free ephemeral port for 0.
    fn claim(&mut self, port: u16) -> Result<u16, Errno> {
        if port != 0 {
            return if self.used.insert(port) { Ok(port) } else { Err(Errno::EADDRINUSE) };
        }
        let span = u32::from(u16::MAX - EPHEMERAL_FIRST) + 1;
        for i in 0..span {
            let offset = (u32::from(self.next) + i) % span;
            let candidate = EPHEMERAL_FIRST + offset as u16;
            if self.used.insert(candidate) {
                self.next = ((offset + 1) % span) as u16;
                return Ok(candidate);
            }
        }
        Err(Errno::EADDRNOTAVAIL)
    }

    fn release(&mut self, port: u16) {
        self.used.remove(&port);
    }
}
