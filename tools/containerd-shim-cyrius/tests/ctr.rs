//! containerd (Debian's 1.6, installed by scripts/setup) running containers
//! through `containerd-shim-cyrius-v1` (`ctr run --runtime
//! io.containerd.cyrius.v1`): each container a Cyrius microVM. A containerd
//! of its own runs on a socket in a temporary directory, with the shim's
//! directory first on its PATH (containerd finds shims by name there).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SHIM: &str = env!("CARGO_BIN_EXE_containerd-shim-cyrius-v1");
const RUNTIME: &str = "io.containerd.cyrius.v1";
const IMAGE: &str = "localhost/busybox:latest";

struct Containerd {
    dir: tempfile::TempDir,
    daemon: Child,
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

impl Containerd {
    fn start() -> Containerd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let shim_dir = Path::new(SHIM).parent().unwrap();
        let path = format!("{}:{}", shim_dir.display(), std::env::var("PATH").unwrap_or_default());
        let daemon = Command::new("containerd")
            .arg("--root")
            .arg(d.join("root"))
            .arg("--state")
            .arg(d.join("state"))
            .arg("--address")
            .arg(d.join("containerd.sock"))
            .env("PATH", path)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("containerd.log")).unwrap())
            .spawn()
            .expect("containerd (scripts/setup installs it)");
        let c = Containerd { dir, daemon };
        let end = Instant::now() + Duration::from_secs(30);
        while !c.dir.path().join("containerd.sock").exists() {
            assert!(Instant::now() < end, "containerd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        c
    }

    fn ctr_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ctr");
        c.arg("--address").arg(self.dir.path().join("containerd.sock")).args(args);
        c
    }

    fn ctr(&self, args: &[&str]) -> Output {
        self.ctr_cmd(args).stdin(Stdio::null()).output().expect("ctr")
    }

    fn import_busybox(&self) {
        let layout = self.dir.path().join("busybox-oci");
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let built = Command::new("bash").arg(repo.join("images/busybox/build.sh")).arg(&layout).output().unwrap();
        assert!(built.status.success(), "{}", text(&built.stderr));
        let archive = self.dir.path().join("busybox.tar");
        assert!(Command::new("tar").arg("-C").arg(&layout).arg("-cf").arg(&archive).arg(".").status().unwrap().success());
        let import = self.ctr(&["images", "import", "--index-name", IMAGE, archive.to_str().unwrap()]);
        assert!(import.status.success(), "ctr import: {}", text(&import.stderr));
    }

    /// `ctr task ls` rows: (id, pid, status).
    fn tasks(&self) -> Vec<(String, String, String)> {
        let out = self.ctr(&["task", "ls"]);
        text(&out.stdout)
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                Some((f.first()?.to_string(), f.get(1)?.to_string(), f.get(2)?.to_string()))
            })
            .collect()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// Command lines of the processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| text(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

