//! Two stacks joined by an in-memory Ethernet wire: a "client" at 10.0.0.1
//! and a "server" at 10.0.0.2, driven by polling both with a fake clock.
//! Checks the Linux socket semantics the syscalls will rely on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::rc::Rc;

use errno::Errno;
use netstack::{Ipv4Config, Options, Shutdown, SocketRef, Stack, TcpId};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

type Queue = Rc<RefCell<VecDeque<Vec<u8>>>>;

/// One end of the wire: frames it sends land in the other end's inbox.
struct Wire {
    inbox: Queue,
    outbox: Queue,
}

struct Rx(Vec<u8>);
struct Tx(Queue);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0u8; len];
        let r = f(&mut frame);
        self.0.borrow_mut().push_back(frame);
        r
    }
}

impl phy::Device for Wire {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx)> {
        let frame = self.inbox.borrow_mut().pop_front()?;
        Some((Rx(frame), Tx(self.outbox.clone())))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx> {
        Some(Tx(self.outbox.clone()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

thread_local! {
    static NOW: Cell<u64> = const { Cell::new(1) };
}

fn clock() -> u64 {
    NOW.with(Cell::get)
}

fn advance(ms: u64) {
    NOW.with(|n| n.set(n.get() + ms));
}

const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

struct Net {
    client: Stack<Wire>,
    server: Stack<Wire>,
}

fn stack(wire: Wire, last: u8, ip: Ipv4Addr) -> Stack<Wire> {
    let config = Ipv4Config { address: ip, prefix_len: 24, gateway: None, dns: None };
    let options = Options { mac: [2, 0, 0, 0, 0, last], random_seed: u64::from(last), clock, static_config: Some(config) };
    Stack::new(wire, options)
}

fn net() -> Net {
    let a: Queue = Rc::default();
    let b: Queue = Rc::default();
    Net {
        client: stack(Wire { inbox: a.clone(), outbox: b.clone() }, 1, CLIENT),
        server: stack(Wire { inbox: b, outbox: a }, 2, SERVER),
    }
}

impl Net {
    /// Lets frames fly for `ms` milliseconds of fake time.
    fn run(&mut self, ms: u64) {
        for _ in 0..ms {
            self.client.poll();
            self.server.poll();
            self.client.poll();
            advance(1);
        }
    }

    /// A connected pair: (client socket, server's accepted socket).
    fn connected(&mut self, port: u16) -> (TcpId, TcpId, TcpId) {
        let listener = self.server.tcp_open();
        self.server.tcp_bind(listener, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).unwrap();
        self.server.tcp_listen(listener, 4).unwrap();
        let c = self.client.tcp_open();
        assert_eq!(self.client.tcp_connect(c, SocketAddrV4::new(SERVER, port)), Err(Errno::EINPROGRESS));
        self.run(20);
        assert_eq!(self.client.tcp_connect(c, SocketAddrV4::new(SERVER, port)), Ok(()));
        let (s, peer) = self.server.tcp_accept(listener).unwrap();
        assert_eq!(*peer.ip(), CLIENT);
        (c, s, listener)
    }
}

#[test]
fn connect_accept_exchange_and_end_of_stream() {
    let mut n = net();
    let listener = n.server.tcp_open();
    n.server.tcp_bind(listener, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80)).unwrap();
    n.server.tcp_listen(listener, 4).unwrap();
    assert_eq!(n.server.tcp_accept(listener), Err(Errno::EAGAIN));
    assert!(!n.server.tcp_readiness(listener).readable);

    let c = n.client.tcp_open();
    let to = SocketAddrV4::new(SERVER, 80);
    assert_eq!(n.client.tcp_connect(c, to), Err(Errno::EINPROGRESS));
    assert_eq!(n.client.tcp_connect(c, to), Err(Errno::EALREADY));
    assert!(!n.client.tcp_readiness(c).writable, "not writable while connecting");
    assert_eq!(n.client.tcp_send(c, b"early"), Err(Errno::EAGAIN));
    n.run(20);
    assert!(n.client.tcp_readiness(c).writable);
    assert_eq!(n.client.tcp_connect(c, to), Ok(()));
    assert_eq!(n.client.tcp_connect(c, to), Err(Errno::EISCONN));

    assert!(n.server.tcp_readiness(listener).readable);
    let (s, peer) = n.server.tcp_accept(listener).unwrap();
    let local = n.client.tcp_local_addr(c).unwrap();
    assert_eq!(peer, local);
    assert!(local.port() >= 49152, "ephemeral port {local}");
    assert_eq!(n.server.tcp_peer_addr(s), Ok(local));
    assert_eq!(n.server.tcp_local_addr(s).unwrap(), SocketAddrV4::new(SERVER, 80));
    assert!(!n.server.tcp_readiness(listener).readable);

    let mut buf = [0u8; 64];
    assert_eq!(n.server.tcp_recv(s, &mut buf, false), Err(Errno::EAGAIN));
    assert_eq!(n.client.tcp_send(c, b"ping"), Ok(4));
    n.run(20);
    assert!(n.server.tcp_readiness(s).readable);
    assert_eq!(n.server.tcp_recv(s, &mut buf, true), Ok(4), "peek");
    assert_eq!(n.server.tcp_recv(s, &mut buf, false), Ok(4));
    assert_eq!(&buf[..4], b"ping");
    assert_eq!(n.server.tcp_send(s, b"pong"), Ok(4));
    n.run(20);
    assert_eq!(n.client.tcp_recv(c, &mut buf, false), Ok(4));
    assert_eq!(&buf[..4], b"pong");

    // Half close: the server sees end-of-stream but can still answer.
    n.client.tcp_shutdown(c, Shutdown::Write).unwrap();
    assert_eq!(n.client.tcp_send(c, b"x"), Err(Errno::EPIPE));
    n.run(20);
    assert!(n.server.tcp_readiness(s).readable);
    assert_eq!(n.server.tcp_recv(s, &mut buf, false), Ok(0));
    assert_eq!(n.server.tcp_send(s, b"bye"), Ok(3));
    n.server.tcp_close(s);
    n.run(20);
    assert_eq!(n.client.tcp_recv(c, &mut buf, false), Ok(3));
    assert_eq!(n.client.tcp_recv(c, &mut buf, false), Ok(0));
    assert!(n.client.tcp_readiness(c).hangup);
    n.client.tcp_close(c);
    n.server.tcp_close(listener);

    // Everything is reaped once TIME-WAIT is over.
    n.run(15_000);
    assert_eq!(n.client.tcp_socket_count(), 0);
    assert_eq!(n.server.tcp_socket_count(), 0);
    // And stale ids are EBADF, not a panic.
    assert_eq!(n.client.tcp_send(c, b"x"), Err(Errno::EBADF));
}

#[test]
fn closed_connections_leave_the_stack_without_time_wait() {
    let mut n = net();
    let listener = n.server.tcp_open();
    n.server.tcp_bind(listener, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80)).unwrap();
    n.server.tcp_listen(listener, 1).unwrap();
    let idle = n.server.tcp_socket_count();
    for round in 0..20 {
        let c = n.client.tcp_open();
        assert_eq!(n.client.tcp_connect(c, SocketAddrV4::new(SERVER, 80)), Err(Errno::EINPROGRESS));
        n.run(20);
        assert_eq!(n.client.tcp_connect(c, SocketAddrV4::new(SERVER, 80)), Ok(()), "round {round}");
        let (s, _) = n.server.tcp_accept(listener).unwrap();
        // The server answers and closes first (as an HTTP/1.0 server does):
        // its side would sit in TIME-WAIT.
        assert_eq!(n.server.tcp_send(s, b"hello"), Ok(5));
        n.server.tcp_close(s);
        n.run(20);
        let mut buf = [0u8; 8];
        assert_eq!(n.client.tcp_recv(c, &mut buf, false), Ok(5));
        assert_eq!(n.client.tcp_recv(c, &mut buf, false), Ok(0));
        n.client.tcp_close(c);
        n.run(20);
        assert_eq!(n.server.tcp_socket_count(), idle, "round {round}: the closed connection is gone at once");
        assert_eq!(n.client.tcp_socket_count(), 0, "round {round}");
    }
}

#[test]
fn ports_are_exclusive_and_freed_by_closing_the_listener() {
    let mut n = net();
    let any80 = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80);
    let a = n.server.tcp_open();
    n.server.tcp_bind(a, any80).unwrap();
    n.server.tcp_listen(a, 1).unwrap();
    let b = n.server.tcp_open();
    assert_eq!(n.server.tcp_bind(b, any80), Err(Errno::EADDRINUSE));
    assert_eq!(n.server.tcp_bind(b, SocketAddrV4::new(SERVER, 80)), Err(Errno::EADDRINUSE));
    assert_eq!(n.server.tcp_bind(b, SocketAddrV4::new(Ipv4Addr::new(10, 9, 9, 9), 81)), Err(Errno::EADDRNOTAVAIL));
    n.server.tcp_close(a);
    n.server.tcp_bind(b, any80).unwrap();
    assert_eq!(n.server.tcp_bind(b, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 81)), Err(Errno::EINVAL), "bound twice");
    n.server.tcp_listen(b, 1).unwrap();
    assert_eq!(n.server.tcp_local_addr(b).unwrap().port(), 80);
    // listen without bind picks an ephemeral port.
    let c = n.server.tcp_open();
    n.server.tcp_listen(c, 1).unwrap();
    assert!(n.server.tcp_local_addr(c).unwrap().port() >= 49152);
    // UDP ports are their own space.
    let u = n.server.udp_open();
    n.server.udp_bind(u, any80).unwrap();
    let u2 = n.server.udp_open();
    assert_eq!(n.server.udp_bind(u2, any80), Err(Errno::EADDRINUSE));
    n.server.udp_close(u);
    n.server.udp_bind(u2, any80).unwrap();
}

