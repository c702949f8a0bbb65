//! containerd (Debian's, installed by scripts/setup) running a container
//! through its runc v2 shim with `cyrius-runtime` as the runc binary (the
//! `BinaryName` option, `ctr run --runc-binary`): the path Kubernetes takes
//! with a RuntimeClass. A containerd of its own runs on a socket in a
//! temporary directory.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cyrius-runtime");

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
        let daemon = Command::new("containerd")
            .arg("--root").arg(d.join("root"))
            .arg("--state").arg(d.join("state"))
            .arg("--address").arg(d.join("containerd.sock"))
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

    fn ctr(&self, args: &[&str]) -> std::process::Output {
        Command::new("ctr")
            .arg("--address")
            .arg(self.dir.path().join("containerd.sock"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("ctr")
    }
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn ctr_run_with_the_runc_shim() {
    let c = Containerd::start();
    let layout = c.dir.path().join("busybox-oci");
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let built = Command::new("bash").arg(repo.join("images/busybox/build.sh")).arg(&layout).output().unwrap();
    assert!(built.status.success(), "{}", text(&built.stderr));
    let archive = c.dir.path().join("busybox.tar");
    assert!(Command::new("tar").arg("-C").arg(&layout).arg("-cf").arg(&archive).arg(".").status().unwrap().success());
    let import = c.ctr(&["images", "import", "--index-name", "localhost/busybox:latest", archive.to_str().unwrap()]);
    assert!(import.status.success(), "ctr import: {}", text(&import.stderr));

    let out = c.ctr(&["run", "--rm", "--runc-binary", BIN, "localhost/busybox:latest", "t1", "sh", "-c", "echo hello from containerd; exit 6"]);
    assert_eq!(out.status.code(), Some(6), "ctr run: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello from containerd\n");

    // A task in the background: exec into it, kill it, its status.
    let out = c.ctr(&["run", "-d", "--runc-binary", BIN, "localhost/busybox:latest", "t2", "sleep", "1000"]);
    assert!(out.status.success(), "ctr run -d: {}", text(&out.stderr));
    let exec = c.ctr(&["task", "exec", "--exec-id", "e1", "t2", "sh", "-c", "echo in-exec; exit 3"]);
    assert_eq!((exec.status.code(), text(&exec.stdout)), (Some(3), String::from("in-exec\n")), "{}", text(&exec.stderr));
    let tasks = c.ctr(&["task", "ls"]);
    assert!(text(&tasks.stdout).contains("RUNNING"), "{}", text(&tasks.stdout));
    assert!(c.ctr(&["task", "kill", "--signal", "SIGKILL", "t2"]).status.success());
    let end = Instant::now() + Duration::from_secs(30);
    while !text(&c.ctr(&["task", "ls"]).stdout).contains("STOPPED") {
        assert!(Instant::now() < end, "the task did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(c.ctr(&["task", "delete", "t2"]).status.success());
    assert!(c.ctr(&["container", "delete", "t2"]).status.success());
}
