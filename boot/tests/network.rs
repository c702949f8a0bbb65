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

/// A free TCP port on the host (bound, then released for QEMU to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// GET `path` from 127.0.0.1:`port` over HTTP/1.0: (status line, body).
/// Retries the connection for a while: a published port accepts before the
/// guest listens (QEMU's forwarder), and then closes at once.
fn host_get(port: u16, path: &str) -> (String, Vec<u8>) {
    let started = Instant::now();
    loop {
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let _ = conn.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes());
            let mut raw = Vec::new();
            let _ = conn.read_to_end(&mut raw);
            if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..split]).into_owned();
                let status = head.lines().next().unwrap_or("").to_string();
                return (status, raw[split + 4..].to_vec());
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no HTTP answer on host port {port}");
        thread::sleep(Duration::from_millis(300));
    }
}

/// Containers as servers and clients over the Linux socket API: busybox
/// httpd serves the host through a published port, wget in a container
/// fetches from the host, nc talks both ways, ports are exclusive and freed
/// on close, and a client dropping mid-transfer harms nothing.
#[test]
fn containers_serve_and_fetch_over_sockets() {
    let (web, chat) = (free_port(), free_port());
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on the host");
    let host_port = listener.local_addr().unwrap().port();
    let server = serve(listener, 2);
    let mut config = QemuConfig::for_tests();
    config.publish = vec![(web, 8080), (chat, 7000)];
    let mut m = Machine::boot(&config);
    m.run("log error");
    wait_for_dhcp(&mut m);
    let long = Duration::from_secs(90);

    // A web server in a container, its files made by the container itself.
    let page = "hello from busybox httpd\n";
    m.run_with_timeout(
        &format!(
            "oci-runtime run -d --image busybox web sh -c 'mkdir -p /tmp/www && printf \"{}\" > /tmp/www/index.html && \
             head -c 3000000 /dev/zero | tr \"\\0\" x > /tmp/www/big && exec httpd -f -p 8080 -h /tmp/www'",
            page.replace('\n', "\\n")
        ),
        long,
    );
    let (status, body) = host_get(web, "/index.html");
    assert_eq!((status.as_str(), body.as_slice()), ("HTTP/1.1 200 OK", page.as_bytes()), "httpd's page through --publish");
    let (status, _) = host_get(web, "/missing");
    assert!(status.contains("404"), "a missing page is a 404: {status:?}");

    // A client that goes away mid-transfer leaves the server healthy.
    for _ in 0..3 {
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", web)).unwrap();
        conn.write_all(b"GET /big HTTP/1.0\r\n\r\n").unwrap();
        let mut some = [0u8; 20_000];
        conn.read_exact(&mut some).unwrap();
        drop(conn);
    }
    let (status, body) = host_get(web, "/big");
    assert_eq!((status.as_str(), body.len()), ("HTTP/1.1 200 OK", 3_000_000), "the whole big file after aborted fetches");
    assert!(body.iter().all(|&b| b == b'x'));

    // The port is taken: a second container's httpd cannot bind it.
    let out = m.run_with_timeout("oci-runtime run --image busybox web2 httpd -f -p 8080", long);
    m.assert(out.contains("bind: Address already in use"), &format!("EADDRINUSE for a second httpd: {out:?}"));

    // Inside a container: loopback, and wget from the host's server.
    let out = m.run_with_timeout("oci-runtime exec web wget -q -O- http://localhost:8080/index.html", long);
    m.assert(out.contains("hello from busybox httpd"), &format!("wget over loopback: {out:?}"));
    let out = m.run_with_timeout(&format!("oci-runtime run --image busybox get wget -q -O- http://10.0.2.2:{host_port}/hello"), long);
    m.assert(out.contains("hello from the host"), &format!("wget to the host: {out:?}"));

    // Closing the listener frees its port for the next one.
    m.run_expect("oci-runtime kill web KILL", &[]);
    m.run_with_timeout(
        "oci-runtime run -d --image busybox web4 sh -c 'mkdir /tmp/w && echo second server > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w'",
        long,
    );
    let (_, body) = host_get(web, "/");
    assert_eq!(body, b"second server\n");

    // nc both ways: the host talks to a listening nc in a container...
    m.run_with_timeout("oci-runtime run -d --image busybox chat sh -c 'echo from-guest | nc -l -p 7000 > /tmp/heard; exec sleep 100'", long);
    let started = Instant::now();
    let greeting = loop {
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", chat)).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut line = [0u8; 11];
        if conn.read_exact(&mut line).is_ok() {
            conn.write_all(b"from-host\n").unwrap();
            thread::sleep(Duration::from_millis(500));
            break line;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "nc never answered");
        thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(&greeting, b"from-guest\n");
    let heard = m.run_with_timeout("oci-runtime exec chat cat /tmp/heard", long);
    m.assert(heard.contains("from-host"), &format!("the container's nc heard the host: {heard:?}"));
    // ...and a container's nc talks to the host's server.
    let out = m.run_with_timeout(&format!("oci-runtime run --image busybox client sh -c 'printf \"GET /hello HTTP/1.0\\r\\n\\r\\n\" | nc 10.0.2.2 {host_port}'"), long);
    m.assert(out.contains("hello from the host"), &format!("nc to the host: {out:?}"));

    m.run_expect("echo still alive", &["still alive"]);
    m.poweroff();
    let lines = server.join().expect("the host server thread");
    assert_eq!(lines, ["GET /hello HTTP/1.1", "GET /hello HTTP/1.0"], "wget, then nc");
}

/// The socket and epoll semantics of `userland/linux-tests/sockets.c`
/// (AF_UNIX, loopback TCP/UDP, options, errors, epoll) match Linux's.
#[test]
fn socket_semantics_match_linux() {
    cyrius::datadisk::test_disk();
    let program = cyrius::datadisk::linux_test_program("sockets");
    let dir = std::env::temp_dir().join(format!("cyrius-sockets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new(&program).arg(&dir).output().expect("run on the host");
    let _ = std::fs::remove_dir_all(&dir);
    let expected = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(expected.contains("shutdown bad how"), "the host run finished: {expected}");

    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    wait_for_dhcp(&mut m);
    m.run("mkdir /tmp/s");
    let got = m.run_with_timeout("run /mnt/bin/sockets /tmp/s", Duration::from_secs(60));
    let got: String = got.lines().filter(|l| !l.starts_with("run:")).map(|l| format!("{l}\n")).collect();
    let diff: Vec<String> = expected
        .lines()
        .zip(got.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("linux: {a}\ncyrius: {b}"))
        .collect();
    m.assert(diff.is_empty() && expected.lines().count() == got.lines().count(), &format!("differences:\n{}\n\ncyrius printed:\n{got}", diff.join("\n")));
    m.run_expect("echo still alive", &["still alive"]);
    m.poweroff();
}

/// Outcome of a load run: requests answered, failures (with the first few
/// reasons), and the wall time.
struct Load {
    ok: usize,
    errors: Vec<String>,
    elapsed: Duration,
}

impl Load {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn report(&self, what: &str) {
        eprintln!(
            "{what}: {} requests in {:.1} s = {:.0} req/s, {} errors {:?}",
            self.ok,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.errors.len(),
            self.errors.iter().take(3).collect::<Vec<_>>()
        );
    }
}

/// One HTTP exchange on `conn`: sends `request`, reads one response with a
/// `Content-Length` body (or to the end of the stream); true if it is a 200.
fn exchange(conn: &mut std::net::TcpStream, request: &[u8]) -> Result<(), String> {
    conn.write_all(request).map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            if !head.starts_with("http/1.1 200") && !head.starts_with("http/1.0 200") {
                return Err(format!("status {:?}", head.lines().next()));
            }
            let len = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok());
            if let Some(len) = len {
                if raw.len() >= split + 4 + len {
                    return Ok(());
                }
            }
        }
        match conn.read(&mut buf) {
            Ok(0) if raw.windows(4).any(|w| w == b"\r\n\r\n") => return Ok(()),
            Ok(0) => return Err(format!("closed after {} bytes", raw.len())),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("read after {} bytes: {e}", raw.len())),
        }
    }
}

