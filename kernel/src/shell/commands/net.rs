//! Network commands: `ifconfig` (eth0's addresses and counters), `ping`
//! (ICMP echo), `httpget` (an HTTP/1.0 GET over the kernel's TCP, printing
//! the body). They use the non-blocking kernel socket API and sleep on the
//! stack's activity queue between tries; Ctrl-C gives up.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;
use core::net::{Ipv4Addr, SocketAddrV4};
use errno::Errno;

use super::CmdResult;
use crate::net::{self, Pinger, Query, Tcp};
use crate::shell::{Out, Session};
use crate::time;

/// How long `httpget` waits for each step (resolve, connect, each read).
const HTTP_TIMEOUT_MS: u64 = 30_000;

/// True if Ctrl-C was typed (other typed bytes are dropped while a command runs).
fn interrupted() -> bool {
    while let Some(b) = crate::console::input::try_read() {
        if b == 0x03 {
            return true;
        }
    }
    false
}

/// Retries `op` while it says "not yet", sleeping on the stack's activity
/// queue in between; `ETIMEDOUT` at `deadline` (uptime ms), `EINTR` on Ctrl-C
/// (checked every 100 ms).
fn wait<T>(deadline: u64, mut op: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        let seen = net::generation();
        match op() {
            Err(Errno::EAGAIN | Errno::EINPROGRESS | Errno::EALREADY) => {}
            other => return other,
        }
        while net::generation() == seen {
            if interrupted() {
                return Err(Errno::EINTR);
            }
            let now = time::uptime_ms();
            if now >= deadline {
                return Err(Errno::ETIMEDOUT);
            }
            let until = (now + 100).min(deadline) * u64::from(time::HZ) / 1000;
            let _ = net::ACTIVITY.wait_interruptible(|| (net::generation() != seen).then_some(()), Some(until));
        }
    }
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut div = 1u128;
    while u128::from(bytes) / div >= 1024 && unit + 1 < UNITS.len() {
        div *= 1024;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} B");
    }
    let tenths = u128::from(bytes) * 10 / div;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// `ifconfig eth0 ADDR/PREFIX [gw GATEWAY]`: a fixed address instead of DHCP.
fn ifconfig_set(args: &[String]) -> CmdResult {
    const USAGE: &str = "usage: ifconfig eth0 ADDRESS/PREFIX [gw GATEWAY]";
    let (addr, prefix) = args[0].split_once('/').ok_or(USAGE)?;
    let address: Ipv4Addr = addr.parse().map_err(|_| format!("{addr}: not an IPv4 address"))?;
    let prefix_len: u8 = prefix.parse().ok().filter(|&p| (1..=32).contains(&p)).ok_or_else(|| format!("{prefix}: not a prefix length"))?;
    let gateway = match &args[1..] {
        [] => None,
        [gw, ip] if gw == "gw" => Some(ip.parse::<Ipv4Addr>().map_err(|_| format!("{ip}: not an IPv4 address"))?),
        _ => return Err(String::from(USAGE)),
    };
    net::set_static(net::Ipv4Config { address, prefix_len, gateway, dns: None }).map_err(|e| format!("eth0: {e}"))
}

pub fn ifconfig(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    if args.len() >= 2 && args[0] == "eth0" {
        return ifconfig_set(&args[1..]);
    }
    if let Some(name) = args.iter().find(|a| *a != "eth0") {
        return Err(format!("{name}: error fetching interface information: Device not found"));
    }
    let info = net::info().ok_or_else(|| String::from("no network device"))?;
    let _ = writeln!(out, "eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu {}", info.mtu);
    match info.config {
        Some(c) => {
            let _ = writeln!(out, "        inet {}  netmask {}  broadcast {}", c.address, c.netmask(), c.broadcast());
            let show = |a: Option<Ipv4Addr>| a.map_or_else(|| String::from("none"), |a| a.to_string());
            let how = if info.dhcp { "dhcp" } else { "static" };
            let _ = writeln!(out, "        gateway {}  dns {}  ({how})", show(c.gateway), show(c.dns));
        }
        None => {
            let _ = writeln!(out, "        inet (waiting for DHCP)");
        }
    }
    let m = info.mac;
    let _ = writeln!(
        out,
        "        ether {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}  (Ethernet)",
        m[0], m[1], m[2], m[3], m[4], m[5]
    );
    let s = info.stats;
    let _ = writeln!(out, "        RX packets {}  bytes {} ({})", s.rx_packets, s.rx_bytes, human(s.rx_bytes));
    let _ = writeln!(out, "        RX errors {}", s.rx_errors);
    let _ = writeln!(out, "        TX packets {}  bytes {} ({})", s.tx_packets, s.tx_bytes, human(s.tx_bytes));
    let _ = writeln!(out, "        TX dropped {}", s.tx_dropped);
    Ok(())
}

