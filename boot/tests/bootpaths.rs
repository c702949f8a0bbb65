//! Both ways of starting the kernel reach the same working system: PVH direct
//! boot (QEMU's `-kernel` under qboot; every other test boots this way) and
//! the `bootloader` crate's BIOS disk image under SeaBIOS. Each boot reads
//! and writes the data disk, fetches from a server on the host, serves the
//! host through a published port, and powers off with isa-debug-exit.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use cyrius::{BootPath, Machine, QemuConfig};

/// Answers one HTTP/1.0 request with a fixed body.
fn serve_once(listener: TcpListener) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else { return };
        conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") {
            match conn.read(&mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => break,
            }
        }
        let body = b"hello from the host\n";
        let _ = conn.write_all(format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
        let _ = conn.write_all(body);
    })
}

/// The body of GET `path` from the guest through host port `port`, retrying
/// while the guest's server is not listening yet.
fn host_get(port: u16, path: &str) -> Vec<u8> {
    let started = Instant::now();
    loop {
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let _ = conn.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes());
            let mut raw = Vec::new();
            let _ = conn.read_to_end(&mut raw);
            if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                return raw[split + 4..].to_vec();
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no HTTP answer on host port {port}");
        thread::sleep(Duration::from_millis(300));
    }
}

fn boots_to_a_working_system(boot: BootPath) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on the host");
    let host_port = listener.local_addr().unwrap().port();
    let server = serve_once(listener);
    let web = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = QemuConfig { boot, publish: vec![(web, 8080)], ..QemuConfig::for_tests() };
    let mut m = Machine::boot(&config);

    // The memory map reached the frame allocator: most of the 512 MiB is free.
    let mem = m.run_expect("mem", &["frames:"]);
    let free_kib: u64 = mem
        .split(" free (")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    m.assert(free_kib > 480 * 1024, &format!("{boot:?}: only {free_kib} KiB free of 512 MiB"));

    // The data disk (virtio-blk): read, then write and read back.
    m.run_expect("cat /mnt/hello.txt", &["hello from the data disk"]);
    m.run_expect("echo written at boot > /mnt/bootpath.txt", &[]);
    m.run_expect("cat /mnt/bootpath.txt", &["written at boot"]);

    // The network (virtio-net): DHCP, then the guest fetches from the host...
    let started = Instant::now();
    while !m.run("ifconfig").contains("inet 10.0.2.15") {
        m.assert(started.elapsed() < Duration::from_secs(20), &format!("{boot:?}: no DHCP address after 20 s"));
        thread::sleep(Duration::from_millis(200));
    }
    m.run_expect(&format!("httpget 10.0.2.2:{host_port} /hello"), &["hello from the host"]);
    // ...and the host reaches a container's server through the published port.
    m.run_with_timeout(
        "oci-runtime run -d --image busybox web sh -c 'mkdir /tmp/w && echo served > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w'",
        Duration::from_secs(90),
    );
    let body = host_get(web, "/index.html");
    m.assert(body == b"served\n", &format!("{boot:?}: the published port answered {body:?}"));

    m.poweroff();
    server.join().expect("the host server thread");
}

#[test]
fn pvh_boot_reaches_disk_and_network() {
    boots_to_a_working_system(BootPath::Pvh);
}

#[test]
fn bios_boot_reaches_disk_and_network() {
    boots_to_a_working_system(BootPath::Bios);
}