#[test]
fn backlog_holds_several_connections_and_refills_after_accept() {
    let mut n = net();
    let listener = n.server.tcp_open();
    n.server.tcp_bind(listener, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 8080)).unwrap();
    n.server.tcp_listen(listener, 2).unwrap();
    let to = SocketAddrV4::new(SERVER, 8080);
    let clients: Vec<TcpId> = (0..4).map(|_| n.client.tcp_open()).collect();
    for &c in &clients {
        assert_eq!(n.client.tcp_connect(c, to), Err(Errno::EINPROGRESS));
        // One at a time, as SYNs from separate clients arrive.
        n.run(20);
    }
    n.run(50);
    // Backlog 2 holds three established connections, as Linux's accept
    // queue (backlog + 1); the fourth's SYN is dropped, so it is still
    // connecting, not refused.
    for &c in &clients[..3] {
        assert_eq!(n.client.tcp_connect(c, to), Ok(()));
    }
    assert_eq!(n.client.tcp_connect(clients[3], to), Err(Errno::EALREADY));
    let first = n.server.tcp_accept(listener).unwrap();
    let second = n.server.tcp_accept(listener).unwrap();
    let third = n.server.tcp_accept(listener).unwrap();
    assert!(first.1 != second.1 && second.1 != third.1);
    assert_eq!(n.server.tcp_accept(listener), Err(Errno::EAGAIN));
    // Accepting made room: the retransmitted SYN gets in.
    n.run(4000);
    assert_eq!(n.client.tcp_connect(clients[3], to), Ok(()));
    assert!(n.server.tcp_accept(listener).is_ok());
}

