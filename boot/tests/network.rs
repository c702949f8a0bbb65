//! Networking end to end on QEMU's user network: DHCP configures eth0, the
//! gateway answers ICMP echo, and the guest's kernel TCP fetches pages from a
//! server on the host (10.0.2.2 is the host's loopback, seen from the guest).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use cyrius::{Machine, QemuConfig};

/// Serves `count` HTTP/1.0 requests: `/hello` (a short text) and `/big`
/// (`BIG` bytes of a pattern); anything else is a 404. Returns the request lines.
fn serve(listener: TcpListener, count: usize) -> thread::JoinHandle<Vec<String>> {
    thread::spawn(move || {
        let mut lines = Vec::new();
        for _ in 0..count {
            let Ok((mut conn, _)) = listener.accept() else { break };
            conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") {
                match conn.read(&mut byte) {
                    Ok(1) => request.push(byte[0]),
                    _ => break,
                }
            }
            let request = String::from_utf8_lossy(&request).into_owned();
            let line = request.lines().next().unwrap_or("").to_string();
            let (status, body): (&str, Vec<u8>) = match line.split(' ').nth(1) {
                Some("/hello") => ("200 OK", b"hello from the host\n".to_vec()),
                Some("/big") => ("200 OK", big_body()),
                _ => ("404 Not Found", b"no such page\n".to_vec()),
            };
            let head = format!("HTTP/1.0 {status}\r\nContent-Length: {}\r\n\r\n", body.len());
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
            lines.push(line);
        }
        lines
    })
}

const BIG: usize = 300_000;

fn big_body() -> Vec<u8> {
    (0..BIG).map(|i| b'a' + (i % 26) as u8).collect()
}

/// The number after `label` in ifconfig's output ("RX packets 12" -> 12).
fn counter(ifconfig: &str, label: &str) -> u64 {
    ifconfig
        .split(label)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no '{label}' in {ifconfig:?}"))
}

/// The byte count on ifconfig's "RX packets N  bytes M (...)" line.
fn rx_bytes(ifconfig: &str) -> u64 {
    let line = ifconfig.lines().find(|l| l.trim_start().starts_with("RX packets")).expect("an RX line");
    counter(line, " bytes")
}

fn wait_for_dhcp(m: &mut Machine) -> String {
    let started = Instant::now();
    loop {
        let out = m.run("ifconfig");
        if out.contains("inet 10.0.2.15") {
            return out;
        }
        if started.elapsed() > Duration::from_secs(20) {
            m.assert(false, &format!("no DHCP address after 20 s; ifconfig printed {out:?}"));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn dhcp_ping_and_tcp_to_the_host() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on the host");
    let port = listener.local_addr().unwrap().port();
    let server = serve(listener, 3);

    let mut m = Machine::boot(&QemuConfig::for_tests());
    let first = wait_for_dhcp(&mut m);
    for expected in ["eth0:", "netmask 255.255.255.0", "broadcast 10.0.2.255", "gateway 10.0.2.2", "dns 10.0.2.3", "ether 52:54:00:12:34:56"] {
        m.assert(first.contains(expected), &format!("ifconfig lacks {expected:?}: {first:?}"));
    }

    m.run_expect(&format!("httpget 10.0.2.2:{port} /hello"), &["hello from the host"]);
    // A page larger than the receive window, into a file.
    m.run_expect(&format!("httpget 10.0.2.2:{port} /big > /tmp/big"), &[]);
    m.run_expect("stat /tmp/big", &[&format!("Size: {BIG}")]);
    let out = m.run(&format!("httpget 10.0.2.2:{port} /missing"));
    m.assert(out.contains("404 Not Found"), &format!("a 404 should be reported, got {out:?}"));

    // Counters moved with the traffic.
    let after = m.run("ifconfig");
    m.assert(counter(&after, "RX packets") > 0 && rx_bytes(&after) > rx_bytes(&first) + BIG as u64, &format!("RX bytes grew: {after:?}"));
    m.assert(counter(&after, "RX packets") > counter(&first, "RX packets") + 100, &format!("RX packets grew: {after:?}"));
    m.assert(counter(&after, "TX packets") > counter(&first, "TX packets"), &format!("TX packets grew: {after:?}"));

    // QEMU's user network answers echo requests to its gateway.
    m.run_expect("ping -c 2 10.0.2.2", &["bytes from 10.0.2.2: icmp_seq=1", "2 packets transmitted, 2 received, 0% packet loss"]);

    // Failures are one line each.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    m.run_expect(&format!("httpget 10.0.2.2:{closed_port} /"), &["httpget: 10.0.2.2:", "Connection refused"]);
    m.run_expect("httpget 10.0.2.2:0 /", &["httpget: invalid port '0'"]);
    m.run_expect("httpget 10.0.2.2 nopath", &["must start with '/'"]);
    m.run_expect("ifconfig eth1", &["eth1: error fetching interface information"]);
    m.run_expect("echo still alive", &["still alive"]);
    m.poweroff();

    let lines = server.join().expect("the host server thread");
    assert_eq!(lines, ["GET /hello HTTP/1.0", "GET /big HTTP/1.0", "GET /missing HTTP/1.0"]);
}
