//! A small HTTP/1.1 server on tokio's multi-threaded runtime.
//!
//!     tokioserver [ADDR]        (default 0.0.0.0:8081)
//!
//! GET /            -> "hello from tokio\n"
//! GET /status/NNN  -> an empty reply with status NNN
//! GET /spawn?n=N   -> N tasks each add their index into a shared total; prints it
//! GET /sleep?ms=M  -> answers after M ms (tokio timers)
//! Connections are kept alive unless the client says `Connection: close`;
//! SIGTERM ends the server cleanly (it prints "bye").

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "0.0.0.0:8081".to_string());
    let listener = match TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tokioserver: bind {addr}: {e}");
            std::process::exit(1);
        }
    };
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tokioserver: signal handler: {e}");
            std::process::exit(1);
        }
    };
    println!("tokioserver listening on {addr}");
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve(stream));
                }
                Err(e) => eprintln!("tokioserver: accept: {e}"),
            },
            _ = term.recv() => {
                println!("bye");
                return;
            }
        }
    }
}

async fn serve(stream: TcpStream) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request = String::new();
        match reader.read_line(&mut request).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut close = false;
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if header.to_ascii_lowercase() == "connection: close" {
                close = true;
            }
        }
        let target = request.split_whitespace().nth(1).unwrap_or("/").to_string();
        if request.contains("HTTP/1.0") {
            close = true;
        }
        let (status, body) = respond(&target).await;
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\n{}\r\n{body}",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        if write.write_all(reply.as_bytes()).await.is_err() || close {
            return;
        }
    }
}

fn query(target: &str, key: &str) -> Option<u64> {
    let (_, q) = target.split_once('?')?;
    q.split('&').find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

async fn respond(target: &str) -> (String, String) {
    let path = target.split('?').next().unwrap_or("/");
    match path {
        "/" => ("200 OK".into(), "hello from tokio\n".into()),
        "/spawn" => match query(target, "n") {
            Some(n) if n <= 100_000 => {
                let total = Arc::new(AtomicU64::new(0));
                let tasks: Vec<_> = (1..=n)
                    .map(|i| {
                        let total = total.clone();
                        tokio::spawn(async move {
                            total.fetch_add(i, Ordering::Relaxed);
                        })
                    })
                    .collect();
                for t in tasks {
                    let _ = t.await;
                }
                ("200 OK".into(), format!("{}\n", total.load(Ordering::Relaxed)))
            }
            _ => ("400 Bad Request".into(), "bad n\n".into()),
        },
        "/sleep" => match query(target, "ms") {
            Some(ms) if ms <= 10_000 => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                ("200 OK".into(), format!("slept {ms}\n"))
            }
            _ => ("400 Bad Request".into(), "bad ms\n".into()),
        },
        _ => match path.strip_prefix("/status/").and_then(|c| c.parse::<u16>().ok()) {
            Some(code) if (100..600).contains(&code) => (format!("{code} Status"), String::new()),
            _ => ("404 Not Found".into(), "not found\n".into()),
        },
    }
}
