//! The monitor: the host process that IS the container for its callers.
//! `create` starts it (`spawn`: this executable again, as a fresh process);
//! its pid is the `--pid-file` pid; it owns QEMU, talks
//! to the guest agent over the control channel, serves the CLI's requests
//! on `ctl.sock`, moves the init's standard streams between its own
//! descriptors 0-2 (inherited from `create`'s caller, or a pty's slave) and
//! the guest, and exits with the init's `$?` when the container stops (255
//! when the guest died: QEMU gone, kernel panic). It lives exactly as long
//! as the container: QEMU is killed before it exits.
//!
//! Threads: the main thread accepts CLI connections (one thread each); one
//! thread reads the channel and dispatches frames (replies to waiting
//! requests, data to output descriptors, exits to whoever waits); one
//! thread per process with standard input copies it to the guest; one
//! thread waits for QEMU.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::channel::{self, Kind};
use crate::state::{self, Record};
use crate::sys;

/// How long the guest may take from QEMU's start to the agent's hello
/// (TCG on a loaded machine boots in seconds; this is the failure bound).
const HELLO_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a request may wait for the agent's reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
/// `$?` of a container whose guest died under it.
pub const GUEST_DIED: i32 = 255;

/// What the monitor is started with (written as JSON next to the state).
pub struct Setup {
    pub root: PathBuf,
    pub record: Record,
    pub disk: PathBuf,
    pub netns: Option<String>,
    pub publish: Vec<(u16, u16)>,
    pub memory_mib: u64,
    /// Descriptors 0-2 are a pty's slave (else pipes or files).
    pub terminal: bool,
}

/// The first argument that makes a runtime binary the monitor.
pub const MONITOR_ARG: &str = "--cyrius-monitor";
/// The descriptor the monitor reports "ok" or its error on.
const READY_FD: i32 = 3;

impl Setup {
    fn to_json(&self) -> Value {
        json!({
            "root": self.root, "record": self.record.to_json(), "disk": self.disk, "netns": self.netns,
            "publish": self.publish, "memoryMib": self.memory_mib, "terminal": self.terminal,
        })
    }

    fn from_json(v: &Value) -> Option<Setup> {
        Some(Setup {
            root: PathBuf::from(v.get("root")?.as_str()?),
            record: Record::from_json(v.get("record")?)?,
            disk: PathBuf::from(v.get("disk")?.as_str()?),
            netns: v.get("netns").and_then(Value::as_str).map(String::from),
            publish: v
                .get("publish")?
                .as_array()?
                .iter()
                .map(|p| Some((p.get(0)?.as_u64()? as u16, p.get(1)?.as_u64()? as u16)))
                .collect::<Option<Vec<_>>>()?,
            memory_mib: v.get("memoryMib")?.as_u64()?,
            terminal: v.get("terminal")?.as_bool()?,
        })
    }
}

