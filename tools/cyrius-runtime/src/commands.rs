//! The runc verbs over microVMs.

use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::api::{self, check_id};
use crate::cli::{self, parse, Flag, Global};
use crate::state::{self, Record};
use crate::{monitor, sys};

pub enum Failure {
    Usage(String),
    UnknownCommand,
    Error(String),
}

impl From<String> for Failure {
    fn from(s: String) -> Failure {
        Failure::Error(s)
    }
}

type Outcome = Result<i32, Failure>;

const fn f(names: &'static [&'static str], value: bool) -> Flag {
    Flag { names, value }
}

const CREATE: &[Flag] = &[
    f(&["bundle", "b"], true),
    f(&["pid-file"], true),
    f(&["console-socket"], true),
    f(&["no-pivot"], false),
    f(&["no-new-keyring"], false),
    f(&["preserve-fds"], true),
];
const RUN: &[Flag] = &[
    f(&["bundle", "b"], true),
    f(&["pid-file"], true),
    f(&["console-socket"], true),
    f(&["no-pivot"], false),
    f(&["no-new-keyring"], false),
    f(&["preserve-fds"], true),
    f(&["detach", "d"], false),
    f(&["keep"], false),
];
const KILL: &[Flag] = &[f(&["all", "a"], false)];
const DELETE: &[Flag] = &[f(&["force", "f"], false)];
const LIST: &[Flag] = &[f(&["format", "f"], true), f(&["quiet", "q"], false)];
const PS: &[Flag] = &[f(&["format", "f"], true)];
const EXEC: &[Flag] = &[
    f(&["process", "p"], true),
    f(&["tty", "t"], false),
    f(&["console-socket"], true),
    f(&["pid-file"], true),
    f(&["detach", "d"], false),
    f(&["cwd"], true),
    f(&["env", "e"], true),
    f(&["user", "u"], true),
    f(&["additional-gids", "g"], true),
    f(&["process-label"], true),
    f(&["apparmor"], true),
    f(&["no-new-privs"], false),
    f(&["cap", "c"], true),
    f(&["preserve-fds"], true),
    f(&["cgroup"], true),
];
const NONE: &[Flag] = &[];

pub fn run(g: &Global, command: &str, args: &[String]) -> Outcome {
    let flags = match command {
        "create" => CREATE,
        "run" => RUN,
        "start" | "state" | "features" => NONE,
        "kill" => KILL,
        "delete" => DELETE,
        "list" => LIST,
        "ps" => PS,
        "exec" => EXEC,
        "pause" | "resume" | "update" | "events" | "checkpoint" | "restore" | "spec" => {
            return Err(Failure::Error(format!("{command} is not supported by cyrius-runtime")))
        }
        _ => return Err(Failure::UnknownCommand),
    };
    let p = parse(args, flags).map_err(Failure::Usage)?;
    let exactly = |n: usize| {
        if p.args.len() == n {
            Ok(())
        } else {
            Err(Failure::Usage(format!("cyrius-runtime: {command:?} requires exactly {n} argument(s)")))
        }
    };
    match command {
        "create" => {
            exactly(1)?;
            create(g, &p, &p.args[0]).map(|_| 0)
        }
        "run" => {
            exactly(1)?;
            run_container(g, &p, &p.args[0])
        }
        "start" => {
            exactly(1)?;
            start(g, &p.args[0])
        }
        "state" => {
            exactly(1)?;
            let r = load(g, &p.args[0])?;
            println!("{}", r.oci_state().to_json());
            Ok(0)
        }
        "kill" => {
            if p.args.is_empty() || p.args.len() > 2 {
                return Err(Failure::Usage(format!("cyrius-runtime: {command:?} requires a minimum of 1 and a maximum of 2 arguments")));
            }
            let sig = p.args.get(1).map_or(Some(libc::SIGTERM), |s| parse_signal(s));
            let sig = sig.ok_or_else(|| Failure::Error(format!("unknown signal {:?}", p.args[1])))?;
            kill(g, &p.args[0], sig, p.has("all"))
        }
        "delete" => {
            exactly(1)?;
            delete(g, &p.args[0], p.has("force"))
        }
        "list" => {
            exactly(0)?;
            list(g, p.get("format").unwrap_or("table"), p.has("quiet"))
        }
        "ps" => {
            if p.args.is_empty() {
                return Err(Failure::Usage(format!("cyrius-runtime: {command:?} requires a minimum of 1 argument")));
            }
            ps(g, &p.args[0], p.get("format").unwrap_or("table"))
        }
        "exec" => {
            if p.args.is_empty() {
                return Err(Failure::Usage(format!("cyrius-runtime: {command:?} requires a minimum of 1 argument")));
            }
            exec(g, &p)
        }
        "features" => {
            exactly(0)?;
            println!("{}", serde_json::to_string_pretty(&features()).unwrap_or_default());
            Ok(0)
        }
        _ => Err(Failure::UnknownCommand),
    }
}

