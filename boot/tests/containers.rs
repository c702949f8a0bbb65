//! OCI images on the data disk, read and verified by the kernel.

use cyrius::datadisk::test_disk;
use cyrius::{Machine, QemuConfig};

/// The config digest of the busybox layout the test disk was made from, as
/// skopeo would report it (read with python3's json on the host).
fn host_image_id() -> String {
    let layout = cyrius::paths::build_dir().join("images-for-tests/busybox");
    let built = std::process::Command::new("bash")
        .arg(cyrius::paths::repo_root().join("images/busybox/build.sh"))
        .arg(&layout)
        .output()
        .expect("build.sh");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let script = "import json,sys; d=sys.argv[1]; i=json.load(open(d+'/index.json')); \
                  m=json.load(open(d+'/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(m['config']['digest'][7:19])";
    let out = std::process::Command::new("python3").args(["-c", script]).arg(&layout).output().expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn images_are_listed_and_a_tampered_one_is_refused_alone() {
    test_disk();
    let id = host_image_id();
    assert_eq!(id.len(), 12, "host image id {id:?}");
    let mut m = Machine::boot(&QemuConfig::for_tests());
    let out = m.run_with_timeout("images", std::time::Duration::from_secs(60));
    let busybox = out.lines().find(|l| l.starts_with("busybox ")).unwrap_or("").to_string();
    m.assert(busybox.contains(&id) && busybox.contains("amd64"), &format!("busybox line {busybox:?} lacks id {id} / amd64:\n{out}"));
    let tampered = out.lines().find(|l| l.starts_with("tampered ")).unwrap_or("").to_string();
    m.assert(tampered.contains("error: blob sha256:"), &format!("tampered image not refused: {tampered:?}"));
    m.poweroff();
}

#[test]
fn oci_runtime_lifecycle_and_errors() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(60);
    let out = m.run_with_timeout("oci-runtime run --image busybox c1 echo hello from a container", long);
    m.assert(out.trim() == "hello from a container", &format!("run printed {out:?}"));
    m.run_expect("oci-runtime list", &["c1", "stopped", "busybox"]);
    m.run_expect("oci-runtime state c1", &["\"id\": \"c1\"", "\"status\": \"stopped\"", "\"pid\": 0"]);
    // runc's rules, each a one-line error, nothing half-made.
    m.run_expect("oci-runtime start c1", &["cannot start a container that is stopped"]);
    m.run_expect("oci-runtime create --image busybox c1", &["container 'c1' already exists"]);
    m.run_expect("oci-runtime create --image nosuch c2", &["image 'nosuch'"]);
    m.run_expect("oci-runtime create --image tampered c3", &["image 'tampered'", "sha256"]);
    m.run_expect("oci-runtime create --image busybox ../evil", &["invalid container id"]);
    m.run_expect("oci-runtime create --bundle /x c4", &["--bundle: runtime bundles are not supported yet"]);
    m.run_expect("oci-runtime run --image busybox c5 nosuchcmd", &["executable file not found in $PATH"]);
    let list = m.run("oci-runtime list");
    m.assert(!list.contains("c2") && !list.contains("c3") && !list.contains("c4"), &format!("failed creates left containers: {list}"));
    m.run_expect("oci-runtime run --image busybox c6 false", &["container 'c6' exited with status 1"]);
    m.run_expect("oci-runtime delete c1", &[]);
    m.run_expect("oci-runtime state c1", &["container 'c1' does not exist"]);
    m.run_expect("echo host shell fine", &["host shell fine"]);
    m.poweroff();
}