/// Starts the monitor of a new container: this same executable again
/// (`/proc/self/exe MONITOR_ARG SETUP-FILE`; a fresh process, so a caller
/// with threads, as the containerd shim, can start one safely) with `stdio`
/// as its descriptors 0-2. Waits until the container is created (the guest
/// booted, its agent created the container) or failed; returns the
/// monitor's pid and its phase timings. A monitor that failed is gone.
pub fn spawn(setup: &Setup, stdio: crate::api::Stdio) -> Result<(i32, String), String> {
    use crate::api::Stdio as S;
    use std::os::unix::process::CommandExt;
    let dir = state::dir(&setup.root, &setup.record.id);
    let setup_file = dir.join("monitor.json");
    std::fs::write(&setup_file, setup.to_json().to_string()).map_err(|e| format!("{}: {e}", setup_file.display()))?;
    let (mut ready_r, ready_w) = sys::pipe().map_err(|e| format!("pipe: {e}"))?;
    let mut cmd = Command::new("/proc/self/exe");
    if let Ok(exe) = std::env::current_exe() {
        cmd.arg0(exe);
    }
    cmd.arg(MONITOR_ARG).arg(&setup_file);
    match stdio {
        S::Inherit => {}
        S::Fds([i, o, e]) => {
            cmd.stdin(Stdio::from(i)).stdout(Stdio::from(o)).stderr(Stdio::from(e));
        }
        S::Terminal(slave) => {
            let f = File::from(slave);
            let (a, b) = (f.try_clone().map_err(|e| e.to_string())?, f.try_clone().map_err(|e| e.to_string())?);
            cmd.stdin(Stdio::from(f)).stdout(Stdio::from(a)).stderr(Stdio::from(b));
        }
    }
    let w = ready_w.as_raw_fd();
    // SAFETY: between fork and exec the closure only calls dup2/fcntl,
    // which are async-signal-safe, on descriptors this process owns.
    unsafe {
        cmd.pre_exec(move || {
            let r = if w == READY_FD { libc::fcntl(w, libc::F_SETFD, 0) } else { libc::dup2(w, READY_FD) };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| format!("starting the monitor: {e}"))?;
    drop(cmd);
    drop(ready_w);
    let pid = child.id() as i32;
    let mut answer = String::new();
    let _ = ready_r.read_to_string(&mut answer);
    if answer.lines().next() != Some("ok") {
        let _ = sys::kill(pid, libc::SIGKILL);
        let _ = sys::waitpid(pid);
        let msg = answer.trim();
        return Err(if msg.is_empty() { String::from("the container's monitor failed") } else { msg.to_string() });
    }
    Ok((pid, answer.lines().nth(1).unwrap_or("").to_string()))
}

/// The monitor's `main`: if this process was started as a monitor
/// ([`spawn`]), runs it and returns its exit status; else `None`.
pub fn main_if_requested() -> Option<i32> {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(std::ffi::OsStr::new(MONITOR_ARG)) {
        return None;
    }
    // SAFETY: descriptor 3 was set up by `spawn` for this process alone;
    // close-on-exec keeps it from QEMU.
    let ready = unsafe {
        libc::fcntl(READY_FD, libc::F_SETFD, libc::FD_CLOEXEC);
        File::from_raw_fd(READY_FD)
    };
    let setup = args
        .next()
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| Setup::from_json(&v));
    Some(match setup {
        Some(setup) => run(setup, ready),
        None => {
            let mut ready = ready;
            let _ = writeln!(ready, "the monitor's setup file is missing or malformed");
            1
        }
    })
}

struct Shared {
    root: PathBuf,
    id: String,
    writer: Mutex<UnixStream>,
    pending: Mutex<HashMap<u32, mpsc::Sender<Result<String, String>>>>,
    next_tag: AtomicU32,
    next_handle: AtomicU32,
    /// Where a stream's data goes (stream = handle*4 + fd).
    outputs: Mutex<HashMap<u32, File>>,
    /// Who waits for a process's end, by handle.
    exits: Mutex<HashMap<u32, mpsc::Sender<i32>>>,
    /// The init's `$?` once the container stopped.
    ended: Mutex<Option<i32>>,
    ended_cv: Condvar,
    record: Mutex<Record>,
    /// Told `true` at the agent's hello, `false` if QEMU ends first.
    hello: Mutex<Option<mpsc::Sender<bool>>>,
}

impl Shared {
    fn send(&self, kind: Kind, stream: u32, payload: &[u8]) -> io::Result<()> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).write_all(&channel::encode(kind, stream, payload))
    }

    /// Sends a request to the agent and waits for its reply.
    fn call(&self, words: &[&str]) -> Result<String, String> {
        let tag = self.next_tag.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).insert(tag, tx);
        if let Err(e) = self.send(Kind::Request, tag, &channel::request(words)) {
            self.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&tag);
            return Err(format!("guest channel: {e}"));
        }
        match rx.recv_timeout(REPLY_TIMEOUT) {
            Ok(r) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("the guest did not answer {:?} in time", words.first())),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(String::from("the guest is gone")),
        }
    }

    fn set_status(&self, status: &str, exit: Option<i32>) {
        let mut r = self.record.lock().unwrap_or_else(|e| e.into_inner());
        r.status = String::from(status);
        if exit.is_some() {
            r.exit = exit;
        }
        if let Err(e) = r.save(&self.root) {
            eprintln!("cyrius-runtime: saving state of {}: {e}", self.id);
        }
    }

    /// The container stopped with `code` (the first report wins).
    fn end(&self, code: i32) {
        let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        if ended.is_none() {
            *ended = Some(code);
            self.ended_cv.notify_all();
        }
    }

    /// Copies `input` to stream handle*4 until its end, then ends the stream.
    fn pump_stdin(self: &Arc<Self>, handle: u32, mut input: File) {
        let shared = self.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; channel::MAX_PAYLOAD];
            loop {
                match input.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if shared.send(Kind::Data, handle * 4, &buf[..n]).is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = shared.send(Kind::End, handle * 4, b"");
        });
    }
}