fn load(g: &Global, id: &str) -> Result<Record, Failure> {
    api::load(&g.root, id).map_err(Failure::Error)
}

/// Writes `pid` to `path` as runc does (no newline; via a temporary file).
fn write_pid_file(path: &str, pid: i32) -> Result<(), String> {
    let path = PathBuf::from(path);
    let tmp = path.with_file_name(format!(".{}", path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()));
    fs::write(&tmp, pid.to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Allocates a pty and sends its master over the console socket, as runc
/// does for `process.terminal`; returns the slave.
fn console(socket: &str) -> Result<OwnedFd, String> {
    let (master, slave, name) = sys::openpty().map_err(|e| format!("allocating a pty: {e}"))?;
    let conn = UnixStream::connect(socket).map_err(|e| format!("console socket {socket}: {e}"))?;
    sys::send_fds(&conn, name.as_bytes(), &[master.as_raw_fd()]).map_err(|e| format!("console socket {socket}: {e}"))?;
    Ok(slave)
}

fn create(g: &Global, p: &cli::Parsed, id: &str) -> Result<i32, Failure> {
    check_id(id)?;
    let bundle_dir = p.get("bundle").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    // runc's checks of the console socket against process.terminal come
    // before anything is made (a bundle api::create would refuse is
    // reported by it).
    let terminal = fs::read(bundle_dir.join("config.json"))
        .ok()
        .and_then(|c| oci::parse_config(&c).ok())
        .is_some_and(|spec| spec.process.terminal);
    let console_socket = p.get("console-socket");
    if terminal && console_socket.is_none() {
        return Err(Failure::Error(String::from("cannot allocate tty if runc will detach without setting console socket")));
    }
    if !terminal && console_socket.is_some() {
        return Err(Failure::Error(String::from("cannot use console socket if runc will not detach or allocate tty")));
    }
    let stdio = match console_socket {
        Some(sock) => api::Stdio::Terminal(console(sock)?),
        None => api::Stdio::Inherit,
    };
    let created = api::create(&g.root, id, &bundle_dir, stdio)?;
    if let Some(path) = p.get("pid-file") {
        write_pid_file(path, created.pid)?;
    }
    g.debug(&format!("create {id}: {}", created.timing));
    Ok(created.pid)
}

fn start(g: &Global, id: &str) -> Outcome {
    let started = std::time::Instant::now();
    api::start(&g.root, id)?;
    g.debug(&format!("start {id}: started in {} ms", started.elapsed().as_millis()));
    Ok(0)
}

fn kill(g: &Global, id: &str, sig: i32, all: bool) -> Outcome {
    api::kill(&g.root, id, sig, all)?;
    Ok(0)
}

fn delete(g: &Global, id: &str, force: bool) -> Outcome {
    api::delete(&g.root, id, force)?;
    Ok(0)
}

fn list(g: &Global, format: &str, quiet: bool) -> Outcome {
    let records: Vec<Record> = state::ids(&g.root).iter().filter_map(|id| Record::load(&g.root, id).ok()).collect();
    if quiet {
        for r in &records {
            println!("{}", r.id);
        }
        return Ok(0);
    }
    match format {
        "json" => {
            if records.is_empty() {
                println!("null");
                return Ok(0);
            }
            let list: Vec<Value> = records
                .iter()
                .map(|r| {
                    let s = r.oci_state();
                    json!({
                        "ociVersion": s.oci_version, "id": s.id, "pid": s.pid, "status": s.status.as_str(),
                        "bundle": s.bundle, "rootfs": s.rootfs,
                        "created": cli::rfc3339(r.created.0, Some(r.created.1)), "owner": "root",
                    })
                })
                .collect();
            println!("{}", Value::Array(list));
        }
        "table" => {
            let mut rows = vec![["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from).to_vec()];
            for r in &records {
                let s = r.oci_state();
                rows.push(vec![
                    s.id,
                    s.pid.to_string(),
                    s.status.as_str().to_string(),
                    s.bundle,
                    cli::rfc3339(r.created.0, Some(r.created.1)),
                    String::from("root"),
                ]);
            }
            print!("{}", table(&rows));
        }
        other => return Err(Failure::Error(format!("invalid format option: {other}"))),
    }
    Ok(0)
}

/// Go's tabwriter with minwidth 12, padding 3 (runc's list): every column
/// but the last padded to max(12, widest + 3).
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols).map(|c| rows.iter().map(|r| r[c].len() + 3).max().unwrap_or(0).max(12)).collect();
    let mut out = String::new();
    for r in rows {
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == cols {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}", w = widths[c]));
            }
        }
        out.push('\n');
    }
    out
}