#[test]
fn ctr_run_exec_kill_delete_with_the_cyrius_shim() {
    let c = Containerd::start();
    c.import_busybox();

    // Output, standard input (ended by ctr's CloseIO), exit status.
    let mut run = c
        .ctr_cmd(&["run", "--rm", "--runtime", RUNTIME, IMAGE, "s1", "sh", "-c", "echo hello from cyrius; read x; echo got $x; echo to-err >&2; exit 6"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    run.stdin.take().unwrap().write_all(b"abc\n").unwrap();
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(6), "ctr run: {}\n{}", text(&out.stderr), c.log());
    assert_eq!(text(&out.stdout), "hello from cyrius\ngot abc\n");
    assert!(text(&out.stderr).contains("to-err"), "{}", text(&out.stderr));

    // -t: the process's streams are a pty whose master the shim keeps (ctr
    // sizes it with ResizePty); `script` gives ctr the terminal it wants.
    let cmd = format!(
        "ctr --address {} run -t --rm --runtime {RUNTIME} {IMAGE} t1 sh -c 'echo on-a-pty; exit 7'",
        c.dir.path().join("containerd.sock").display()
    );
    let out = Command::new("script").args(["-qec", &cmd, "/dev/null"]).stdin(Stdio::null()).output().expect("script (util-linux)");
    assert_eq!(out.status.code(), Some(7), "ctr run -t: {}{}\n{}", text(&out.stdout), text(&out.stderr), c.log());
    // "\n" became "\r\n" on the shim's pty, then "\r\r\n" on ctr's own
    // terminal (Debian's ctr keeps OPOST+ONLCR in its raw mode); pipes
    // instead of a pty would give one "\r".
    assert!(text(&out.stdout).contains("on-a-pty\r\r\n"), "{:?}", text(&out.stdout));

    // A command the image does not have: start fails with the guest
    // kernel's reason (runc finds it out at create already); the created
    // task is then killed and deleted with its VM (`task delete --force`).
    let out = c.ctr(&["run", "--rm", "--runtime", RUNTIME, IMAGE, "bad1", "/no/such/program"]);
    assert!(!out.status.success(), "ctr run of a missing program succeeded");
    assert!(text(&out.stderr).contains("/no/such/program"), "{}", text(&out.stderr));
    let del = c.ctr(&["task", "delete", "--force", "bad1"]);
    assert!(del.status.success(), "task delete: {}", text(&del.stderr));
    assert!(!c.tasks().iter().any(|t| t.0 == "bad1"), "{:?}", c.tasks());
    assert!(c.ctr(&["container", "delete", "bad1"]).status.success());

    // A task in the background: ls, ps, exec, kill, delete.
    let out = c.ctr(&["run", "-d", "--runtime", RUNTIME, IMAGE, "s2", "sh", "-c", "echo up; exec sleep 1000"]);
    assert!(out.status.success(), "ctr run -d: {}\n{}", text(&out.stderr), c.log());
    let tasks = c.tasks();
    let (_, pid, status) = tasks.iter().find(|t| t.0 == "s2").cloned().expect("s2 in ctr task ls");
    assert_eq!(status, "RUNNING");
    let pid: i32 = pid.parse().unwrap();
    assert!(std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap().contains("--cyrius-monitor"), "the task pid is the monitor");

    let ps = c.ctr(&["task", "ps", "s2"]);
    assert!(ps.status.success(), "ctr task ps: {}", text(&ps.stderr));
    assert!(text(&ps.stdout).lines().any(|l| l.split_whitespace().next() == Some("1")), "{}", text(&ps.stdout));

    let exec = c.ctr(&["task", "exec", "--exec-id", "e1", "s2", "sh", "-c", "echo in-exec $(cat /proc/1/cmdline | tr '\\0' ' '); exit 3"]);
    assert_eq!(exec.status.code(), Some(3), "exec: {}\n{}", text(&exec.stderr), c.log());
    assert_eq!(text(&exec.stdout), "in-exec sleep 1000\n");

    // An exec'd process killed by a signal: 128+signal.
    let mut long = c.ctr_cmd(&["task", "exec", "--exec-id", "e2", "s2", "sleep", "1000"]).stdin(Stdio::null()).spawn().unwrap();
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let ps = text(&c.ctr(&["task", "ps", "s2"]).stdout);
        if ps.lines().skip(1).count() >= 2 {
            break;
        }
        assert!(Instant::now() < end, "the exec'd process did not start: {ps}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let k = c.ctr(&["task", "kill", "--exec-id", "e2", "--signal", "SIGTERM", "s2"]);
    assert!(k.status.success(), "kill --exec-id: {}", text(&k.stderr));
    assert_eq!(long.wait().unwrap().code(), Some(128 + 15));

    assert!(c.ctr(&["task", "kill", "--signal", "SIGKILL", "s2"]).status.success());
    let end = Instant::now() + Duration::from_secs(30);
    while c.tasks().iter().find(|t| t.0 == "s2").map(|t| t.2.clone()) != Some(String::from("STOPPED")) {
        assert!(Instant::now() < end, "the task did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    let del = c.ctr(&["task", "delete", "s2"]);
    assert!(del.status.success(), "task delete: {}", text(&del.stderr));
    assert!(c.ctr(&["container", "delete", "s2"]).status.success());

    // Nothing left: no monitor, no QEMU, no shim.
    let state = c.dir.path().join("state");
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let mut left = processes_with(state.join("io.containerd.runtime.v2.task").to_str().unwrap());
        let shims = processes_with("containerd-shim-cyrius-v1 ");
        left.extend(shims.into_iter().filter(|s| s.contains(c.dir.path().to_str().unwrap())));
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < end, "a monitor, QEMU or shim was left running: {left:?}\n{}", c.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}
