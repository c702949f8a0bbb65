//! OCI images on the data disk, read and verified by the kernel; containers
//! made from them (sharing the image's data copy-on-write) and from runtime
//! bundles.

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
    m.run_expect("oci-runtime create --bundle /x c4", &["bundle /x: No such file or directory"]);
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

/// `oci-runtime start ID` of a container without a terminal returns at once;
/// this waits until it stopped and returns what the console showed meanwhile.
fn start_until_stopped(m: &mut Machine, id: &str) -> String {
    let before = m.transcript().len();
    m.run(&format!("oci-runtime start {id}"));
    for _ in 0..300 {
        if m.run(&format!("oci-runtime state {id}")).contains("\"status\": \"stopped\"") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    m.transcript()[before..].to_string()
}

/// `real 0.123s` (the shell's `time` prefix) in seconds.
fn real_seconds(out: &str) -> f64 {
    let line = out.lines().find_map(|l| l.trim().strip_prefix("real ")).unwrap_or_else(|| panic!("no time in {out:?}"));
    line.trim_end_matches('s').parse().unwrap_or_else(|_| panic!("bad time {line:?}"))
}

#[test]
fn containers_of_one_image_share_its_data_copy_on_write() {
    test_disk();
    let size = std::fs::metadata("/bin/busybox").expect("/bin/busybox").len();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(60);
    // The first create mounts the image's store layers; later ones reuse them (and the
    // pages the first one read).
    let first = m.run_with_timeout("time oci-runtime run --image busybox t1 echo hi", long);
    let second = m.run_with_timeout("time oci-runtime run --image busybox t2 echo hi", long);
    let (t1, t2) = (real_seconds(&first), real_seconds(&second));
    eprintln!("oci-runtime run echo: first (mounts the image) {t1:.3} s, second (mounted, cached pages) {t2:.3} s");
    m.assert(first.contains("hi") && second.contains("hi"), &format!("runs printed {first:?} / {second:?}"));
    m.assert(t2 < t1, &format!("the cached run ({t2} s) is not faster than the first ({t1} s)"));
    m.run_expect("images", &["busybox", "mounted"]);

    // Two containers of the same image: writes into /bin in one stay there.
    // Shell builtins only (no fork or execve yet): the container's one process.
    // `1<>` overwrites in place, in pages w1 shares with the image and w2:
    // the ELF header of busybox (through its link /bin/cat) and /etc/passwd.
    let create = "oci-runtime create --image busybox w1 sh -c 'echo new > /bin/newfile; echo XXXX 1<>/bin/cat; \
                  echo hacked 1<>/etc/passwd; read v < /etc/passwd; echo w1 reads $v'";
    let out = m.run(create);
    m.assert(out.trim().is_empty(), &format!("`{create}` printed {out:?}"));
    let out = m.run("oci-runtime create --image busybox w2 cat /etc/passwd /bin/newfile");
    m.assert(out.trim().is_empty(), &format!("create w2 printed {out:?}"));
    let w1 = start_until_stopped(&mut m, "w1");
    m.assert(w1.contains("w1 reads hacked"), &format!("w1's writes failed: {w1:?}"));
    // w2 runs the same busybox inode's data: it only starts if w1's write stayed in w1.
    let w2 = start_until_stopped(&mut m, "w2");
    m.assert(w2.contains("root:x:0:0:root:/root:/bin/sh"), &format!("w2 sees w1's write to /etc/passwd: {w2:?}"));
    m.assert(w2.contains("can't open '/bin/newfile': No such file or directory"), &format!("w2 sees w1's new file: {w2:?}"));
    let w3 = m.run_with_timeout("oci-runtime run --image busybox w3 wc -c /bin/busybox", long);
    m.assert(w3.contains(&format!("{size} /bin/busybox")), &format!("the image's template changed: {w3:?}"));
    m.poweroff();
}

#[test]
fn runtime_bundles_directory_and_tar() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    let long = std::time::Duration::from_secs(60);
    // A bundle directory on the FAT32 disk: read-only root, a tmpfs mount, /proc.
    m.run("log error");
    let created = m.run_with_timeout("oci-runtime create b1 --bundle /mnt/bundles/busybox", long);
    m.assert(created.trim().is_empty(), &format!("create b1 printed {created:?}"));
    m.run_expect("oci-runtime state b1", &["\"status\": \"created\"", "\"bundle\": \"/mnt/bundles/busybox\""]);
    m.run_expect("oci-runtime list", &["b1", "created", "/mnt/bundles/busybox"]);
    let out = start_until_stopped(&mut m, "b1");
    for want in ["hello from a bundle in /home", "can't create /x: Read-only file system", "scratch ok"] {
        m.assert(out.contains(want), &format!("bundle run lacks {want:?}: {out:?}"));
    }

    // A tar of a bundle keeps modes, owners, hard links and symlinks; process.user applies.
    let out = m.run_with_timeout("oci-runtime run -b /mnt/bundles/busybox.tar b2", long);
    let sh = out.lines().find(|l| l.starts_with("/bin/sh ")).unwrap_or("").to_string();
    let links: u32 = sh.split(' ').nth(2).and_then(|n| n.parse().ok()).unwrap_or(0);
    m.assert(sh.starts_with("/bin/sh 755 ") && links > 100, &format!("/bin/sh is not the image's hard-linked busybox: {out:?}"));
    for want in [
        "tar bundle",
        "secret: top secret",
        "can't create /etc/new: Permission denied",
        "/etc/secret 600 1 1000",
        "'/bin/shell' -> 'busybox' 777 1 0",
    ] {
        m.assert(out.contains(want), &format!("tar bundle run lacks {want:?}: {out:?}"));
    }

    // Errors: one line each, and the id stays free.
    m.run_expect("oci-runtime create e1 --bundle /mnt/bundles/noconfig", &["bundle /mnt/bundles/noconfig: no config.json in the bundle"]);
    m.run_expect("oci-runtime create e1 --bundle /mnt/bundles/badjson", &["bundle /mnt/bundles/badjson: config.json: process.args: expected an array of strings"]);
    m.run_expect("oci-runtime create e1 --bundle /mnt/bundles/norootfs", &["root.path \"rootfs\"", "No such file or directory"]);
    m.run_expect("oci-runtime create e1 --bundle /mnt/bundles/broken.tar", &["bundle /mnt/bundles/broken.tar: tar:"]);
    m.run_expect("oci-runtime create e1 --bundle /mnt/bundles/busybox --image busybox", &["give one of --image NAME or --bundle PATH"]);
    m.run_expect("oci-runtime create e1 --bundle", &["--bundle needs a value"]);
    let list = m.run("oci-runtime list");
    m.assert(!list.contains("e1"), &format!("a failed create left a container: {list}"));
    let out = m.run("oci-runtime create e1 --bundle /mnt/bundles/busybox");
    m.assert(out.trim().is_empty(), &format!("the id did not stay free: {out:?}"));
    m.run_expect("oci-runtime list", &["e1", "created"]);
    // A relative bundle path is taken from the shell's working directory.
    m.run("cd /mnt/bundles");
    let out = m.run("oci-runtime create rel --bundle busybox.tar");
    m.assert(out.trim().is_empty(), &format!("relative bundle: {out:?}"));
    m.run_expect("oci-runtime state rel", &["\"bundle\": \"/mnt/bundles/busybox.tar\""]);
    m.poweroff();
}