#[test]
fn a_burst_of_connections_grows_the_listener() {
    let mut n = net();
    let listener = n.server.tcp_open();
    n.server.tcp_bind(listener, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 8081)).unwrap();
    n.server.tcp_listen(listener, 128).unwrap();
    let idle = n.server.tcp_socket_count();
    assert_eq!(idle, netstack::tcp::IDLE_LISTENERS, "an idle listener holds a few sockets");
    let to = SocketAddrV4::new(SERVER, 8081);
    let clients: Vec<TcpId> = (0..50).map(|_| n.client.tcp_open()).collect();
    for &c in &clients {
        assert_eq!(n.client.tcp_connect(c, to), Err(Errno::EINPROGRESS));
    }
    n.run(50);
    for &c in &clients {
        assert_eq!(n.client.tcp_connect(c, to), Ok(()), "all 50 at once, none refused or delayed");
    }
    for _ in 0..50 {
        n.server.tcp_accept(listener).unwrap();
    }
    assert_eq!(n.server.tcp_accept(listener), Err(Errno::EAGAIN));
    assert_eq!(n.server.tcp_socket_count(), 50 + netstack::tcp::IDLE_LISTENERS, "the connections and a few listening again");
}

#[test]
fn refused_reset_and_unaccepted_connections() {
    let mut n = net();
    // Nobody listens on 81.
    let c = n.client.tcp_open();
    assert_eq!(n.client.tcp_connect(c, SocketAddrV4::new(SERVER, 81)), Err(Errno::EINPROGRESS));
    n.run(20);
    assert_eq!(n.client.tcp_take_error(c), Some(Errno::ECONNREFUSED));
    assert_eq!(n.client.tcp_take_error(c), None, "SO_ERROR clears");

    // Closing with unread data resets the peer.
    let (c, s, _l) = n.connected(90);
    n.client.tcp_send(c, b"unread").unwrap();
    n.run(20);
    n.server.tcp_close(s);
    n.run(20);
    let mut buf = [0u8; 8];
    assert_eq!(n.client.tcp_recv(c, &mut buf, false), Err(Errno::ECONNRESET));
    assert_eq!(n.client.tcp_recv(c, &mut buf, false), Ok(0), "then end-of-stream");
    assert_eq!(n.client.tcp_send(c, b"x"), Err(Errno::EPIPE));

    // A listener closed with a connection nobody accepted resets it.
    let listener = n.server.tcp_open();
    n.server.tcp_bind(listener, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 91)).unwrap();
    n.server.tcp_listen(listener, 1).unwrap();
    let c = n.client.tcp_open();
    let _ = n.client.tcp_connect(c, SocketAddrV4::new(SERVER, 91));
    n.run(20);
    assert_eq!(n.client.tcp_connect(c, SocketAddrV4::new(SERVER, 91)), Ok(()));
    n.server.tcp_close(listener);
    n.run(20);
    assert!(n.client.tcp_readiness(c).error);
    assert_eq!(n.client.tcp_take_error(c), Some(Errno::ECONNRESET));
}