#[test]
fn containers_see_only_their_own_files() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(60);
    // The image's default command is an interactive busybox sh.
    m.send(b"oci-runtime run --image busybox a\r");
    m.wait_for("/ # ", long);
    m.send(b"echo /*\r");
    let root = m.wait_for("/ # ", long);
    m.assert(root.contains("/bin") && root.contains("/etc") && !root.contains("/mnt"), &format!("container root: {root:?}"));
    m.send(b"cd /mnt\r");
    m.wait_for("can't cd to /mnt", long);
    m.wait_for("/ # ", long);
    m.send(b"cd ../../..; echo $PWD\r");
    let up = m.wait_for("/ # ", long);
    m.assert(up.lines().any(|l| l.trim() == "/"), &format!("`..` escaped the root: {up:?}"));
    m.send(b"echo secret > /tmp/a-only\r");
    m.wait_for("/ # ", long);
    m.send(b"exit 0\r");
    m.wait_for(cyrius::machine::PROMPT, long);
    m.send(b"oci-runtime run --image busybox b\r");
    m.wait_for("/ # ", long);
    m.send(b"echo /tmp/*\r");
    let tmp = m.wait_for("/ # ", long);
    m.assert(!tmp.contains("a-only"), &format!("container b sees a's file: {tmp:?}"));
    m.send(b"exit 4\r");
    m.wait_for("container 'b' exited with status 4", long);
    m.wait_for(cyrius::machine::PROMPT, long);
    m.run_expect("ls /tmp", &[]);
    m.poweroff();
}

#[test]
fn running_containers_side_by_side_kill_exec_ps() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(60);
    // create + start: the container runs on its own; the shell answers at once.
    m.run_with_timeout("oci-runtime create --image busybox s1 sleep 100", long);
    m.run_expect("oci-runtime start s1", &[]);
    m.run_expect("oci-runtime state s1", &["\"status\": \"running\""]);
    m.run_with_timeout("oci-runtime run -d --image busybox s2 sh -c 'sleep 50 & sleep 60'", long);
    // Each sees only its own processes; its init is PID 1 inside.
    let ps1 = m.run("oci-runtime ps s1");
    m.assert(ps1.lines().any(|l| l.contains(" 1 ") && l.ends_with("sleep 100")), &format!("ps s1: {ps1:?}"));
    m.assert(!ps1.contains("sleep 60"), &format!("s1 sees s2's process: {ps1:?}"));
    let mut ps2 = String::new();
    for _ in 0..50 {
        ps2 = m.run("oci-runtime ps s2");
        if ps2.contains("sleep 50") {
            break;
        }
    }
    m.assert(ps2.contains("sleep 50") && ps2.contains("sleep 60") && !ps2.contains("sleep 100"), &format!("ps s2: {ps2:?}"));
    // exec runs another process inside, in the foreground, with its exit status.
    m.run_expect("oci-runtime exec s1 echo hi from exec", &["hi from exec"]);
    m.run_expect("oci-runtime exec s1 sh -c 'exit 4'", &["exit status 4"]);
    let host_ps = m.run("ps");
    m.assert(host_ps.contains("s1") && host_ps.contains("s2") && host_ps.contains("sleep 100"), &format!("host ps: {host_ps:?}"));
    // SIGTERM to an init without a handler is ignored (Linux's rule for PID 1); SIGKILL is not.
    m.run_expect("oci-runtime kill s1", &[]);
    m.run_expect("oci-runtime state s1", &["\"status\": \"running\""]);
    m.run_expect("oci-runtime kill s1 KILL", &[]);
    m.run_expect("oci-runtime state s1", &["\"status\": \"stopped\""]);
    m.run_expect("oci-runtime kill s1 KILL", &["cannot kill a container that is stopped"]);
    m.run_expect("oci-runtime delete s2", &["not stopped: running"]);
    m.run_expect("oci-runtime delete --force s2", &[]);
    m.run_expect("oci-runtime delete s1", &[]);
    let list = m.run("oci-runtime list");
    m.assert(!list.contains("s1") && !list.contains("s2"), &format!("list after delete: {list:?}"));
    let after = m.run("ps");
    m.assert(!after.contains("sleep"), &format!("processes left behind: {after:?}"));
    m.poweroff();
}