fn ps(g: &Global, id: &str, format: &str) -> Outcome {
    if format != "json" && format != "table" {
        return Err(Failure::Error(format!("invalid format option: {format}")));
    }
    let pids = api::ps(&g.root, id)?;
    if format == "json" {
        println!("{}", json!(pids));
    } else {
        println!("PID");
        for p in pids {
            println!("{p}");
        }
    }
    Ok(0)
}

/// The process `exec` runs: `--process FILE`, or the arguments over the
/// bundle's process (env, cwd) with `--env`/`--cwd`.
fn exec_process(r: &Record, p: &cli::Parsed) -> Result<Value, Failure> {
    if let Some(file) = p.get("process") {
        let bytes = fs::read(file).map_err(|e| format!("process {file}: {e}"))?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| format!("process {file}: {e}"))?;
        if v.get("args").and_then(Value::as_array).is_none_or(|a| a.is_empty()) {
            return Err(Failure::Error(String::from("args must not be empty")));
        }
        return Ok(v);
    }
    if p.args.len() < 2 {
        return Err(Failure::Usage(String::from("exec: no command given")));
    }
    let config = fs::read(Path::new(&r.bundle).join("config.json")).map_err(|e| format!("config.json: {e}"))?;
    let spec = oci::parse_config(&config).map_err(|e| format!("config.json: {e}"))?;
    let mut env = spec.process.env.clone();
    env.extend(p.all("env").into_iter().map(String::from));
    Ok(json!({
        "args": p.args[1..].to_vec(),
        "env": env,
        "cwd": p.get("cwd").map(String::from).unwrap_or(spec.process.cwd.clone()),
        "terminal": p.has("tty"),
    }))
}

fn exec(g: &Global, p: &cli::Parsed) -> Outcome {
    let id = &p.args[0];
    let r = load(g, id)?;
    if r.effective_status() != "running" {
        return Err(Failure::Error(format!("cannot exec in a {} container", r.effective_status())));
    }
    let mut process = exec_process(&r, p)?;
    let terminal = process.get("terminal").and_then(Value::as_bool).unwrap_or(false) || p.has("tty");
    if let Some(cwd) = p.get("cwd") {
        process["cwd"] = json!(cwd);
    }
    let pty = match (terminal, p.get("console-socket")) {
        (true, Some(sock)) => Some(console(sock)?),
        (true, None) if p.has("detach") => {
            return Err(Failure::Error(String::from("cannot allocate tty if runc will detach without setting console socket")))
        }
        _ => None,
    };
    let fds: [i32; 3] = match &pty {
        Some(slave) => [slave.as_raw_fd(); 3],
        None => [0, 1, 2],
    };
    if !p.has("detach") {
        let code = exec_wait(g, id, &process, &fds, None)?;
        return Ok(code);
    }
    let (mut ready_r, ready_w) = sys::pipe().map_err(|e| format!("pipe: {e}"))?;
    match sys::fork().map_err(|e| format!("fork: {e}"))? {
        None => {
            drop(ready_r);
            let code = exec_wait(g, id, &process, &fds, Some(ready_w)).unwrap_or(monitor::GUEST_DIED);
            std::process::exit(code);
        }
        Some(pid) => {
            drop(ready_w);
            let mut answer = String::new();
            let _ = ready_r.read_to_string(&mut answer);
            if answer.trim() != "ok" {
                let _ = sys::waitpid(pid);
                return Err(Failure::Error(answer.trim().to_string()));
            }
            if let Some(path) = p.get("pid-file") {
                write_pid_file(path, pid)?;
            }
            Ok(0)
        }
    }
}