#[test]
fn a_megabyte_flows_through_the_window() {
    let mut n = net();
    let (c, s, _l) = n.connected(5000);
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut sent = 0;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 8192];
    let mut rounds = 0;
    while got.len() < data.len() {
        rounds += 1;
        assert!(rounds < 100_000, "stalled at {} bytes", got.len());
        if sent < data.len() {
            match n.client.tcp_send(c, &data[sent..]) {
                Ok(k) => sent += k,
                Err(Errno::EAGAIN) => {}
                Err(e) => panic!("send: {e:?}"),
            }
        }
        n.run(1);
        loop {
            match n.server.tcp_recv(s, &mut buf, false) {
                Ok(0) => panic!("early end of stream"),
                Ok(k) => got.extend_from_slice(&buf[..k]),
                Err(Errno::EAGAIN) => break,
                Err(e) => panic!("recv: {e:?}"),
            }
        }
    }
    assert!(got == data, "the bytes arrive intact and in order");
}

#[test]
fn udp_datagrams_and_connected_filtering() {
    let mut n = net();
    let s = n.server.udp_open();
    n.server.udp_bind(s, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 53)).unwrap();
    let c = n.client.udp_open();
    assert_eq!(n.client.udp_send_to(c, b"q", None), Err(Errno::EDESTADDRREQ));
    assert_eq!(n.client.udp_send_to(c, b"query", Some(SocketAddrV4::new(SERVER, 53))), Ok(5));
    let from_port = n.client.udp_local_addr(c).unwrap().port();
    assert!(from_port >= 49152, "auto-bound to an ephemeral port");
    n.run(10);
    let mut buf = [0u8; 3];
    assert!(n.server.udp_readiness(s).readable);
    let (len, from) = n.server.udp_recv_from(s, &mut buf).unwrap();
    assert_eq!((len, &buf[..], from), (3, &b"que"[..], SocketAddrV4::new(CLIENT, from_port)), "truncated to the buffer");
    assert_eq!(n.server.udp_recv_from(s, &mut buf), Err(Errno::EAGAIN));

    // A connected socket hears only its peer.
    n.client.udp_connect(c, SocketAddrV4::new(SERVER, 53)).unwrap();
    let other = n.server.udp_open();
    n.server.udp_send_to(other, b"stranger", Some(SocketAddrV4::new(CLIENT, from_port))).unwrap();
    n.server.udp_send_to(s, b"answer", Some(SocketAddrV4::new(CLIENT, from_port))).unwrap();
    n.run(10);
    let mut buf = [0u8; 16];
    let (len, from) = n.client.udp_recv_from(c, &mut buf).unwrap();
    assert_eq!((&buf[..len], from), (&b"answer"[..], SocketAddrV4::new(SERVER, 53)));
    assert_eq!(n.client.udp_recv_from(c, &mut buf), Err(Errno::EAGAIN));

    // connect(AF_UNSPEC) forgets the peer: strangers are heard again.
    n.client.udp_disconnect(c).unwrap();
    assert_eq!(n.client.udp_send_to(c, b"q", None), Err(Errno::EDESTADDRREQ));
    n.server.udp_send_to(other, b"stranger", Some(SocketAddrV4::new(CLIENT, from_port))).unwrap();
    n.run(10);
    let (len, _) = n.client.udp_recv_from(c, &mut buf).unwrap();
    assert_eq!(&buf[..len], b"stranger");
}