/// (CPU ns, memory bytes, memory failures, pids) from `oci-runtime events --stats`.
fn stats(m: &mut Machine, id: &str) -> (u64, u64, u64, u64) {
    let out = m.run(&format!("oci-runtime events --stats {id}"));
    let num = |key: &str| -> u64 {
        let at = out.find(key).unwrap_or_else(|| panic!("no {key} in {out:?}")) + key.len();
        out[at..].chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap_or(0)
    };
    (num("\"total\":"), num("\"usage\":{\"usage\":"), num("\"failcnt\":"), num("\"current\":"))
}

fn uptime_ms(m: &mut Machine) -> u64 {
    let out = m.run("uptime");
    let inner = out.split('(').nth(1).and_then(|s| s.split(' ').next()).unwrap_or("0");
    inner.parse().unwrap_or_else(|_| panic!("bad uptime {out:?}"))
}

/// How long the host shell takes to answer while containers are busy.
fn shell_latency(m: &mut Machine) -> std::time::Duration {
    let t = std::time::Instant::now();
    m.run_expect("echo still here", &["still here"]);
    t.elapsed()
}

#[test]
fn resource_limits_cpu_quota_memory_and_pids() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(60);
    // Two spinning containers: one capped at 10% of a CPU, one unlimited.
    m.run_with_timeout("oci-runtime create --image busybox capped sh -c 'while :; do :; done'", long);
    m.run_expect("oci-runtime update --cpu-quota 10000 --cpu-period 100000 capped", &[]);
    m.run_with_timeout("oci-runtime create --image busybox free sh -c 'while :; do :; done'", long);
    m.run("oci-runtime start capped");
    m.run("oci-runtime start free");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (c0, f0, t0) = (stats(&mut m, "capped").0, stats(&mut m, "free").0, uptime_ms(&mut m));
    let mut worst = std::time::Duration::ZERO;
    for _ in 0..8 {
        std::thread::sleep(std::time::Duration::from_millis(500));
        worst = worst.max(shell_latency(&mut m));
    }
    let (c1, f1, t1) = (stats(&mut m, "capped").0, stats(&mut m, "free").0, uptime_ms(&mut m));
    let elapsed_ns = (t1 - t0) as f64 * 1e6;
    let (capped, free) = ((c1 - c0) as f64 * 100.0 / elapsed_ns, (f1 - f0) as f64 * 100.0 / elapsed_ns);
    eprintln!("over {} ms: capped {capped:.1}% free {free:.1}%, worst shell answer {worst:?}", t1 - t0);
    m.assert((8.0..=12.0).contains(&capped), &format!("capped container used {capped:.1}% of the CPU (want 10 ± 2)"));
    m.assert(free > 60.0, &format!("the unlimited container got only {free:.1}%"));
    m.assert(worst < std::time::Duration::from_secs(1), &format!("the shell took {worst:?} to answer"));
    // Raising the cap of the running container takes effect at once.
    m.run_expect("oci-runtime update --cpu-quota 50000 capped", &[]);
    let top = m.run("top -n 1 -d 0.5");
    m.assert(top.contains("capped") && top.contains("free") && top.contains("CPU%"), &format!("top: {top:?}"));
    m.run("oci-runtime delete --force capped");
    m.run("oci-runtime delete --force free");

    // A memory hog is stopped at its limit; the kernel carries on.
    m.run_with_timeout("oci-runtime create --image busybox hog sh -c 'x=0123456789abcdef; while :; do x=$x$x; done'", long);
    m.run_expect("oci-runtime update --memory 16M hog", &[]);
    m.run("oci-runtime start hog");
    let mut stopped = false;
    for _ in 0..100 {
        if m.run("oci-runtime state hog").contains("\"stopped\"") {
            stopped = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    m.assert(stopped, "the memory hog was not stopped");
    let (_, used, failures, _) = stats(&mut m, "hog");
    m.assert(failures > 0 && used <= 16 * 1024 * 1024, &format!("hog: used {used} bytes, {failures} refused allocations"));
    m.run_expect("oci-runtime delete hog", &[]);

    // A fork bomb is held at its pids limit; the shell still answers.
    m.run_with_timeout("oci-runtime create --image busybox bomb sh -c 'f() { f | f & }; f; sleep 1000'", long);
    m.run_expect("oci-runtime update --pids-limit 20 bomb", &[]);
    m.run("oci-runtime start bomb");
    let mut most = 0;
    let mut worst = std::time::Duration::ZERO;
    for _ in 0..10 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        most = most.max(stats(&mut m, "bomb").3);
        worst = worst.max(shell_latency(&mut m));
    }
    eprintln!("fork bomb: at most {most} processes, worst shell answer {worst:?}");
    m.assert(most <= 20 && most >= 5, &format!("the bomb reached {most} processes (limit 20)"));
    m.assert(worst < std::time::Duration::from_secs(1), &format!("the shell took {worst:?} to answer"));
    m.run("oci-runtime delete --force bomb");
    let after = m.run("ps");
    m.assert(after.lines().count() <= 1, &format!("processes left: {after:?}"));
    m.poweroff();
}