/// Reads the channel until it ends; dispatches each frame.
fn reader(shared: Arc<Shared>, mut chan: UnixStream) {
    loop {
        let frame = match channel::read_frame(&mut chan) {
            Ok(Some(f)) => f,
            Ok(None) | Err(_) => break,
        };
        match frame.kind {
            Kind::Hello => {
                if frame.payload == channel::VERSION_HELLO {
                    if let Some(tx) = shared.hello.lock().unwrap_or_else(|e| e.into_inner()).take() {
                        let _ = tx.send(true);
                    }
                } else {
                    eprintln!("cyrius-runtime: unknown agent version {:?}", String::from_utf8_lossy(&frame.payload));
                }
            }
            Kind::Reply => {
                if let Some(tx) = shared.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&frame.stream) {
                    let _ = tx.send(channel::parse_reply(&frame.payload));
                }
            }
            Kind::Data => {
                let mut outputs = shared.outputs.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(out) = outputs.get_mut(&frame.stream) {
                    if out.write_all(&frame.payload).is_err() {
                        outputs.remove(&frame.stream);
                    }
                }
            }
            Kind::End => {
                shared.outputs.lock().unwrap_or_else(|e| e.into_inner()).remove(&frame.stream);
            }
            Kind::Exit => {
                let code = std::str::from_utf8(&frame.payload).ok().and_then(|s| s.parse().ok()).unwrap_or(GUEST_DIED);
                if frame.stream == 0 {
                    shared.end(code);
                } else if let Some(tx) = shared.exits.lock().unwrap_or_else(|e| e.into_inner()).remove(&frame.stream) {
                    let _ = tx.send(code);
                }
            }
            Kind::Request => {}
        }
    }
    // Nobody answers any more: fail the waiting requests and process waits.
    shared.pending.lock().unwrap_or_else(|e| e.into_inner()).clear();
    shared.exits.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// QEMU's command line: the runner's machine with the bundle disk and the
/// control channel (a virtio-console on a socket QEMU inherits as `fd`);
/// with `hmp_fd`, QEMU's human monitor on that socket (port forwarding).
fn qemu_command(setup: &Setup, chan_fd: i32, hmp_fd: Option<i32>, log: File) -> io::Result<Command> {
    let config = cyrius::QemuConfig {
        memory_mib: setup.memory_mib,
        data_disk: Some(setup.disk.clone()),
        data_disk_snapshot: true,
        publish: setup.publish.clone(),
        ..cyrius::QemuConfig::default()
    };
    let mut cmd = config.command();
    cmd.args(["-chardev", &format!("socket,id=agent,fd={chan_fd}")]);
    cmd.args(["-device", "virtio-serial-pci,id=vser0", "-device", "virtconsole,bus=vser0.0,chardev=agent"]);
    if let Some(fd) = hmp_fd {
        cmd.args(["-chardev", &format!("socket,id=hmp,fd={fd}"), "-mon", "chardev=hmp,mode=readline"]);
    }
    cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only calls prctl, which is
    // async-signal-safe. QEMU dies with the monitor (spawned by its main
    // thread, which lives as long as the monitor), even a SIGKILLed one.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(cmd)
}