#[test]
fn loopback_and_own_addresses_can_be_bound() {
    let mut n = net();
    let t = n.server.tcp_open();
    n.server.tcp_bind(t, SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080)).unwrap();
    assert_eq!(n.server.tcp_local_addr(t), Ok(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080)));
    let u = n.server.udp_open();
    n.server.udp_bind(u, SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 53), 53)).unwrap();
    assert!(n.server.is_own_address(SERVER) && !n.server.is_own_address(CLIENT));
    // The port is the same table: 0.0.0.0:8080 is taken.
    let t2 = n.server.tcp_open();
    assert_eq!(n.server.tcp_bind(t2, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 8080)), Err(Errno::EADDRINUSE));
}

#[test]
fn echo_requests_are_answered_and_literals_resolve() {
    let mut n = net();
    let p = n.client.icmp_open(7).unwrap();
    assert_eq!(n.client.icmp_recv_echo(p), Err(Errno::EAGAIN));
    n.client.icmp_send_echo(p, SERVER, 1).unwrap();
    n.run(5);
    let reply = n.client.icmp_recv_echo(p).unwrap();
    assert_eq!((reply.from, reply.seq, reply.bytes), (SERVER, 1, 64));
    n.client.icmp_close(p);

    let mut q = n.client.dns_start("10.1.2.3").unwrap();
    assert_eq!(n.client.dns_result(&mut q), Ok(Ipv4Addr::new(10, 1, 2, 3)));
    assert_eq!(n.client.dns_start("example.org").err(), Some(Errno::ENETUNREACH), "no DNS server configured");
}

#[test]
fn nothing_goes_out_before_an_address() {
    let a: Queue = Rc::default();
    let b: Queue = Rc::default();
    let options = Options { mac: [2, 0, 0, 0, 0, 9], random_seed: 9, clock, static_config: None };
    let mut s = Stack::new(Wire { inbox: a, outbox: b.clone() }, options);
    assert_eq!(s.config(), None);
    let t = s.tcp_open();
    assert_eq!(s.tcp_connect(t, SocketAddrV4::new(SERVER, 80)), Err(Errno::ENETUNREACH));
    let u = s.udp_open();
    assert_eq!(s.udp_send_to(u, b"x", Some(SocketAddrV4::new(SERVER, 9))), Err(Errno::ENETUNREACH));
    // The DHCP client is asking, though.
    s.poll();
    assert!(!b.borrow().is_empty(), "a DHCPDISCOVER went out");
}

