//! The host side of the network rows: a plain HTTP/1.0 client that talks to
//! a guest's busybox httpd (at the guest's address on a host tap device, or
//! through QEMU's port forward at 127.0.0.1:PORT), `ab` at several
//! concurrencies, and a bulk TCP sender into the guest.
//!
//! Every request is a fresh connection (HTTP/1.0: httpd closes after the body),
//! so a request costs a TCP handshake, the request, the response and the close,
//! on the same network path for both systems. Errors are one line.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// How long one request may take before it counts as failed.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// GETs `path`; the body of a "200" answer, or why not.
pub fn get(addr: SocketAddr, path: &str) -> Result<Vec<u8>, String> {
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| format!("connect to {addr}: {e}"))?;
    conn.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
    conn.set_nodelay(true).map_err(|e| e.to_string())?;
    conn.write_all(format!("GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n").as_bytes())
        .map_err(|e| format!("GET {path}: {e}"))?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).map_err(|e| format!("GET {path}: {e}"))?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| format!("GET {path}: no HTTP answer ({} bytes)", raw.len()))?;
    let status = String::from_utf8_lossy(&raw[..split]).lines().next().unwrap_or("").to_string();
    if status.split(' ').nth(1) != Some("200") {
        return Err(format!("GET {path}: {status}"));
    }
    raw.drain(..split + 4);
    Ok(raw)
}

/// Retries `GET path` until it answers `expected` (the server may still be
/// starting: QEMU accepts on the host before the guest listens), up to `within`.
pub fn wait_until_served(addr: SocketAddr, path: &str, expected: &[u8], within: Duration) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let last = match get(addr, path) {
            Ok(body) if body == expected => return Ok(()),
            Ok(body) => format!("GET {path}: {} bytes, not the {} expected", body.len(), expected.len()),
            Err(e) => e,
        };
        if started.elapsed() > within {
            return Err(format!("no server after {within:?}: {last}"));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Sequential GETs of `path` for `seconds`; each answer must be `expected`.
/// Returns requests per second.
pub fn requests_per_second(addr: SocketAddr, path: &str, expected: &[u8], seconds: f64) -> Result<f64, String> {
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        let body = get(addr, path)?;
        if body != expected {
            return Err(format!("GET {path}: {} bytes, not the {} expected", body.len(), expected.len()));
        }
        done += 1;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// One GET of `path`, which must be `bytes` long; returns MiB/s from connect to the last byte.
pub fn download(addr: SocketAddr, path: &str, bytes: usize) -> Result<f64, String> {
    let started = Instant::now();
    let body = get(addr, path)?;
    let secs = started.elapsed().as_secs_f64();
    if body.len() != bytes {
        return Err(format!("GET {path}: {} bytes, not {bytes}", body.len()));
    }
    Ok(bytes as f64 / (1024.0 * 1024.0) / secs)
}

/// `ab -t seconds -c concurrency` of `path` (a connection per request);
/// requests per second, or why not (any failed or non-2xx request).
pub fn ab(addr: SocketAddr, path: &str, concurrency: u32, seconds: f64) -> Result<f64, String> {
    let secs = (seconds.ceil() as u64).max(1).to_string();
    let url = format!("http://{addr}{path}");
    let out = Command::new("ab")
        .args(["-r", "-s", "30", "-t", &secs, "-n", "1000000", "-c", &concurrency.to_string(), &url])
        .output()
        .map_err(|e| format!("cannot run ab (scripts/setup installs apache2-utils): {e}"))?;
    let raw = String::from_utf8_lossy(&out.stdout);
    let field = |label: &str| {
        raw.lines().find_map(|l| l.trim_start().strip_prefix(label)?.split_whitespace().next()?.parse::<f64>().ok())
    };
    let complete = field("Complete requests:").unwrap_or(0.0);
    let failed = field("Failed requests:").unwrap_or(0.0) + field("Non-2xx responses:").unwrap_or(0.0);
    if !out.status.success() || complete == 0.0 || failed > 0.0 {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("ab -c {concurrency}: {complete} complete, {failed} failed {}", err.lines().last().unwrap_or("")));
    }
    field("Requests per second:").ok_or_else(|| format!("ab printed no rate: {raw}"))
}

/// Sends `bytes` to a sink at `addr` that closes after end of stream
/// (`nc -l > /dev/null`); MiB/s from connect to the sink's close.
pub fn upload(addr: SocketAddr, bytes: usize) -> Result<f64, String> {
    let started = Instant::now();
    let mut conn = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| format!("connect to {addr}: {e}"))?;
    conn.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
    let chunk = vec![0x5au8; 64 * 1024];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(chunk.len());
        conn.write_all(&chunk[..n]).map_err(|e| format!("send to {addr}: {e}"))?;
        left -= n;
    }
    conn.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).map_err(|e| format!("waiting for {addr} to close: {e}"))?;
    Ok(bytes as f64 / (1024.0 * 1024.0) / started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-thread HTTP/1.0 server for `count` connections: /small or a 404.
    fn serve(count: usize) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap();
        thread::spawn(move || {
            for _ in 0..count {
                let Ok((mut conn, _)) = listener.accept() else { return };
                let mut req = [0u8; 512];
                let n = conn.read(&mut req).unwrap_or(0);
                let answer: &[u8] = if req[..n].starts_with(b"GET /small ") {
                    b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"
                } else {
                    b"HTTP/1.0 404 Not Found\r\n\r\nno"
                };
                let _ = conn.write_all(answer);
            }
        });
        port
    }

    #[test]
    fn client_checks_status_and_body() {
        let port = serve(5);
        assert_eq!(get(port, "/small"), Ok(b"abc".to_vec()));
        assert!(get(port, "/other").unwrap_err().contains("404 Not Found"));
        assert_eq!(download(port, "/small", 3).map(|v| v > 0.0), Ok(true));
        assert!(download(port, "/small", 4).unwrap_err().contains("3 bytes, not 4"));
        wait_until_served(port, "/small", b"abc", Duration::from_secs(5)).unwrap();
    }
}
