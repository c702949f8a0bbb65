//! A booted Cyrius driven through its serial console, for integration tests.
//!
//! Every wait has a timeout. Any failure (timeout, kernel panic, QEMU dying)
//! panics with a message that names what was expected and shows the console
//! transcript (kernel stack traces symbolized), so a failing test explains
//! itself. On a timeout the harness first asks the kernel for its thread dump
//! with an NMI through QEMU's monitor (a socket of its own per machine), so
//! a hang shows where every thread is.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::qemu::{ExitKind, QemuConfig};

/// The host shell's prompt.
pub const PROMPT: &str = "cyrius# ";
/// What the kernel prints when it panics.
pub const PANIC_MARKER: &str = "KERNEL PANIC";

/// How long booting to the prompt may take (TCG on a busy 2-core machine).
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default wait for a command's output.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How much of the transcript a failure shows.
const TRANSCRIPT_TAIL: usize = 6000;

#[derive(Default)]
struct Console {
    bytes: Vec<u8>,
    closed: bool,
}

pub struct Machine {
    child: Child,
    /// QEMU's monitor socket (booted machines only).
    monitor: Option<std::path::PathBuf>,
    stdin: Option<ChildStdin>,
    console: Arc<(Mutex<Console>, Condvar)>,
    /// Start of the part of the transcript not consumed by a wait yet.
    cursor: usize,
    started: Instant,
}

/// Removes ANSI escape sequences and carriage returns: what a reader sees.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {}
            '\x1b' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    // CSI: parameters and intermediates, then one final byte in @..~
                    for f in chars.by_ref() {
                        if ('@'..='~').contains(&f) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            c => out.push(c),
        }
    }
    out
}

impl Machine {
    /// Boots Cyrius with `config` and waits for the shell prompt.
    pub fn boot(config: &QemuConfig) -> Machine {
        if let Err(msg) = crate::prereq::check_qemu() {
            panic!("{msg}");
        }
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let monitor = std::env::temp_dir().join(format!("cyrius-monitor-{}-{n}.sock", std::process::id()));
        let _ = std::fs::remove_file(&monitor);
        let mut cmd = config.command();
        cmd.arg("-monitor").arg(format!("unix:{},server=on,wait=off", monitor.display()));
        let mut m = Machine::spawn(cmd);
        m.monitor = Some(monitor);
        m.wait_for(PROMPT, BOOT_TIMEOUT);
        if let Some(tap) = &config.tap {
            let out = m.run(&tap.guest_ifconfig());
            m.assert(!out.contains("usage") && !out.contains("eth0:"), &format!("static address on the tap network: {out:?}"));
        }
        m
    }

    /// Sends an NMI through QEMU's monitor: the kernel prints every thread's
    /// state and kernel stack (even when stuck with interrupts off).
    pub fn nmi(&mut self) -> bool {
        self.monitor_command("nmi")
    }

    /// A BREAK on the serial line (as Ctrl-A B on a terminal): the next key
    /// typed is a command for the kernel (`t`: the thread dump).
    pub fn send_break(&mut self) -> bool {
        self.monitor_command("chardev-send-break con0")
    }

    /// Runs one command in QEMU's monitor (booted machines only); true once
    /// the monitor has run it.
    fn monitor_command(&mut self, command: &str) -> bool {
        use std::os::unix::net::UnixStream;
        let Some(path) = self.monitor.as_ref() else { return false };
        let Ok(mut conn) = UnixStream::connect(path) else { return false };
        let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
        // The banner and prompt, then the command; the monitor has run it when
        // its next prompt appears (closing earlier may drop the command).
        let mut seen = Vec::new();
        let mut read_until_prompts = |conn: &mut UnixStream, count: usize| {
            let mut buf = [0u8; 1024];
            while seen.windows(7).filter(|w| w == b"(qemu) ").count() < count {
                match conn.read(&mut buf) {
                    Ok(n) if n > 0 => seen.extend_from_slice(&buf[..n]),
                    _ => return false,
                }
            }
            true
        };
        read_until_prompts(&mut conn, 1)
            && conn.write_all(format!("{command}\n").as_bytes()).is_ok()
            && read_until_prompts(&mut conn, 2)
    }