/// The sockets a poll changed, by id: (receive side, send side).
fn changed(s: &mut Stack<Wire>) -> Vec<(SocketRef, bool, bool)> {
    s.take_changes().into_iter().map(|(who, c)| (who, c.recv, c.send)).collect()
}

#[test]
fn polls_name_only_the_sockets_that_changed() {
    let mut n = net();
    let (c1, s1, listener) = n.connected(90);
    let c2 = n.client.tcp_open();
    assert_eq!(n.client.tcp_connect(c2, SocketAddrV4::new(SERVER, 90)), Err(Errno::EINPROGRESS));
    n.run(20);
    let (s2, _) = n.server.tcp_accept(listener).unwrap();
    let _ = changed(&mut n.client);
    let _ = changed(&mut n.server);
    n.run(5);
    assert_eq!(changed(&mut n.server), vec![], "a quiet network changes nothing");

    // Data for one connection: only it is named, on its receive side.
    assert_eq!(n.client.tcp_send(c2, b"hello"), Ok(5));
    n.run(5);
    let server = changed(&mut n.server);
    assert!(server.contains(&(SocketRef::Tcp(s2), true, false)), "{server:?}");
    assert!(server.iter().all(|(who, ..)| *who == SocketRef::Tcp(s2)), "{server:?}");
    let client = changed(&mut n.client);
    assert!(client.iter().all(|(who, ..)| *who == SocketRef::Tcp(c2)), "the ACK frees c2's send buffer only: {client:?}");

    // The wakers are re-armed: the next segment is named again.
    assert_eq!(n.client.tcp_send(c2, b"again"), Ok(5));
    n.run(50); // past the delayed ACK that Nagle waits for
    let again = changed(&mut n.server);
    assert!(again.contains(&(SocketRef::Tcp(s2), true, false)), "{again:?}");

    // A new connection names the listener; a close names the peer.
    let c3 = n.client.tcp_open();
    let _ = n.client.tcp_connect(c3, SocketAddrV4::new(SERVER, 90));
    n.run(20);
    assert!(changed(&mut n.server).iter().any(|(who, recv, _)| *who == SocketRef::Tcp(listener) && *recv));
    n.client.tcp_close(c1);
    n.run(20);
    assert!(changed(&mut n.server).iter().any(|(who, recv, _)| *who == SocketRef::Tcp(s1) && *recv));

    // UDP: a datagram names its receiver.
    let u = n.server.udp_open();
    n.server.udp_bind(u, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 53)).unwrap();
    let v = n.client.udp_open();
    let _ = changed(&mut n.server);
    n.client.udp_send_to(v, b"q", Some(SocketAddrV4::new(SERVER, 53))).unwrap();
    n.run(5);
    assert!(changed(&mut n.server).contains(&(SocketRef::Udp(u), true, false)));
}

/// A reader taking 1 KiB at a time behind a full receive buffer: the window
/// is worth announcing once, when half the buffer is free, not after every
/// read (silly window syndrome).
#[test]
fn small_reads_announce_the_window_once_half_is_free() {
    use netstack::tcp::{BUFFER_SIZE, WINDOW_ANNOUNCE};
    let mut n = net();
    let (client, server, _listener) = n.connected(8090);
    let data = vec![7u8; BUFFER_SIZE];
    let mut sent = 0;
    for _ in 0..200 {
        if let Ok(k) = n.client.tcp_send(client, &data[sent..]) {
            sent += k;
        }
        n.run(5);
        if sent == data.len() && n.server.tcp_available(server) == BUFFER_SIZE {
            break;
        }
    }
    assert_eq!(n.server.tcp_available(server), BUFFER_SIZE, "the server's buffer is full");
    let mut buf = [0u8; 1024];
    let mut announced = Vec::new();
    for i in 0..BUFFER_SIZE / 1024 {
        let (got, announce) = n.server.tcp_recv_announcing(server, &mut buf, false);
        assert_eq!(got, Ok(1024));
        if announce {
            announced.push((i + 1) * 1024);
        }
    }
    assert_eq!(announced, vec![WINDOW_ANNOUNCE], "announced once, when half the buffer was free");
}
