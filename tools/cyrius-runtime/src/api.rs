//! The runtime's verbs as library calls: what the runc-style CLI
//! (`commands.rs`) and the containerd shim (`tools/containerd-shim-cyrius`)
//! both do to a container. Each container is a microVM owned by its monitor
//! process (`monitor.rs`); these calls create it and then talk to it over
//! its control socket. Errors are runc's messages as strings.

use std::fs;
use std::os::fd::{OwnedFd, RawFd};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::state::{self, Record};
use crate::{disk, monitor, sys};

/// Where a new container's init reads and writes.
pub enum Stdio {
    /// The caller's own descriptors 0-2.
    Inherit,
    /// These three descriptors (stdin, stdout, stderr).
    Fds([OwnedFd; 3]),
    /// A terminal: the slave side of a pty (its master is the caller's).
    Terminal(OwnedFd),
}

/// runc's rule for ids (`^[\w+-\.]+$`, not `.` or `..`).
pub fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id != "."
        && id != ".."
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+-.".contains(&b))
        && id.len() <= 1024;
    if ok {
        Ok(())
    } else {
        Err(format!("invalid id format: {id}"))
    }
}

/// The container's record (its state as the monitor last wrote it).
pub fn load(root: &Path, id: &str) -> Result<Record, String> {
    check_id(id)?;
    Record::load(root, id).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => String::from("container does not exist"),
        _ => format!("container {id}: {e}"),
    })
}

fn now() -> (i64, u32) {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (d.as_secs() as i64, d.subsec_nanos())
}

/// Guest memory: the spec's memory limit plus room for the kernel, else 512 MiB.
fn memory_mib(spec: &oci::Spec) -> u64 {
    let limit = spec.linux.as_ref().and_then(|l| l.resources.as_ref()).and_then(|r| r.memory.as_ref()).and_then(|m| m.limit);
    match limit {
        Some(bytes) if bytes > 0 => ((bytes as u64) >> 20).saturating_add(128).clamp(192, 16384),
        _ => 512,
    }
}

/// Ports to publish: the annotation `io.cyrius.publish` ("8080:80,9090:90").
pub fn publish(spec: &oci::Spec) -> Result<Vec<(u16, u16)>, String> {
    let Some(list) = spec.annotations.get("io.cyrius.publish") else { return Ok(Vec::new()) };
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|pair| {
            let (h, c) = pair.trim().split_once(':').ok_or_else(|| format!("io.cyrius.publish: {pair:?} is not HOST:CONTAINER"))?;
            let port = |s: &str| s.parse::<u16>().map_err(|_| format!("io.cyrius.publish: bad port {s:?}"));
            Ok((port(h)?, port(c)?))
        })
        .collect()
}

/// A container that `create` made: its monitor's pid and how long the phases took.
pub struct Created {
    pub pid: i32,
    pub timing: String,
}

/// Creates container `id` from the bundle at `bundle_dir`: checks the
/// bundle, writes the bundle disk, starts the monitor (which boots the VM
/// and has the guest create the container) and waits until it is created.
/// On failure nothing is left under `root`.
pub fn create(root: &Path, id: &str, bundle_dir: &Path, stdio: Stdio) -> Result<Created, String> {
    check_id(id)?;
    fs::DirBuilder::new().recursive(true).mode(0o700).create(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let dir = state::dir(root, id);
    if dir.exists() {
        return Err(format!("container with id exists: {id}"));
    }
    let bundle = disk::load(bundle_dir)?;
    let publish = publish(&bundle.spec)?;
    match fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(format!("container with id exists: {id}")),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    }
    let result = create_in(root, id, &dir, bundle, stdio, publish);
    if result.is_err() {
        let _ = fs::remove_dir_all(&dir);
    }
    result
}

fn create_in(root: &Path, id: &str, dir: &Path, bundle: disk::Bundle, stdio: Stdio, publish: Vec<(u16, u16)>) -> Result<Created, String> {
    let started = Instant::now();
    let disk_path = dir.join("disk.tar");
    let size = disk::build(&bundle, &disk_path)?;
    let disk_ms = started.elapsed().as_millis();
    let record = Record {
        id: id.to_string(),
        bundle: bundle.dir.display().to_string(),
        rootfs: bundle.rootfs.display().to_string(),
        oci_version: bundle.spec.oci_version.clone(),
        pid: 0,
        start_time: 0,
        qemu_pid: 0,
        status: String::from("creating"),
        exit: None,
        created: now(),
        annotations: bundle.spec.annotations.clone(),
    };
    let setup = monitor::Setup {
        root: root.to_path_buf(),
        record,
        disk: disk_path,
        netns: bundle.netns.clone(),
        publish,
        memory_mib: memory_mib(&bundle.spec),
        terminal: matches!(stdio, Stdio::Terminal(_)),
    };
    let (pid, answer) = monitor::spawn(&setup, stdio)?;
    Ok(Created {
        pid,
        timing: format!(
            "bundle disk {} KiB written in {disk_ms} ms; created in {} ms (monitor {pid}; {answer})",
            size / 1024,
            started.elapsed().as_millis()
        ),
    })
}

fn answer_ok(answer: Value) -> Result<Value, String> {
    match answer.get("error").and_then(Value::as_str) {
        Some(e) => Err(e.to_string()),
        None => Ok(answer.get("ok").cloned().unwrap_or(Value::Null)),
    }
}