    /// On a timeout: an NMI, then a few seconds for the dump to arrive.
    fn dump_threads(&mut self) {
        if !self.nmi() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let (lock, cvar) = &*self.console;
        let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let start = guard.bytes.len();
        loop {
            let fresh = &guard.bytes[start..];
            // The dump ends with the last thread's trace: wait for the output to settle.
            if find(fresh, b"threads").is_some() && fresh.len() > 0 {
                let before = guard.bytes.len();
                guard = cvar.wait_timeout(guard, Duration::from_millis(500)).unwrap_or_else(|e| e.into_inner()).0;
                if guard.bytes.len() == before {
                    return;
                }
                continue;
            }
            let now = Instant::now();
            if now >= deadline || guard.closed {
                return;
            }
            guard = cvar.wait_timeout(guard, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Starts any program as the "machine" (the harness's own tests use `cat`).
    pub fn spawn(mut cmd: Command) -> Machine {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let console = Arc::new((Mutex::new(Console::default()), Condvar::new()));
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let console = Arc::clone(&console);
            thread::spawn(move || pump(stream, console));
        }
        let stdin = child.stdin.take();
        Machine { child, monitor: None, stdin, console, cursor: 0, started: Instant::now() }
    }

    /// Time since the machine was started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Everything the console printed so far, cleaned of escapes.
    pub fn transcript(&self) -> String {
        let guard = self.console.0.lock().unwrap_or_else(|e| e.into_inner());
        clean(&String::from_utf8_lossy(&guard.bytes))
    }

    fn fail(&mut self, what: &str) -> ! {
        let _ = self.child.kill();
        let t = crate::symbolize::annotate_text(&self.transcript());
        let tail = if t.len() > TRANSCRIPT_TAIL {
            let mut start = t.len() - TRANSCRIPT_TAIL;
            while !t.is_char_boundary(start) {
                start += 1;
            }
            format!("[... {start} bytes before ...]\n{}", &t[start..])
        } else {
            t
        };
        panic!(
            "{what}\n(after {:.1}s)\n----- console transcript -----\n{tail}\n----- end of transcript -----",
            self.elapsed().as_secs_f64()
        );
    }

    /// Writes raw bytes to the console (as typed keys).
    pub fn send(&mut self, bytes: &[u8]) {
        let ok = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(bytes).and_then(|_| stdin.flush()).is_ok(),
            None => false,
        };
        if !ok {
            self.fail(&format!("could not type {:?}: the machine's console is closed", String::from_utf8_lossy(bytes)));
        }
    }

    /// Waits until `needle` appears after the cursor; returns the cleaned text
    /// from the cursor up to and including it, and moves the cursor past it.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.console;
        let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let fresh = &guard.bytes[self.cursor.min(guard.bytes.len())..];
            if let Some(pos) = find(fresh, needle.as_bytes()) {
                let end = self.cursor + pos + needle.len();
                let text = clean(&String::from_utf8_lossy(&guard.bytes[self.cursor..end]));
                self.cursor = end;
                return text;
            }
            if needle != PANIC_MARKER && find(fresh, PANIC_MARKER.as_bytes()).is_some() {
                drop(guard);
                thread::sleep(Duration::from_millis(300)); // let the trace arrive
                self.fail(&format!("the kernel panicked while waiting for {needle:?}"));
            }
            if guard.closed {
                drop(guard);
                let status = self.child.wait().ok().and_then(|s| s.code());
                self.fail(&format!("the machine exited (status {status:?}) while waiting for {needle:?}"));
            }
            let now = Instant::now();
            if now >= deadline {
                drop(guard);
                self.dump_threads();
                self.fail(&format!("timed out after {timeout:?} waiting for {needle:?} (the kernel's thread dump, if it answered the NMI, is at the end)"));
            }
            guard = cvar.wait_timeout(guard, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Types `line` and Enter at the shell prompt, waits for the next prompt,
    /// and returns what the command printed (cleaned, without the echo).
    pub fn run(&mut self, line: &str) -> String {
        self.run_with_timeout(line, COMMAND_TIMEOUT)
    }

    pub fn run_with_timeout(&mut self, line: &str, timeout: Duration) -> String {
        self.run_at(PROMPT, line, timeout)
    }

    /// Like [`Machine::run_with_timeout`] for a shell whose prompt is
    /// `prompt` (e.g. a container's sh with its own `PS1`).
    pub fn run_at(&mut self, prompt: &str, line: &str, timeout: Duration) -> String {
        self.send(format!("{line}\r").as_bytes());
        // The echo of the line ends with the newline Enter produced.
        self.wait_for("\n", timeout);
        let out = self.wait_for(prompt, timeout);
        out.strip_suffix(prompt).unwrap_or(&out).to_string()
    }

    /// Runs `line` and fails unless its output contains every one of `expected`.
    pub fn run_expect(&mut self, line: &str, expected: &[&str]) -> String {
        let out = self.run(line);
        for e in expected {
            if !out.contains(e) {
                self.fail(&format!("`{line}` printed {out:?}, which lacks {e:?}"));
            }
        }
        out
    }

    /// Waits for the machine to end and says how.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitKind {
        self.stdin = None;
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return ExitKind::from_status(status.code()),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => self.fail(&format!("the machine did not end within {timeout:?}")),
            }
        }
    }