/// Clears close-on-exec so QEMU inherits the descriptor.
fn inheritable(fd: i32) -> io::Result<()> {
    // SAFETY: F_SETFD on a descriptor we own has no memory-safety preconditions.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The monitor's body (the process `spawn` started). Reports "ok" or the error on
/// `ready`; returns the exit code.
fn run(setup: Setup, mut ready: File) -> i32 {
    sys::ignore_sigpipe();
    match boot(setup, &mut ready) {
        Ok((shared, listener, qemu)) => {
            drop(ready);
            serve(shared, listener, qemu)
        }
        Err(e) => {
            let _ = writeln!(ready, "{e}");
            1
        }
    }
}

fn boot(setup: Setup, ready: &mut File) -> Result<(Arc<Shared>, UnixListener, Arc<Mutex<Child>>), String> {
    let dir = state::dir(&setup.root, &setup.record.id);
    if let Some(ns) = &setup.netns {
        sys::join_netns(ns).map_err(|e| format!("joining network namespace {ns}: {e}"))?;
    }
    let (ours, theirs) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
    inheritable(theirs.as_raw_fd()).map_err(|e| format!("socketpair: {e}"))?;
    // The container's own network namespace: its listening ports are
    // forwarded there (QEMU's human monitor adds each as it appears).
    let hmp = match &setup.netns {
        Some(_) => {
            let (ours, theirs) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
            inheritable(theirs.as_raw_fd()).map_err(|e| format!("socketpair: {e}"))?;
            Some((ours, theirs))
        }
        None => None,
    };
    let log = File::create(dir.join("guest.log")).map_err(|e| format!("guest.log: {e}"))?;
    let mut cmd = qemu_command(&setup, theirs.as_raw_fd(), hmp.as_ref().map(|h| h.1.as_raw_fd()), log).map_err(|e| format!("qemu: {e}"))?;
    let t0 = std::time::Instant::now();
    let child = cmd.spawn().map_err(|e| format!("starting {}: {e}", cyrius::prereq::QEMU))?;
    drop(theirs);
    let hmp = hmp.map(|(ours, _theirs)| ours);
    let qemu_pid = child.id() as i32;
    let qemu = Arc::new(Mutex::new(child));
    let kill_qemu = |qemu: &Arc<Mutex<Child>>| {
        let mut q = qemu.lock().unwrap_or_else(|e| e.into_inner());
        let _ = q.kill();
        let _ = q.wait();
    };

    // Descriptors of the init's standard streams (0-2: the caller's, or a pty's slave).
    // SAFETY: 0, 1 and 2 are open (set up by `spawn`); dup gives us
    // descriptors of our own to wrap.
    let (stdin, stdout, stderr) = unsafe {
        let d = |fd| {
            let n = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0);
            if n < 0 {
                Err(io::Error::last_os_error().to_string())
            } else {
                Ok(File::from_raw_fd(n))
            }
        };
        (d(0)?, d(1)?, d(2)?)
    };

    let mut record = setup.record.clone();
    record.pid = std::process::id() as i32;
    record.start_time = sys::start_time(record.pid).unwrap_or(0);
    record.qemu_pid = qemu_pid;
    record.status = String::from("creating");
    let (hello_tx, hello_rx) = mpsc::channel();
    let shared = Arc::new(Shared {
        root: setup.root.clone(),
        id: record.id.clone(),
        writer: Mutex::new(ours.try_clone().map_err(|e| e.to_string())?),
        pending: Mutex::new(HashMap::new()),
        next_tag: AtomicU32::new(1),
        next_handle: AtomicU32::new(1),
        outputs: Mutex::new([(1, stdout), (2, stderr)].into_iter().collect()),
        exits: Mutex::new(HashMap::new()),
        ended: Mutex::new(None),
        ended_cv: Condvar::new(),
        record: Mutex::new(record),
        hello: Mutex::new(Some(hello_tx)),
    });
    let r = shared.clone();
    std::thread::spawn(move || reader(r, ours));
    // QEMU's end: a stop the agent did not report is a dead guest.
    let (w, q) = (shared.clone(), qemu.clone());
    std::thread::spawn(move || loop {
        let status = q.lock().unwrap_or_else(|e| e.into_inner()).try_wait();
        match status {
            Ok(Some(_)) | Err(_) => {
                if let Some(tx) = w.hello.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    let _ = tx.send(false);
                }
                w.end(GUEST_DIED);
                return;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    });

    match hello_rx.recv_timeout(HELLO_TIMEOUT) {
        Ok(true) => {}
        Ok(false) => return Err(format!("the guest stopped before its agent started: {}", guest_error(&dir))),
        Err(_) => {
            kill_qemu(&qemu);
            return Err(format!("the guest did not start in {} s: {}", HELLO_TIMEOUT.as_secs(), guest_error(&dir)));
        }
    }
    let hello_ms = t0.elapsed().as_millis();
    let id = setup.record.id.clone();
    if let Err(e) = shared.call(&["create", &id, "/run/bundle.tar"]) {
        kill_qemu(&qemu);
        return Err(format!("{e}: {}", guest_error(&dir)));
    }
    let sock = state::ctl_socket(&setup.root, &id);
    let _ = std::fs::remove_file(&sock);
    let listener = UnixListener::bind(&sock).map_err(|e| format!("{}: {e}", sock.display()))?;
    shared.set_status("created", None);
    if let Some(hmp) = hmp {
        let taken: Vec<u16> = setup.publish.iter().map(|&(host, _)| host).collect();
        let (s, log) = (shared.clone(), dir.join("hmp.log"));
        std::thread::spawn(move || forward_ports(&s, hmp, &taken, &log));
    }
    // The init's input flows from start on.
    *STDIN.lock().unwrap_or_else(|e| e.into_inner()) = Some(stdin);
    let created_ms = t0.elapsed().as_millis();
    let _ = writeln!(ready, "ok\nQEMU start -> agent hello {hello_ms} ms, -> container created {created_ms} ms");
    Ok((shared, listener, qemu))
}

static STDIN: Mutex<Option<File>> = Mutex::new(None);

/// A failed guest verb's error with the kernel's reason, which the agent's
/// errno reply leaves out: its last "host VERB: ..." console line.
fn with_reason(shared: &Shared, verb: &str, e: String) -> String {
    let log = std::fs::read_to_string(state::dir(&shared.root, &shared.id).join("guest.log")).unwrap_or_default();
    let needle = format!("host {verb}: ");
    match log.lines().rev().find_map(|l| l.split_once(&needle).map(|(_, reason)| reason.trim().to_string())) {
        Some(reason) if !reason.is_empty() => format!("{e}: {reason}"),
        _ => e,
    }
}

/// How often the guest is asked which TCP ports it listens on.
const PORTS_EVERY: Duration = Duration::from_millis(250);

/// Publishing without being told the ports: a container given a network
/// namespace of its own (podman's, CRI's) is reachable there on the TCP
/// ports it listens on, as a Linux container is. QEMU's user network
/// lives in that namespace, so each port the guest listens on gets a
/// forward from the same port there (`hostfwd_add`, on QEMU's human
/// monitor `hmp`), removed when the guest stops listening; whatever maps
/// host ports into the namespace (podman's `-p`) then arrives. Ports in
/// `taken` are the annotation's host ports, already forwarded. QEMU's
/// answers are kept in `log`.
fn forward_ports(shared: &Arc<Shared>, hmp: UnixStream, taken: &[u16], log: &Path) {
    if let (Ok(mut from), Ok(mut to)) = (hmp.try_clone(), File::create(log)) {
        std::thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
        });
    }
    let mut hmp = hmp;
    let mut forwarded: std::collections::BTreeSet<u16> = std::collections::BTreeSet::new();
    loop {
        std::thread::sleep(PORTS_EVERY);
        if shared.ended.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
            return;
        }
        let Ok(text) = shared.call(&["ports"]) else { return };
        let now: std::collections::BTreeSet<u16> =
            text.split_whitespace().filter_map(|p| p.parse().ok()).filter(|p| !taken.contains(p)).collect();
        for p in now.difference(&forwarded) {
            if writeln!(hmp, "hostfwd_add net0 tcp::{p}-:{p}").is_err() {
                return;
            }
        }
        for p in forwarded.difference(&now) {
            if writeln!(hmp, "hostfwd_remove net0 tcp::{p}").is_err() {
                return;
            }
        }
        forwarded = now;
    }
}