/// Resolves a host name or dotted address.
fn resolve(host: &str, deadline: u64) -> Result<Ipv4Addr, String> {
    let mut query = Query::start(host).map_err(|e| format!("{host}: {e}"))?;
    wait(deadline, || query.poll()).map_err(|e| match e {
        Errno::EHOSTUNREACH => format!("{host}: Name or service not known"),
        e => format!("{host}: {e}"),
    })
}

pub fn ping(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    const USAGE: &str = "usage: ping [-c COUNT] HOST";
    let mut count = 4u16;
    let mut host = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-c" => {
                let n = it.next().ok_or(USAGE)?;
                count = n.parse().ok().filter(|&c| c > 0).ok_or_else(|| format!("invalid count '{n}'"))?;
            }
            _ if a.starts_with('-') => return Err(format!("unknown option '{a}' ({USAGE})")),
            _ if host.is_none() => host = Some(a.as_str()),
            _ => return Err(String::from(USAGE)),
        }
    }
    let host = host.ok_or(USAGE)?;
    let ip = resolve(host, time::uptime_ms() + 10_000)?;
    let pinger = Pinger::new().map_err(|e| e.to_string())?;
    let _ = writeln!(out, "PING {host} ({ip}) {}({}) bytes of data.", netstack::icmp::PAYLOAD, netstack::icmp::PAYLOAD + 28);
    let mut received = 0u32;
    for seq in 1..=count {
        let started = time::uptime_ms();
        pinger.send(ip, seq).map_err(|e| format!("sendmsg: {e}"))?;
        match wait(started + 1000, || pinger.recv().and_then(|r| if r.seq == seq { Ok(r) } else { Err(Errno::EAGAIN) })) {
            Ok(r) => {
                received += 1;
                let _ = writeln!(out, "{} bytes from {}: icmp_seq={} time={} ms", r.bytes, r.from, r.seq, r.rtt_ms);
            }
            Err(Errno::ETIMEDOUT) => {}
            Err(Errno::EINTR) => break,
            Err(e) => return Err(e.to_string()),
        }
        if seq < count {
            let next = started + 1000;
            if wait(next, || Err::<(), _>(Errno::EAGAIN)) == Err(Errno::EINTR) {
                break;
            }
        }
    }
    let sent = u32::from(count);
    let loss = (sent - received.min(sent)) * 100 / sent;
    let _ = writeln!(out, "--- {host} ping statistics ---");
    let _ = writeln!(out, "{sent} packets transmitted, {received} received, {loss}% packet loss");
    if received == 0 {
        return Err(String::from("no reply"));
    }
    Ok(())
}

/// `HOST[:PORT]`, port 80 by default.
fn parse_host_port(s: &str) -> Result<(&str, u16), String> {
    match s.rsplit_once(':') {
        Some((host, port)) => {
            let port = port.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(|| format!("invalid port '{port}'"))?;
            Ok((host, port))
        }
        None => Ok((s, 80)),
    }
}

pub fn httpget(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    const USAGE: &str = "usage: httpget HOST[:PORT] [PATH]";
    let (target, path) = match args {
        [t] => (t.as_str(), "/"),
        [t, p] => (t.as_str(), p.as_str()),
        _ => return Err(String::from(USAGE)),
    };
    if !path.starts_with('/') {
        return Err(format!("path '{path}' must start with '/'"));
    }
    let (host, port) = parse_host_port(target)?;
    let ip = resolve(host, time::uptime_ms() + HTTP_TIMEOUT_MS)?;
    let addr = SocketAddrV4::new(ip, port);
    let sock = Tcp::new().map_err(|e| e.to_string())?;
    wait(time::uptime_ms() + HTTP_TIMEOUT_MS, || sock.connect(addr)).map_err(|e| format!("{addr}: {e}"))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: cyrius-httpget\r\nConnection: close\r\n\r\n");
    let mut rest = request.as_bytes();
    while !rest.is_empty() {
        let n = wait(time::uptime_ms() + HTTP_TIMEOUT_MS, || sock.send(rest)).map_err(|e| format!("send: {e}"))?;
        rest = &rest[n..];
    }
    let mut buf = vec![0u8; 16 * 1024];
    let mut head: Vec<u8> = Vec::new();
    let mut status: Option<String> = None;
    loop {
        let n = wait(time::uptime_ms() + HTTP_TIMEOUT_MS, || sock.recv(&mut buf, false)).map_err(|e| format!("recv: {e}"))?;
        if n == 0 {
            break;
        }
        if status.is_some() {
            out.bytes(&buf[..n]);
            continue;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let line_end = head.iter().position(|&b| b == b'\r').unwrap_or(end);
            let line = String::from_utf8_lossy(&head[..line_end]).into_owned();
            let ok = line.starts_with("HTTP/") && line.split(' ').nth(1).is_some_and(|c| c.starts_with('2'));
            if !ok {
                return Err(format!("{addr}: {line}"));
            }
            out.bytes(&head[end + 4..]);
            status = Some(line);
        } else if head.len() > 64 * 1024 {
            return Err(format!("{addr}: response headers too long"));
        }
    }
    if status.is_none() {
        return Err(format!("{addr}: no HTTP response"));
    }
    Ok(())
}