#[test]
fn interactive_busybox_shell_job_control_and_ctrl_c() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(60);
    m.send(b"oci-runtime run --image busybox i1\r");
    m.wait_for("/ # ", long);
    // ^C stops the foreground job, not the shell.
    m.send(b"sleep 100\r");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let t = std::time::Instant::now();
    m.send(b"\x03");
    m.wait_for("/ # ", long);
    m.assert(t.elapsed() < std::time::Duration::from_secs(5), "^C did not end sleep 100 promptly");
    m.send(b"echo after ^C $?\r");
    m.wait_for("after ^C 130", long);
    m.wait_for("/ # ", long);
    // Pipelines, background jobs, wait, exit status.
    m.send(b"ls / | wc -l; yes | head -n 3\r");
    let out = m.wait_for("/ # ", long);
    m.assert(out.matches("y\n").count() >= 3, &format!("yes | head: {out:?}"));
    m.send(b"sleep 1 & jobs; wait; echo waited\r");
    let out = m.wait_for("waited", long);
    m.assert(out.contains("sleep 1"), &format!("jobs: {out:?}"));
    m.wait_for("/ # ", long);
    m.send(b"sh -c 'exit 3'; echo status=$?\r");
    m.wait_for("status=3", long);
    m.wait_for("/ # ", long);
    // ps inside shows only this container, with sh as PID 1.
    m.send(b"ps\r");
    let ps = m.wait_for("/ # ", long);
    m.assert(ps.lines().any(|l| l.trim_start().starts_with("1 ") && l.contains("sh")), &format!("ps: {ps:?}"));
    // vi edits and saves a file (raw mode, escape sequences, redraw).
    m.send(b"vi /tmp/notes\r");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    m.send(b"ihello from vi\x1b");
    std::thread::sleep(std::time::Duration::from_millis(500));
    m.send(b":wq\r");
    m.wait_for("/ # ", long);
    m.send(b"cat /tmp/notes\r");
    let cat = m.wait_for("/ # ", long);
    m.assert(cat.contains("hello from vi"), &format!("vi did not save: {cat:?}"));
    m.send(b"exit\r");
    m.wait_for(cyrius::machine::PROMPT, long);
    m.run_expect("echo back in the host shell", &["back in the host shell"]);
    m.poweroff();
}