/// The guest kernel's last error line (or last line) from its console log.
fn guest_error(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("guest.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let pick = lines.iter().rev().find(|l| l.contains("ERROR") || l.contains("WARN") || l.contains("panic")).or(lines.last());
    let text = pick.map_or("no console output", |l| l);
    // The kernel colours its level names.
    text.replace("\u{1b}[31m", "").replace("\u{1b}[0m", "").replace("\u{1b}[33m", "")
}

fn serve(shared: Arc<Shared>, listener: UnixListener, qemu: Arc<Mutex<Child>>) -> i32 {
    let s = shared.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let s = s.clone();
            std::thread::spawn(move || client(&s, conn));
        }
    });
    let code = {
        let mut ended = shared.ended.lock().unwrap_or_else(|e| e.into_inner());
        while ended.is_none() {
            ended = shared.ended_cv.wait(ended).unwrap_or_else(|e| e.into_inner());
        }
        ended.unwrap_or(GUEST_DIED)
    };
    {
        let mut q = qemu.lock().unwrap_or_else(|e| e.into_inner());
        let _ = q.kill();
        let _ = q.wait();
    }
    let _ = std::fs::remove_file(state::ctl_socket(&shared.root, &shared.id));
    shared.set_status("stopped", Some(code));
    // Flush what the init wrote (the reader wrote it before the exit frame).
    shared.outputs.lock().unwrap_or_else(|e| e.into_inner()).clear();
    code
}