    /// Runs `poweroff` and checks that the machine ends with a clean power-off.
    pub fn poweroff(mut self) {
        self.send(b"poweroff\r");
        let kind = self.wait_exit(COMMAND_TIMEOUT);
        if kind != ExitKind::PowerOff {
            self.fail(&format!("`poweroff` ended the machine as {kind:?}, not PowerOff"));
        }
    }

    /// Fails the test with `what` and the transcript.
    pub fn assert(&mut self, ok: bool, what: &str) {
        if !ok {
            self.fail(what);
        }
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(path) = &self.monitor {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn pump(mut stream: Box<dyn Read + Send>, console: Arc<(Mutex<Console>, Condvar)>) {
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap_or(0);
        let (lock, cvar) = &*console;
        let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if n == 0 {
            guard.closed = true;
            cvar.notify_all();
            return;
        }
        guard.bytes.extend_from_slice(&buf[..n]);
        cvar.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Machine {
        Machine::spawn(Command::new("cat"))
    }

    #[test]
    fn clean_strips_escapes_and_cr() {
        assert_eq!(clean("\r\x1b[Kcyrius# \x1b[3Dab\r\n"), "cyrius# ab\n");
        assert_eq!(clean("\x1b[31mred\x1b[0m"), "red");
    }

    #[test]
    fn wait_for_returns_text_and_advances() {
        let mut m = cat();
        m.send(b"one two three");
        assert_eq!(m.wait_for("two", Duration::from_secs(5)), "one two");
        assert_eq!(m.wait_for("three", Duration::from_secs(5)), " three");
    }

    #[test]
    fn timeout_fails_with_transcript() {
        let result = std::panic::catch_unwind(|| {
            let mut m = cat();
            m.send(b"hello");
            m.wait_for("never", Duration::from_millis(200));
        });
        let msg = *result.expect_err("must fail").downcast::<String>().expect("a String panic");
        assert!(msg.contains("timed out"), "{msg}");
        assert!(msg.contains("waiting for \"never\""), "{msg}");
        assert!(msg.contains("hello"), "transcript missing: {msg}");
    }

    #[test]
    fn panic_marker_fails_fast() {
        let result = std::panic::catch_unwind(|| {
            let mut m = cat();
            m.send(b"KERNEL PANIC: boom\n");
            m.wait_for("prompt", Duration::from_secs(30));
        });
        let msg = *result.expect_err("must fail").downcast::<String>().expect("a String panic");
        assert!(msg.contains("the kernel panicked"), "{msg}");
        assert!(msg.contains("boom"), "{msg}");
    }

    #[test]
    fn early_exit_is_reported() {
        let result = std::panic::catch_unwind(|| {
            let mut m = Machine::spawn(Command::new("true"));
            m.wait_for("prompt", Duration::from_secs(30));
        });
        let msg = *result.expect_err("must fail").downcast::<String>().expect("a String panic");
        assert!(msg.contains("exited"), "{msg}");
    }

    #[test]
    fn exit_status_mapping() {
        assert_eq!(ExitKind::from_status(Some(33)), ExitKind::PowerOff);
        assert_eq!(ExitKind::from_status(Some(35)), ExitKind::Panic);
        assert_eq!(ExitKind::from_status(Some(1)), ExitKind::Other(Some(1)));
    }
}