#[test]
fn host_world_program_drives_the_oci_verbs_through_the_host_table() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(60);
    // `oci` (userland/host/oci.c) has no libc: each verb is one host syscall.
    m.run_with_timeout("run /mnt/bin/host/oci create hw1 busybox sleep 100", long);
    m.run_expect("oci-runtime list", &["hw1", "created"]);
    m.run_expect("run /mnt/bin/host/oci start hw1", &[]);
    m.run_expect("run /mnt/bin/host/oci state hw1", &["\"id\": \"hw1\"", "\"status\": \"running\""]);
    m.run_expect("run /mnt/bin/host/oci kill hw1 9", &[]);
    m.run_expect("run /mnt/bin/host/oci state hw1", &["\"status\": \"stopped\""]);
    m.run_expect("run /mnt/bin/host/oci delete hw1", &[]);
    m.run_expect("run /mnt/bin/host/oci state hw1", &["oci: error 2"]);
    m.run_expect("run /mnt/bin/host/oci create hw1 nosuchimage", &["oci: error 22"]);
    // A Linux process cannot exec into the host table (nor can a container's):
    // execve fails with ENOEXEC (so sh even tries it as a script).
    let out = m.run("run /mnt/bin/busybox sh -c 'exec /mnt/bin/host/oci state x'");
    m.assert(!out.contains("ociVersion") && !out.contains("oci: error") && out.contains("exit status"), &format!("a Linux process reached the host table: {out:?}"));
    m.run_expect("oci-runtime list", &["ID"]);
    m.poweroff();
}

/// The prompt the acceptance test gives the container's shell (`PS1`).
const CONTAINER_PROMPT: &str = "acc@> ";

/// What a command typed at the container's [`CONTAINER_PROMPT`] printed: the
/// text between the echoed line and the next prompt.
fn container_command(m: &mut Machine, line: &str) -> String {
    m.run_at(CONTAINER_PROMPT, line, std::time::Duration::from_secs(60))
}