fn reply(conn: &mut UnixStream, v: Value) {
    let mut line = v.to_string();
    line.push('\n');
    let _ = conn.write_all(line.as_bytes());
}

/// One CLI connection: a JSON request line (with descriptors for exec).
fn client(shared: &Arc<Shared>, mut conn: UnixStream) {
    let mut buf = vec![0u8; 1 << 20];
    let (n, fds) = match sys::recv_fds(&conn, &mut buf, 3) {
        Ok(r) => r,
        Err(_) => return,
    };
    let req: Value = match serde_json::from_slice(buf[..n].trim_ascii_end()) {
        Ok(v) => v,
        Err(e) => return reply(&mut conn, json!({ "error": format!("bad request: {e}") })),
    };
    let id = shared.id.clone();
    let op = req.get("op").and_then(Value::as_str).unwrap_or("");
    let result: Result<Value, String> = match op {
        "start" => {
            let status = shared.record.lock().unwrap_or_else(|e| e.into_inner()).status.clone();
            if status != "created" {
                Err(format!("cannot start a container that has {status}"))
            } else {
                shared.call(&["start", &id, "0"]).map_err(|e| with_reason(shared, "start", e)).map(|_| {
                    shared.set_status("running", None);
                    if let Some(stdin) = STDIN.lock().unwrap_or_else(|e| e.into_inner()).take() {
                        shared.pump_stdin(0, stdin);
                    }
                    json!({})
                })
            }
        }
        "kill" => {
            let sig = req.get("signal").and_then(Value::as_i64).unwrap_or(15);
            let all = req.get("all").and_then(Value::as_bool).unwrap_or(false);
            let status = shared.record.lock().unwrap_or_else(|e| e.into_inner()).status.clone();
            if status == "created" {
                // The init has not started: like runc's, the container just ends.
                shared.end(128 + sig as i32);
                Ok(json!({}))
            } else {
                shared.call(&["kill", &id, &sig.to_string(), if all { "1" } else { "0" }]).map(|_| json!({}))
            }
        }
        "ps" => shared.call(&["ps", &id]).map(|pids| {
            let list: Vec<u64> = pids.split_whitespace().filter_map(|p| p.parse().ok()).collect();
            json!({ "pids": list })
        }),
        "destroy" => {
            shared.end(128 + libc::SIGKILL);
            Ok(json!({}))
        }
        "exec" => return exec(shared, conn, &req, fds),
        other => Err(format!("unknown request {other:?}")),
    };
    match result {
        Ok(v) => reply(&mut conn, json!({ "ok": v })),
        Err(e) => reply(&mut conn, json!({ "error": e })),
    }
}