/// Connections being set up at once (see [`load`]).
struct Gate {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

impl Gate {
    fn enter(&self) {
        let mut free = self.free.lock().unwrap();
        while *free == 0 {
            free = self.freed.wait(free).unwrap();
        }
        *free -= 1;
    }

    fn leave(&self) {
        *self.free.lock().unwrap() += 1;
        self.freed.notify_one();
    }
}

/// How many new connections QEMU's port forwarding takes at once: its
/// listening socket has a backlog of 1 (`ss -ltn` shows Send-Q 1), so the
/// host kernel queues two handshakes and drops any further SYN; the clients
/// of a burst then retry together after 1, 3, 7, 15, 31 s and get through
/// two per round, whatever the guest does (under load a burst of 50 can
/// take minutes). The load client sets up connections this many at a time
/// (a connection counts until its first answer), so what it measures is the
/// guest, not that queue; connections, once set up, are busy together.
const FORWARD_ACCEPT_QUEUE: usize = 2;

/// `clients` threads against 127.0.0.1:`port`, each making `per_client`
/// connections and `per_conn` requests on each (`per_conn` > 1: kept alive).
fn load(port: u16, clients: usize, per_client: usize, per_conn: usize, path: &str) -> Load {
    let gate = std::sync::Arc::new(Gate { free: std::sync::Mutex::new(FORWARD_ACCEPT_QUEUE), freed: std::sync::Condvar::new() });
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let path = path.to_string();
            let gate = gate.clone();
            thread::spawn(move || {
                let (mut ok, mut errors) = (0usize, Vec::new());
                for _ in 0..per_client {
                    gate.enter();
                    let mut conn = match std::net::TcpStream::connect(("127.0.0.1", port)) {
                        Ok(c) => c,
                        Err(e) => {
                            gate.leave();
                            errors.push(format!("connect: {e}"));
                            continue;
                        }
                    };
                    conn.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
                    let _ = conn.set_nodelay(true);
                    for i in 0..per_conn {
                        let close = if i + 1 == per_conn { "Connection: close\r\n" } else { "" };
                        let version = if per_conn > 1 { "1.1" } else { "1.0" };
                        let request = format!("GET {path} HTTP/{version}\r\nHost: x\r\n{close}\r\n");
                        let result = exchange(&mut conn, request.as_bytes());
                        if i == 0 {
                            gate.leave();
                        }
                        match result {
                            Ok(()) => ok += 1,
                            Err(e) => {
                                errors.push(e);
                                break;
                            }
                        }
                    }
                }
                (ok, errors)
            })
        })
        .collect();
    let mut total = Load { ok: 0, errors: Vec::new(), elapsed: Duration::ZERO };
    for w in workers {
        let (ok, errors) = w.join().expect("a load client");
        total.ok += ok;
        total.errors.extend(errors);
    }
    total.elapsed = started.elapsed();
    total
}