/// Issue #5's acceptance list, in the busybox container: the deterministic
/// commands print what the same busybox prints on the host Linux (each line
/// runs with `busybox sh -c` in a fresh host directory, the container's run in
/// a fresh /tmp directory); the others are checked for what Linux would show.
#[test]
fn busybox_container_commands_match_linux() {
    test_disk();
    // Each line is short enough that prompt + line fit in 80 columns: the
    // line editor wraps longer ones, and the echo would mix with the output.
    let script: &[&str] = &[
        "mkdir -p d/e && echo bee > d/b && echo ay > d/e/a",
        "printf 'x\\ny\\nx\\n' > d/e/c",
        "find d | sort",
        "find d -type f -name a",
        "printf 'c\\na\\nb\\na\\n' | sort | uniq -c",
        "sort -r -u d/e/c",
        "echo hello world | sed 's/world/cyrius/; s/^h/H/'",
        "sed -n '2p' d/e/c; sed 's/x/z/g' d/e/c",
        "echo '3 4 5' | awk '{ s = $1 * $2 + $3; print s, NF }'",
        "awk 'BEGIN { for (i = 1; i < 4; i++) printf \"%d,\", i * i; print }'",
        "awk -F: '{ print $1 }' /dev/null; echo awk-done",
        "tar -cf t.tar d && tar -tf t.tar | sort",
        "mkdir x && tar -xf t.tar -C x && cat x/d/b x/d/e/a",
        "tar -czf t.tgz d && tar -tzf t.tgz | sort",
        "gzip -c d/e/c > c.gz && gzip -dc c.gz && gzip -t c.gz && echo ok",
        "gzip d/b && ls -1 d && gunzip d/b.gz && cat d/b",
        "md5sum d/b d/e/a",
        "sh -c 'exit 3'; echo $?",
        "date -u -d @86400",
        "date -u -d '2024-02-29 12:34:56' +%s",
        "ls -l d/e/a | awk '{ print $1, $5, $NF }'",
        "yes | head -n 3; seq 3 | tac",
        "cat d/nope 2>&1; echo status $?",
        "echo one > r; echo two >> r; cat < r; wc -l < r",
    ];
    let host_dir = cyrius::paths::build_dir().join("acceptance-host");
    let _ = std::fs::remove_dir_all(&host_dir);
    std::fs::create_dir_all(&host_dir).expect("host scratch directory");

    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(60);
    m.send(b"oci-runtime run --image busybox acc\r");
    m.wait_for("/ # ", long);
    m.send(format!("PS1='{CONTAINER_PROMPT}'\r").as_bytes());
    m.wait_for(&format!("\n{CONTAINER_PROMPT}"), long);
    container_command(&mut m, "mkdir /tmp/w && cd /tmp/w");
    for line in script {
        assert!(line.len() + CONTAINER_PROMPT.len() < 80, "shorten the test line {line:?}");
        let host = std::process::Command::new("/bin/busybox")
            .args(["sh", "-c", line])
            .current_dir(&host_dir)
            .env("TZ", "UTC")
            .output()
            .expect("host busybox");
        let expected = String::from_utf8_lossy(&host.stdout).into_owned() + &String::from_utf8_lossy(&host.stderr);
        let got = container_command(&mut m, line);
        // The next prompt follows output at once, so a missing final newline is invisible.
        let (got, expected) = (got.trim_end_matches('\n'), expected.trim_end_matches('\n'));
        m.assert(got == expected, &format!("`{line}`: Cyrius printed {got:?}, Linux printed {expected:?}"));
    }

    // ash's history: the up arrow brings back the last line.
    container_command(&mut m, "echo recalled");
    let again = container_command(&mut m, "\x1b[A");
    m.assert(again.contains("recalled"), &format!("up arrow: {again:?}"));
    // The rest depends on the machine: check the shape Linux gives.
    let ls = container_command(&mut m, "ls -l /");
    m.assert(ls.lines().any(|l| l.starts_with("drwx") && l.ends_with(" bin")), &format!("ls -l /: {ls:?}"));
    let uname = container_command(&mut m, "uname -a");
    m.assert(uname.starts_with("Linux acc ") && uname.contains("x86_64"), &format!("uname -a: {uname:?}"));
    let hostname = container_command(&mut m, "hostname");
    m.assert(hostname.trim() == "acc", &format!("hostname: {hostname:?}"));
    let year = container_command(&mut m, "date +%Y");
    let year: u32 = year.trim().parse().unwrap_or(0);
    m.assert(year >= 2025, &format!("date: year {year} (the RTC's real time?)"));
    let df = container_command(&mut m, "df -k / /tmp");
    let sizes: Vec<u64> = df.lines().skip(1).filter_map(|l| l.split_whitespace().nth(1)?.parse().ok()).collect();
    m.assert(sizes.len() == 2 && sizes.iter().all(|&k| k > 100_000), &format!("df: {df:?}"));
    let free = container_command(&mut m, "free");
    let total: u64 = free.lines().find(|l| l.starts_with("Mem:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0);
    m.assert((400_000..600_000).contains(&total), &format!("free: Mem total {total} KiB: {free:?}"));
    let top = container_command(&mut m, "top -n 1 -b");
    m.assert(top.contains("PID") && top.lines().any(|l| l.contains(" sh")), &format!("top -n 1: {top:?}"));
    m.send(b"exit\r");
    m.wait_for(cyrius::machine::PROMPT, long);
    m.poweroff();
    let _ = std::fs::remove_dir_all(&host_dir);
}