/// Starts the process and waits for it; tells `ready` "ok" or the error
/// once it started. Signals this process receives go to the process.
fn exec_wait(g: &Global, id: &str, process: &Value, fds: &[i32; 3], ready: Option<fs::File>) -> Result<i32, Failure> {
    use std::io::Write;
    let started = match api::exec(&g.root, id, process, *fds) {
        Ok(e) => e,
        Err(e) => {
            if let Some(mut w) = ready {
                let _ = writeln!(w, "{e}");
            }
            return Err(Failure::Error(e));
        }
    };
    if let Some(mut w) = ready {
        let _ = w.write_all(b"ok\n");
    }
    if let Ok(signaller) = started.try_clone() {
        forward_signals(signaller);
    }
    Ok(started.wait())
}

/// Forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH-less
/// signals to the exec'd process through the monitor.
fn forward_signals(process: api::Exec) {
    let signals = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT, libc::SIGUSR1, libc::SIGUSR2];
    // SAFETY: a zeroed sigset_t is valid input to sigemptyset; the set is
    // blocked in this thread before any other starts, so they inherit it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in signals {
            libc::sigaddset(&mut set, s);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        std::thread::spawn(move || loop {
            let mut sig = 0;
            if libc::sigwait(&set, &mut sig) != 0 {
                return;
            }
            if process.signal(sig).is_err() {
                return;
            }
        });
    }
}

/// `run`: create, start, wait (or return after start with `--detach`), delete.
fn run_container(g: &Global, p: &cli::Parsed, id: &str) -> Outcome {
    let pid = create(g, p, id)?;
    if let Err(e) = start(g, id) {
        let _ = delete(g, id, true);
        return Err(e);
    }
    if p.has("detach") {
        return Ok(0);
    }
    let status = sys::waitpid(pid).map_err(|e| format!("waiting for the container: {e}"))?;
    let code = sys::shell_code(status);
    if !p.has("keep") {
        let _ = delete(g, id, true);
    }
    Ok(code)
}

const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT",
    "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// A signal by number or name (`KILL`, `SIGKILL`, `kill`), as runc parses it.
pub fn parse_signal(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    SIGNALS.iter().position(|n| *n == name).map(|i| i as i32 + 1)
}

/// What this runtime implements, in the runtime-spec features format.
fn features() -> Value {
    json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": "1.0.2",
        "hooks": [],
        "mountOptions": ["bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec", "mode", "size"],
        "linux": {
            "namespaces": ["mount", "pid", "uts", "network"],
            "capabilities": [],
            "cgroup": { "v1": false, "v2": false, "systemd": false, "systemdUser": false },
            "seccomp": { "enabled": true, "actions": ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRAP"] },
            "apparmor": { "enabled": false },
            "selinux": { "enabled": false }
        },
        "annotations": {
            "io.cyrius.runtime.vm": "qemu",
            "io.cyrius.publish": "HOST:CONTAINER[,...] ports forwarded into the microVM"
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_as_runc_parses_them() {
        assert_eq!(parse_signal("KILL"), Some(9));
        assert_eq!(parse_signal("SIGTERM"), Some(15));
        assert_eq!(parse_signal("term"), Some(15));
        assert_eq!(parse_signal("34"), Some(34));
        assert_eq!(parse_signal("0"), None);
        assert_eq!(parse_signal("SIGNOPE"), None);
    }

    #[test]
    fn ids_as_runc_checks_them() {
        assert!(check_id("c1.a_b-c+d").is_ok());
        for bad in ["", ".", "..", "a/b", "a b"] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn list_table_as_tabwriter_pads_it() {
        let rows = vec![vec!["ID".into(), "PID".into()], vec!["a-long-container-id".into(), "7".into()]];
        assert_eq!(table(&rows), "ID                    PID\na-long-container-id   7\n");
    }
}