/// Starts the init of a created container.
pub fn start(root: &Path, id: &str) -> Result<(), String> {
    let r = load(root, id)?;
    match r.effective_status() {
        "created" => {}
        "stopped" => return Err(String::from("cannot start a container that has stopped")),
        "running" => return Err(String::from("cannot start an already running container")),
        other => return Err(format!("cannot start a container in the {other} state")),
    }
    let (_, answer) = monitor::request(root, id, &json!({ "op": "start" }), &[])?;
    answer_ok(answer).map(|_| ())
}

/// Sends `sig` to the init (`all`: to every process of the container).
pub fn kill(root: &Path, id: &str, sig: i32, all: bool) -> Result<(), String> {
    let r = load(root, id)?;
    if r.effective_status() == "stopped" {
        return Err(String::from("container not running"));
    }
    let (_, answer) = monitor::request(root, id, &json!({ "op": "kill", "signal": sig, "all": all }), &[])?;
    answer_ok(answer).map(|_| ())
}

/// Removes a stopped container (`force`: a running one too, killing it).
pub fn delete(root: &Path, id: &str, force: bool) -> Result<(), String> {
    let r = match load(root, id) {
        Ok(r) => r,
        // As runc: --force on a container that does not exist (or whose
        // create was cut short) removes what is there and succeeds.
        Err(e) if force && check_id(id).is_ok() => {
            let dir = state::dir(root, id);
            if dir.exists() {
                fs::remove_dir_all(&dir).map_err(|e| format!("removing the state of {id}: {e}"))?;
            } else if !e.contains("does not exist") {
                return Err(e);
            }
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let status = r.effective_status().to_string();
    if status == "running" && !force {
        return Err(format!("cannot delete container {id} that is not stopped: {status}"));
    }
    if r.monitor_alive() {
        let _ = monitor::request(root, id, &json!({ "op": "destroy" }), &[]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while r.monitor_alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if r.monitor_alive() {
            let _ = sys::kill(r.pid, libc::SIGKILL);
        }
    }
    // A QEMU the monitor could not take down with it.
    if r.qemu_pid > 0 && fs::read_to_string(format!("/proc/{}/cmdline", r.qemu_pid)).is_ok_and(|c| c.contains(&format!("{}", state::dir(root, id).display()))) {
        let _ = sys::kill(r.qemu_pid, libc::SIGKILL);
    }
    fs::remove_dir_all(state::dir(root, id)).map_err(|e| format!("removing the state of {id}: {e}"))
}

/// The pids of the container's processes (as the container sees them).
pub fn ps(root: &Path, id: &str) -> Result<Vec<u64>, String> {
    let r = load(root, id)?;
    if r.effective_status() != "running" {
        return Err(String::from("container is not running"));
    }
    let (_, answer) = monitor::request(root, id, &json!({ "op": "ps" }), &[])?;
    let pids = answer_ok(answer)?.get("pids").cloned().unwrap_or(Value::Array(Vec::new()));
    Ok(pids.as_array().into_iter().flatten().filter_map(Value::as_u64).collect())
}

/// A process started in a running container by [`exec`].
pub struct Exec {
    conn: UnixStream,
    /// Its pid inside the container.
    pub pid: u64,
    /// Its handle on the control channel.
    pub handle: u32,
}

impl Exec {
    /// Sends `sig` to the process.
    pub fn signal(&self, sig: i32) -> Result<(), String> {
        use std::io::Write;
        let mut c = &self.conn;
        writeln!(c, "{}", json!({ "signal": sig })).map_err(|e| format!("signal: {e}"))
    }

    /// Waits for the process's end: its `$?` (128+signal when killed; 255
    /// when the guest died under it).
    pub fn wait(&self) -> i32 {
        match monitor::read_line(&self.conn) {
            Ok(end) => end.get("exit").and_then(Value::as_i64).unwrap_or(monitor::GUEST_DIED as i64) as i32,
            Err(_) => monitor::GUEST_DIED,
        }
    }

    /// A second handle on the same process (e.g. one thread waits, another signals).
    pub fn try_clone(&self) -> Result<Exec, String> {
        Ok(Exec { conn: self.conn.try_clone().map_err(|e| e.to_string())?, pid: self.pid, handle: self.handle })
    }
}

/// Starts `process` (runtime-spec JSON: args, env, cwd, terminal) in the
/// running container `id` with `fds` as its standard streams (a terminal:
/// the same pty slave three times and `process.terminal` true).
pub fn exec(root: &Path, id: &str, process: &Value, fds: [RawFd; 3]) -> Result<Exec, String> {
    let r = load(root, id)?;
    if r.effective_status() != "running" {
        return Err(format!("cannot exec in a {} container", r.effective_status()));
    }
    let (conn, answer) = monitor::request(root, id, &json!({ "op": "exec", "process": process }), &fds)?;
    let ok = answer_ok(answer)?;
    let pid = ok.get("pid").and_then(Value::as_u64).unwrap_or(0);
    let handle = ok.get("handle").and_then(Value::as_u64).unwrap_or(0) as u32;
    Ok(Exec { conn, pid, handle })
}

/// Allocates a pty: (master for the caller, slave for the container, the slave's path).
pub fn pty() -> Result<(OwnedFd, OwnedFd, String), String> {
    sys::openpty().map_err(|e| format!("allocating a pty: {e}"))
}

/// The bundle directory a record names.
pub fn bundle_of(r: &Record) -> PathBuf {
    PathBuf::from(&r.bundle)
}
