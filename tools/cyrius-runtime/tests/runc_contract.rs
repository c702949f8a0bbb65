//! `cyrius-runtime` driven through runc's command-line contract, as conmon,
//! podman and containerd's runc shim drive it: each test boots real
//! microVMs (QEMU, TCG), so they are few and each checks a group of things.
//!
//! The test process is a child subreaper (PR_SET_CHILD_SUBREAPER), as
//! conmon is: a container's monitor (the `--pid-file` pid) is reparented to
//! it when `create` exits, and its exit status is read with waitpid.

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cyrius-runtime");

fn subreaper() {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag; no memory is involved.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// A bundle: busybox-static with a few applet links, and a config.json for `args`.
fn bundle(dir: &Path, args: &[&str]) -> PathBuf {
    let b = dir.join("bundle");
    let bin = b.join("rootfs/bin");
    fs::create_dir_all(&bin).unwrap();
    for d in ["etc", "tmp", "proc", "dev"] {
        fs::create_dir_all(b.join("rootfs").join(d)).unwrap();
    }
    fs::copy("/bin/busybox", bin.join("busybox")).expect("busybox-static (scripts/setup installs it)");
    for applet in ["sh", "echo", "cat", "sleep", "ls", "true", "ps", "hostname", "tr"] {
        symlink("busybox", bin.join(applet)).unwrap();
    }
    write_config(&b, args);
    b
}

fn write_config(bundle: &Path, args: &[&str]) {
    let config = serde_json::json!({
        "ociVersion": "1.0.2",
        "process": { "terminal": false, "user": { "uid": 0, "gid": 0 }, "args": args, "env": ["PATH=/bin"], "cwd": "/" },
        "root": { "path": "rootfs" },
        "hostname": "contract",
        "mounts": [ { "destination": "/proc", "type": "proc", "source": "proc" } ],
        "linux": { "namespaces": [ { "type": "pid" }, { "type": "mount" } ] }
    });
    fs::write(bundle.join("config.json"), serde_json::to_vec_pretty(&config).unwrap()).unwrap();
}

/// Runs the runtime and collects its output (not for a `create` that
/// succeeds: the container keeps create's stdio open, so pipes would not end).
fn rt(root: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("--root").arg(root).args(args).stdin(Stdio::null()).output().expect("run cyrius-runtime")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn state(root: &Path, id: &str) -> serde_json::Value {
    let out = rt(root, &["state", id]);
    assert!(out.status.success(), "state {id}: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("state JSON")
}

/// waitpid for the monitor, bounded.
fn wait_exit(pid: i32, limit: Duration) -> i32 {
    let end = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid int; WNOHANG never blocks.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            assert!(libc::WIFEXITED(status), "the monitor died by a signal: {status:#x}");
            return libc::WEXITSTATUS(status);
        }
        assert!(Instant::now() < end, "the container's monitor {pid} did not exit in {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn qemus_under(root: &Path) -> usize {
    let needle = root.display().to_string();
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| text(c).contains("qemu-system") && text(c).contains(&needle))
        .count()
}

#[test]
fn lifecycle_create_start_exec_kill_delete() {
    subreaper();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let b = bundle(tmp.path(), &["sh", "-c", "read line; echo \"init got $line\"; echo init-err >&2; exec sleep 1000"]);
    let pid_file = tmp.path().join("pid");
    let out_file = tmp.path().join("out");
    let err_file = tmp.path().join("err");

    // create: the container's stdio is create's (a pipe here, as conmon gives).
    let mut create = Command::new(BIN)
        .arg("--root")
        .arg(&root)
        .args(["create", "--bundle"])
        .arg(&b)
        .arg("--pid-file")
        .arg(&pid_file)
        .arg("c1")
        .stdin(Stdio::piped())
        .stdout(fs::File::create(&out_file).unwrap())
        .stderr(fs::File::create(&err_file).unwrap())
        .spawn()
        .unwrap();
    let mut stdin = create.stdin.take().unwrap();
    let status = create.wait().unwrap();
    assert!(status.success(), "create: {}", fs::read_to_string(&err_file).unwrap());
    let pid: i32 = fs::read_to_string(&pid_file).unwrap().parse().expect("a pid in the pid file (no newline, as runc)");
    let s = state(&root, "c1");
    assert_eq!((s["status"].as_str(), s["pid"].as_i64(), s["id"].as_str()), (Some("created"), Some(pid as i64), Some("c1")));
    assert_eq!(s["bundle"].as_str(), Some(b.canonicalize().unwrap().to_str().unwrap()));
    assert!(s["ociVersion"].is_string() && s["created"].is_string(), "{s}");

    // A second create with the same id is refused; nothing changes.
    let dup = rt(&root, &["create", "--bundle", b.to_str().unwrap(), "c1"]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(text(&dup.stderr).contains("container with id exists: c1"), "{}", text(&dup.stderr));

    let list = rt(&root, &["list", "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list[0]["id"].as_str(), Some("c1"));
    assert_eq!(list[0]["status"].as_str(), Some("created"));

    let start = rt(&root, &["start", "c1"]);
    assert!(start.status.success(), "start: {}", text(&start.stderr));
    assert_eq!(state(&root, "c1")["status"].as_str(), Some("running"));
    stdin.write_all(b"hello\n").unwrap();
    drop(stdin);

    // exec: output, exit status, the container's view (its hostname, its PID 1).
    let exec = rt(&root, &["exec", "c1", "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; exit 7"]);
    assert_eq!(exec.status.code(), Some(7), "exec: {}", text(&exec.stderr));
    let shown = text(&exec.stdout);
    assert!(shown.starts_with("contract\n"), "{shown}");
    assert!(shown.contains("sleep 1000"), "{shown}");
    let ps = rt(&root, &["ps", "--format", "json", "c1"]);
    let pids: Vec<u64> = serde_json::from_slice(&ps.stdout).unwrap_or_else(|e| panic!("ps json: {e}: {}", text(&ps.stdout)));
    assert!(pids.contains(&1), "{pids:?}");

    // delete refuses a running container; kill by name; the monitor exits 128+9.
    let del = rt(&root, &["delete", "c1"]);
    assert_eq!(del.status.code(), Some(1));
    assert!(text(&del.stderr).contains("cannot delete container c1 that is not stopped: running"), "{}", text(&del.stderr));
    let kill = rt(&root, &["kill", "c1", "SIGKILL"]);
    assert!(kill.status.success(), "kill: {}", text(&kill.stderr));
    assert_eq!(wait_exit(pid, Duration::from_secs(30)), 137);
    let s = state(&root, "c1");
    assert_eq!((s["status"].as_str(), s["pid"].as_i64()), (Some("stopped"), Some(0)));
    assert_eq!(fs::read_to_string(&out_file).unwrap(), "init got hello\n");
    assert!(fs::read_to_string(&err_file).unwrap().contains("init-err"));
    let kill = rt(&root, &["kill", "c1", "KILL"]);
    assert!(text(&kill.stderr).contains("container not running"), "{}", text(&kill.stderr));

    let del = rt(&root, &["delete", "c1"]);
    assert!(del.status.success(), "delete: {}", text(&del.stderr));
    assert!(!root.join("c1").exists(), "state left behind");
    assert_eq!(qemus_under(&root), 0, "QEMU left running");
    assert_eq!(text(&rt(&root, &["state", "c1"]).stderr).contains("container does not exist"), true);
}

#[test]
fn run_streams_and_exit_status_and_a_dead_guest() {
    subreaper();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let b = bundle(tmp.path(), &["sh", "-c", "echo to-out; echo to-err >&2; exit 3"]);
    let out = Command::new(BIN).arg("--root").arg(&root).args(["run", "--bundle"]).arg(&b).arg("r1").stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "to-out\n");
    assert!(text(&out.stderr).contains("to-err"));
    assert!(!root.join("r1").exists());

    // The guest dies under a running container (QEMU killed): the container
    // is stopped with status 255 and its monitor exits with 255.
    write_config(&b, &["sleep", "1000"]);
    let pid_file = tmp.path().join("pid");
    // The container keeps create's stdio (as runc's does): files, not pipes to wait on.
    let err = tmp.path().join("r2.err");
    let c = Command::new(BIN)
        .arg("--root")
        .arg(&root)
        .args(["create", "--bundle", b.to_str().unwrap(), "--pid-file", pid_file.to_str().unwrap(), "r2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&err).unwrap())
        .status()
        .unwrap();
    assert!(c.success(), "create: {}", fs::read_to_string(&err).unwrap());
    assert!(rt(&root, &["start", "r2"]).status.success());
    let pid: i32 = fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    let record: serde_json::Value = serde_json::from_slice(&fs::read(root.join("r2/state.json")).unwrap()).unwrap();
    let qemu = record["qemuPid"].as_i64().unwrap() as i32;
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(qemu, libc::SIGKILL) };
    assert_eq!(wait_exit(pid, Duration::from_secs(30)), 255);
    assert_eq!(state(&root, "r2")["status"].as_str(), Some("stopped"));
    assert!(rt(&root, &["delete", "r2"]).status.success());
    assert_eq!(qemus_under(&root), 0);
}

#[test]
fn bad_input_is_refused_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let b = bundle(tmp.path(), &["true"]);
    let bundle_arg = b.to_str().unwrap();

    fs::write(b.join("config.json"), b"{\"ociVersion\": \"1.0.2\", \"process\": {").unwrap();
    let out = rt(&root, &["create", "--bundle", bundle_arg, "bad1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("config.json"), "{}", text(&out.stderr));

    write_config(&b, &[]);
    let out = rt(&root, &["create", "--bundle", bundle_arg, "bad2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("process.args"), "{}", text(&out.stderr));

    write_config(&b, &["true"]);
    fs::rename(b.join("rootfs"), b.join("elsewhere")).unwrap();
    let out = rt(&root, &["create", "--bundle", bundle_arg, "bad3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("rootfs"), "{}", text(&out.stderr));

    let out = rt(&root, &["create", "--bundle", bundle_arg, "../x"]);
    assert!(text(&out.stderr).contains("invalid id format"), "{}", text(&out.stderr));
    for verb in [&["start", "nosuch"][..], &["state", "nosuch"], &["kill", "nosuch"], &["delete", "nosuch"], &["exec", "nosuch", "true"]] {
        let out = rt(&root, verb);
        assert_eq!(out.status.code(), Some(1), "{verb:?}");
        assert!(text(&out.stderr).contains("container does not exist"), "{verb:?}: {}", text(&out.stderr));
    }
    assert!(rt(&root, &["delete", "--force", "nosuch"]).status.success(), "delete --force of nothing succeeds, as runc's");
    let out = rt(&root, &["--log-format", "json", "state", "nosuch"]);
    let line: serde_json::Value = serde_json::from_slice(&out.stderr).expect("a JSON log line");
    assert_eq!((line["level"].as_str(), line["msg"].as_str()), (Some("error"), Some("container does not exist")));
    let log = tmp.path().join("runtime.log");
    let out = rt(&root, &["--log", log.to_str().unwrap(), "kill", "nosuch", "NOSIG"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(fs::read_to_string(&log).unwrap().contains("level=error"), "errors go to --log");
    assert_eq!(rt(&root, &["frobnicate"]).status.code(), Some(3), "unknown command: runc's exit 3");
    let out = rt(&root, &["state", "--bogus", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("flag provided but not defined: -bogus"));
    let out = rt(&root, &["start"]);
    assert!(text(&out.stderr).contains("requires exactly 1 argument"));

    assert_eq!(text(&rt(&root, &["list", "--format", "json"]).stdout).trim(), "null");
    assert!(fs::read_dir(&root).map(|d| d.count()).unwrap_or(0) == 0, "state left behind");
    assert_eq!(qemus_under(&root), 0);
    let features: serde_json::Value = serde_json::from_slice(&rt(&root, &["features"]).stdout).unwrap();
    assert!(features["ociVersionMin"].is_string());
    assert!(text(&rt(&root, &["--version"]).stdout).contains("cyrius-runtime version"));
}