/// `exec`: a new process in the container with the client's three
/// descriptors as its standard streams; answers `{"ok":{"pid":P,"handle":H}}` once started
/// and `{"exit": $?}` when it ends.
fn exec(shared: &Arc<Shared>, mut conn: UnixStream, req: &Value, fds: Vec<OwnedFd>) {
    let strings = |k: &str| -> Vec<String> {
        req.get("process").and_then(|p| p.get(k)).and_then(Value::as_array).map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
    };
    let args = strings("args");
    let env = strings("env");
    let cwd = req.get("process").and_then(|p| p.get("cwd")).and_then(Value::as_str).unwrap_or("/").to_string();
    if args.is_empty() {
        return reply(&mut conn, json!({ "error": "process.args is empty" }));
    }
    if fds.len() != 3 {
        return reply(&mut conn, json!({ "error": "exec needs three descriptors" }));
    }
    let mut fds = fds.into_iter().map(File::from);
    let (Some(stdin), Some(stdout), Some(stderr)) = (fds.next(), fds.next(), fds.next()) else { return };
    let handle = shared.next_handle.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel();
    shared.exits.lock().unwrap_or_else(|e| e.into_inner()).insert(handle, tx);
    {
        let mut outputs = shared.outputs.lock().unwrap_or_else(|e| e.into_inner());
        outputs.insert(handle * 4 + 1, stdout);
        outputs.insert(handle * 4 + 2, stderr);
    }
    let id = shared.id.clone();
    let h = handle.to_string();
    let argc = args.len().to_string();
    let mut words: Vec<&str> = vec!["exec", &id, &h, &cwd, &argc];
    words.extend(args.iter().map(String::as_str));
    words.extend(env.iter().map(String::as_str));
    let pid = match shared.call(&words).map_err(|e| with_reason(shared, "exec", e)) {
        Ok(pid) => pid.parse::<u64>().unwrap_or(0),
        Err(e) => {
            shared.exits.lock().unwrap_or_else(|e| e.into_inner()).remove(&handle);
            let mut outputs = shared.outputs.lock().unwrap_or_else(|e| e.into_inner());
            outputs.remove(&(handle * 4 + 1));
            outputs.remove(&(handle * 4 + 2));
            return reply(&mut conn, json!({ "error": e }));
        }
    };
    shared.pump_stdin(handle, stdin);
    reply(&mut conn, json!({ "ok": { "pid": pid, "handle": handle } }));
    // Signals for the process come on the same connection.
    let s = shared.clone();
    if let Ok(c) = conn.try_clone() {
        std::thread::spawn(move || {
            for line in BufReader::new(c).lines() {
                let Ok(line) = line else { break };
                if let Some(sig) = serde_json::from_str::<Value>(&line).ok().and_then(|v| v.get("signal")?.as_i64()) {
                    let _ = s.call(&["signal", &handle.to_string(), &sig.to_string()]);
                }
            }
        });
    }
    let code = rx.recv().unwrap_or(GUEST_DIED);
    reply(&mut conn, json!({ "exit": code }));
}

/// Sends one request to a container's monitor and reads the first answer line.
pub fn request(root: &Path, id: &str, req: &Value, fds: &[i32]) -> Result<(UnixStream, Value), String> {
    let sock = state::ctl_socket(root, id);
    let conn = UnixStream::connect(&sock).map_err(|e| format!("container {id} is not running ({e})"))?;
    let mut line = req.to_string();
    line.push('\n');
    sys::send_fds(&conn, line.as_bytes(), fds).map_err(|e| format!("{}: {e}", sock.display()))?;
    let answer = read_line(&conn)?;
    Ok((conn, answer))
}

/// Reads one JSON line from the monitor.
pub fn read_line(conn: &UnixStream) -> Result<Value, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let mut c = conn;
    loop {
        match c.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    if line.is_empty() {
        return Err(String::from("the container's monitor ended"));
    }
    serde_json::from_slice(&line).map_err(|e| format!("bad answer from the monitor: {e}"))
}