/// Many concurrent connections through a published port: busybox httpd in
/// a container (a connection per request, a process per connection) and the
/// epoll server `epollsrv` (50 kept-alive connections busy together, then a
/// connection per request) answer every request; so
/// do epollsrv's own clients over loopback. Prints the request rates
/// (`--nocapture`).
#[test]
fn many_connections_through_a_published_port() {
    cyrius::datadisk::test_disk();
    let (web, srv) = (free_port(), free_port());
    let mut config = QemuConfig::for_tests();
    config.publish = vec![(web, 8080), (srv, 9000)];
    let mut m = Machine::boot(&config);
    m.run("log error");
    wait_for_dhcp(&mut m);
    let long = Duration::from_secs(90);

    m.run_with_timeout(
        "oci-runtime run -d --image busybox web sh -c 'mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'",
        long,
    );
    let (status, _) = host_get(web, "/index.html");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let httpd = load(web, 50, 4, 1, "/index.html");
    httpd.report("busybox httpd");

    // epollsrv exits after exactly this many requests.
    let (clients, kept, per_conn, single) = (50, 1, 40, 200);
    let total = clients * kept * per_conn + single;
    m.send(format!("run /mnt/bin/epollsrv 9000 {total}\r").as_bytes());
    m.wait_for("epollsrv: listening", long);
    let alive = load(srv, clients, kept, per_conn, "/");
    alive.report("epollsrv keep-alive");
    let short = load(srv, 50, single / 50, 1, "/");
    short.report("epollsrv connection per request");
    let done = m.wait_for("connections", long);
    m.assert(done.contains(&format!("served {total} requests")), &format!("epollsrv's count: {done:?}"));
    m.wait_for("cyrius# ", long);

    // Inside the guest, over loopback: 50 client processes blocked in
    // read/write on a connection each; then 10 busy ones while 400 more
    // connections stay open and silent (the server's epoll watches all).
    for (args, expect) in [("50 40", "50 clients, 0 idle, 0 failed"), ("10 200 400", "10 clients, 400 idle, 0 failed")] {
        let out = m.run_with_timeout(&format!("run /mnt/bin/epollsrv selftest {args}"), long);
        let ms = out.split("failed, ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse::<f64>().ok());
        m.assert(out.contains(&format!("selftest: 2000 requests, {expect}")) && ms.is_some(), &format!("epollsrv selftest {args}: {out:?}"));
        let ms = ms.unwrap_or(1.0).max(1.0);
        eprintln!("epollsrv selftest {args} over loopback: 2000 requests in {ms:.0} ms = {:.0} req/s", 2000.0 / (ms / 1000.0));
    }
    for (what, l) in [("httpd", &httpd), ("epollsrv keep-alive", &alive), ("epollsrv", &short)] {
        m.assert(l.errors.is_empty(), &format!("{what}: {} errors, first: {:?}", l.errors.len(), l.errors.iter().take(5).collect::<Vec<_>>()));
    }
    m.run_expect("echo still alive", &["still alive"]);
    m.poweroff();
}

/// virtio-net and virtio-blk share one interrupt line on QEMU (IRQ 11).
/// While the host downloads from a container's web server over and over
/// (the card interrupts for every burst), a program in the guest writes the
/// data disk again and again (each write waits for the disk's interrupt).
/// Both must finish: neither driver may leave the line stuck, and no lock
/// may be taken by an interrupt that the code it interrupted holds.
#[test]
fn disk_and_network_interrupts_on_a_shared_line() {
    let web = free_port();
    let mut config = QemuConfig::for_tests();
    config.publish = vec![(web, 8080)];
    let mut m = Machine::boot(&config);
    m.run("log error");
    wait_for_dhcp(&mut m);
    let long = Duration::from_secs(120);
    m.run_with_timeout(
        "oci-runtime run -d --image busybox web sh -c 'mkdir -p /tmp/www && head -c 2000000 /dev/zero > /tmp/www/big && exec httpd -f -p 8080 -h /tmp/www'",
        long,
    );
    let (status, body) = host_get(web, "/big");
    assert_eq!((status.as_str(), body.len()), ("HTTP/1.1 200 OK", 2_000_000), "the first download");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let downloads = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (_, body) = host_get(web, "/big");
                assert_eq!(body.len(), 2_000_000, "download {n} was cut short");
                n += 1;
            }
            n
        })
    };
    let out = m.run_with_timeout(
        "run /mnt/bin/busybox sh -c 'i=0; while [ $i -lt 60 ]; do cat /mnt/big.bin > /mnt/copy.bin || exit 1; i=$((i+1)); done; echo wrote $i copies'",
        Duration::from_secs(240),
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    m.assert(out.contains("wrote 60 copies"), &format!("the disk writes finished: {out:?}"));
    let n = downloads.join().expect("the download thread");
    eprintln!("{n} downloads of 2 MB during 60 disk writes of 100 KB");
    m.assert(n >= 1, "the downloads went on during the disk writes");
    m.run_expect("echo still alive", &["still alive"]);
    m.poweroff();
}
