//! A throwaway registry for tests: Debian's `docker-registry` (the distribution reference
//! implementation) serving on a free loopback port, storage in a directory the caller owns.
//! The process is killed when the value is dropped.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The registry binary (package `docker-registry`).
pub const BINARY: &str = "docker-registry";

/// A running registry.
pub struct LocalRegistry {
    child: Child,
    pub port: u16,
}

impl LocalRegistry {
    /// Whether the registry binary is installed.
    pub fn available() -> bool {
        Command::new(BINARY).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
    }

    /// Starts a registry keeping its data under `dir`, and waits until it listens.
    pub fn start(dir: &Path) -> Result<LocalRegistry, String> {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let config = dir.join("registry.yml");
        let storage = dir.join("registry-storage");
        let text = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        );
        fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
        let child = Command::new(BINARY)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{BINARY}: {e} (scripts/setup installs the docker-registry package)"))?;
        let mut registry = LocalRegistry { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = registry.child.try_wait() {
                return Err(format!("{BINARY} exited with {status}"));
            }
            if started.elapsed() > Duration::from_secs(20) {
                return Err(format!("{BINARY} did not listen on 127.0.0.1:{port} within 20 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(registry)
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
