//! Podman (Debian's podman + conmon, installed by scripts/setup) running
//! containers with `--runtime cyrius-runtime`: each container is a Cyrius
//! microVM. Podman gets a store of its own (a temporary `--root`/`--runroot`,
//! vfs driver) holding the busybox image built by images/busybox/build.sh.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_cyrius-runtime");

struct Podman {
    dir: tempfile::TempDir,
}

impl Podman {
    fn new() -> Podman {
        let dir = tempfile::tempdir().unwrap();
        let layout = dir.path().join("busybox-oci");
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let built = Command::new("bash").arg(repo.join("images/busybox/build.sh")).arg(&layout).output().unwrap();
        assert!(built.status.success(), "images/busybox/build.sh: {}", String::from_utf8_lossy(&built.stderr));
        let p = Podman { dir };
        let store = format!("containers-storage:[vfs@{}+{}]localhost/busybox:latest", p.path().join("storage").display(), p.path().join("run").display());
        let copy = Command::new("skopeo").args(["copy", "-q", &format!("oci:{}:latest", layout.display()), &store]).output().unwrap();
        assert!(copy.status.success(), "skopeo copy: {}", String::from_utf8_lossy(&copy.stderr));
        p
    }

    fn command(&self) -> Command {
        let d = self.dir.path();
        let mut c = Command::new("podman");
        c.arg("--root").arg(d.join("storage")).arg("--runroot").arg(d.join("run"));
        c.args(["--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"]);
        c.arg("--runtime").arg(BIN);
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("podman (scripts/setup installs it)")
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// `GET path` on 127.0.0.1:port: the whole answer, or None when nothing answers.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut c = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).ok()?;
    c.set_read_timeout(Some(std::time::Duration::from_secs(5))).ok()?;
    c.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes()).ok()?;
    let mut answer = String::new();
    c.read_to_string(&mut answer).ok()?;
    Some(answer)
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn podman_run_exec_logs_stop_rm() {
    let p = Podman::new();
    let img = "localhost/busybox:latest";

    // run --rm: output, exit status, -e and -w.
    let out = p.run(&["run", "--rm", "--network", "none", "-e", "GREETING=hi", "-w", "/tmp", img, "sh", "-c", "echo $GREETING from $(pwd); echo oops >&2; exit 5"]);
    assert_eq!(out.status.code(), Some(5), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hi from /tmp\n");
    assert!(text(&out.stderr).contains("oops"));

    // -v: the host directory's contents are in the container.
    let vol = p.path().join("vol");
    std::fs::create_dir_all(&vol).unwrap();
    std::fs::write(vol.join("f"), "from the host\n").unwrap();
    let spec = format!("{}:/data", vol.display());
    let out = p.run(&["run", "--rm", "--network", "none", "-v", &spec, img, "cat", "/data/f"]);
    assert_eq!(text(&out.stdout), "from the host\n", "stderr: {}", text(&out.stderr));

    // run -d, ps, logs, exec, stop (SIGTERM ignored by a PID 1 without a handler, then SIGKILL), rm.
    let out = p.run(&["run", "-d", "--network", "none", "--name", "d1", img, "sh", "-c", "echo ready; exec sleep 1000"]);
    assert!(out.status.success(), "run -d: {}", text(&out.stderr));
    let ps = p.run(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    assert!(text(&ps.stdout).contains("d1 Up"), "{}", text(&ps.stdout));
    let exec = p.run(&["exec", "d1", "sh", "-c", "echo in-exec; exit 4"]);
    assert_eq!(exec.status.code(), Some(4), "exec: {}", text(&exec.stderr));
    assert_eq!(text(&exec.stdout), "in-exec\n");
    let logs = p.run(&["logs", "d1"]);
    assert_eq!(text(&logs.stdout), "ready\n", "{}", text(&logs.stderr));
    let stop = p.run(&["stop", "-t", "1", "d1"]);
    assert!(stop.status.success(), "stop: {}", text(&stop.stderr));
    let inspect = p.run(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "d1"]);
    assert_eq!(text(&inspect.stdout).trim(), "exited 137");
    assert!(p.run(&["rm", "d1"]).status.success());

    // kill: a signal the init handles.
    let out = p.run(&["run", "-d", "--network", "none", "--name", "k1", img, "sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done"]);
    assert!(out.status.success(), "run -d: {}", text(&out.stderr));
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(p.run(&["kill", "--signal", "TERM", "k1"]).status.success());
    let wait = p.run(&["wait", "k1"]);
    assert_eq!(text(&wait.stdout).trim(), "42", "{}", text(&wait.stderr));
    assert!(p.run(&["rm", "k1"]).status.success());

    // -p without telling the runtime the port: podman maps a host port to
    // port 80 of the container's network namespace (its bridge network),
    // and the port the guest listens on is forwarded there.
    let host_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let publish = format!("{host_port}:80");
    let out = p.run(&["run", "-d", "--name", "web", "-p", &publish, img, "httpd", "-f", "-p", "80", "-h", "/etc"]);
    assert!(out.status.success(), "run -d -p: {}", text(&out.stderr));
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        match http_get(host_port, "/passwd") {
            Some(page) if page.starts_with("HTTP/1.") => break page,
            got => assert!(std::time::Instant::now() < end, "no answer on host port {host_port}: {got:?}"),
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(p.run(&["rm", "-f", "web"]).status.success());

    // Nothing of the runtime is left (its default root, podman gives no --root).
    let left = p.run(&["ps", "-aq"]);
    assert_eq!(text(&left.stdout).trim(), "");
}
