//! Isolation and credentials, tested as an attacker would.
//!
//! 1. `credentials_and_limits_match_linux`: the static program
//!    `userland/linux-tests/privs.c` runs case by case on the host Linux
//!    (under `prlimit`, `unshare` and `setpriv` with a given capability set,
//!    user and limits) and in a Cyrius container whose config.json
//!    (`/bundles/iso-{default,priv,user}`, see `cyrius::datadisk::ISO_BUNDLES`)
//!    asks for the same; outputs must match line for line.
//! 2. `containers_are_isolated_from_each_other_and_the_host`: container A
//!    (the wide capability set: CAP_SYS_CHROOT, CAP_SYS_ADMIN, CAP_MKNOD...)
//!    attacks container B and the host with `userland/linux-tests/isolation.c`
//!    and busybox: abstract and path AF_UNIX sockets, signals and pids,
//!    /proc, host names, every path trick (`..`, absolute symlinks,
//!    /proc/*/root and cwd, a directory descriptor from before chroot, the
//!    chroot escape), devices, mounts, config.json's masked and read-only
//!    paths; then a container with memory and pids limits exhausts both
//!    while B keeps serving HTTP to the host and answering `exec`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cyrius::datadisk::{linux_test_program, test_disk, IsoBundle, ISO_BUNDLES, ISO_RLIMITS};
use cyrius::{Machine, QemuConfig};

const LONG: Duration = Duration::from_secs(120);

fn bundle(name: &str) -> &'static IsoBundle {
    ISO_BUNDLES.iter().find(|b| b.name == name).expect("a bundle of that name")
}

/// The host command that runs `program case` as bundle `b` describes: the
/// same limits (prlimit), a private mount and UTS namespace (so mounts and
/// sethostname stay there), the same bounding/effective set, user, groups,
/// no_new_privs and umask (setpriv, busybox sh).
fn host_command(b: &IsoBundle, program: &Path, case: &str) -> Command {
    let mut cmd = Command::new("prlimit");
    for (kind, soft, hard) in ISO_RLIMITS {
        let value = |v: u64| if v == u64::MAX { String::from("unlimited") } else { v.to_string() };
        let flag = kind.trim_start_matches("RLIMIT_").to_lowercase();
        cmd.arg(format!("--{flag}={}:{}", value(soft), value(hard)));
    }
    cmd.args(["unshare", "--mount", "--uts", "--propagation", "private", "setpriv"]);
    let caps: Vec<String> = b.caps.iter().map(|c| format!("+{}", c.trim_start_matches("CAP_").to_lowercase())).collect();
    cmd.arg(format!("--bounding-set=-all,{}", caps.join(",")));
    cmd.arg("--inh-caps=-all");
    if b.uid == 0 {
        cmd.arg("--clear-groups");
    } else {
        cmd.arg(format!("--reuid={}", b.uid)).arg(format!("--regid={}", b.gid));
        let groups: Vec<String> = b.additional_gids.iter().map(|g| g.to_string()).collect();
        cmd.arg(format!("--groups={}", groups.join(",")));
    }
    if b.no_new_privileges {
        cmd.arg("--no-new-privs");
    }
    let umask = b.umask.unwrap_or(0o022);
    cmd.args(["/bin/busybox", "sh", "-c", &format!("umask {umask:03o}; exec {} {case}", program.display())]);
    cmd.env_clear().env("PATH", "/bin:/usr/bin:/sbin:/usr/sbin").env("HOME", "/").current_dir("/");
    cmd
}

/// Runs `cmd` with a time limit; returns its standard output.
fn host_output(mut cmd: Command) -> String {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?} on the host (util-linux's prlimit, unshare, setpriv): {e}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let deadline = Instant::now() + LONG;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the host run") {
            break s;
        }
        assert!(Instant::now() < deadline, "{cmd:?} did not finish on the host");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
    assert!(status.success(), "{cmd:?} failed on the host: {status}\n{err}");
    String::from_utf8_lossy(&reader.join().expect("reader")).into_owned()
}

/// Lines that differ between the Linux and the Cyrius output.
fn diff(expected: &str, got: &str) -> String {
    let (e, g): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), got.lines().collect());
    let mut out = String::new();
    for i in 0..e.len().max(g.len()) {
        let (a, b) = (e.get(i).copied(), g.get(i).copied());
        if a != b {
            out += &format!("    line {}: Linux {:?}\n            Cyrius {:?}\n", i + 1, a.unwrap_or("<none>"), b.unwrap_or("<none>"));
        }
    }
    out
}

#[test]
fn credentials_and_limits_match_linux() {
    test_disk();
    let program = linux_test_program("privs");
    let runs = [
        ("default", "status"),
        ("default", "limits"),
        ("default", "ops"),
        ("default", "capctl"),
        ("priv", "status"),
        ("priv", "ops"),
        ("priv", "capctl"),
        ("priv", "setid"),
        ("priv", "rlimits"),
        ("user", "status"),
        ("user", "user"),
    ];
    let only = std::env::var("DIFFTEST_CASES").ok();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let mut report = String::new();
    for (i, (name, case)) in runs.iter().enumerate() {
        if only.as_ref().is_some_and(|o| !o.split(',').any(|x| x == *case || x == format!("{name}/{case}"))) {
            continue;
        }
        let expected = host_output(host_command(bundle(name), &program, case));
        assert!(expected.starts_with(&format!("== {case}\n")), "privs {case} on the host printed {expected:?}");
        let line = format!("oci-runtime run --bundle /mnt/bundles/iso-{name} p{i} /t/privs {case}");
        let got = m.run_with_timeout(&line, LONG);
        if got != expected {
            report += &format!("  {name}/{case}:\n{}", diff(&expected, &got));
        }
    }
    m.poweroff();
    assert!(report.is_empty(), "privs cases differ from Linux:\n{report}");
}

/// A free TCP port on the host (bound, then released for QEMU to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// GET / from 127.0.0.1:`port` (retried while the guest's server comes up).
fn host_get(port: u16) -> String {
    let started = Instant::now();
    loop {
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            conn.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let _ = conn.write_all(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n");
            let mut raw = Vec::new();
            let _ = conn.read_to_end(&mut raw);
            if !raw.is_empty() {
                return String::from_utf8_lossy(&raw).into_owned();
            }
        }
        assert!(started.elapsed() < Duration::from_secs(90), "no HTTP answer on host port {port}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The (kernel pid, pid inside) pairs `oci-runtime ps ID` lists.
fn pids(m: &mut Machine, id: &str) -> Vec<(u32, u32)> {
    let out = m.run(&format!("oci-runtime ps {id}"));
    out.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.parse().ok()?, w.next()?.parse().ok()?))
        })
        .collect()
}

#[test]
fn containers_are_isolated_from_each_other_and_the_host() {
    test_disk();
    let web = free_port();
    let mut config = QemuConfig::for_tests();
    config.publish = vec![(web, 8080)];
    let mut m = Machine::boot(&config);
    m.run("log error");
    let run = |m: &mut Machine, line: &str| m.run_with_timeout(line, LONG);

    // B: a default container serving HTTP, an abstract and a path socket.
    m.run("echo host secret > /tmp/host-secret");
    run(
        &mut m,
        "oci-runtime run -d --bundle /mnt/bundles/iso-default b /bin/busybox sh -c \
         'echo b-page > /tmp/index.html; echo b > /tmp/b-secret; \
          /t/isolation abstract-listen iso-b 600 >/dev/null & /t/isolation unix-listen /tmp/b.sock 600 >/dev/null & \
          (i=0; while [ $i -lt 40 ]; do i=$((i+1)); /bin/busybox true; done; /bin/busybox sleep 600 & wait) & \
          exec /bin/busybox httpd -f -p 8080 -h /tmp'",
    );
    let page = host_get(web);
    m.assert(page.contains("b-page"), &format!("B's httpd through --publish: {page:?}"));
    // A: the attacker, with the wide capability set.
    run(&mut m, "oci-runtime run -d --bundle /mnt/bundles/iso-priv a /bin/busybox sleep 1000");

    // Abstract AF_UNIX names are per container (network namespace).
    let out = run(&mut m, "oci-runtime exec b /t/isolation abstract-connect iso-b");
    m.assert(out.contains("connect @iso-b: ok"), &format!("B reaches its own abstract name: {out:?}"));
    let out = run(&mut m, "oci-runtime exec a /t/isolation abstract-connect iso-b");
    m.assert(out.contains("connect @iso-b: ECONNREFUSED"), &format!("A reached B's abstract name: {out:?}"));
    let out = run(&mut m, "run /mnt/bin/isolation abstract-connect iso-b");
    m.assert(out.contains("connect @iso-b: ECONNREFUSED"), &format!("the host reached B's abstract name: {out:?}"));
    let out = run(&mut m, "oci-runtime exec a /t/isolation abstract-listen iso-b 1");
    m.assert(out.contains("bind @iso-b: ok"), &format!("A cannot bind the name B uses in its own namespace: {out:?}"));
    // Sockets by path: only within the filesystem a process sees.
    let out = run(&mut m, "oci-runtime exec b /t/isolation unix-connect /tmp/b.sock");
    m.assert(out.contains("connect /tmp/b.sock: ok"), &format!("B reaches its own socket file: {out:?}"));
    let out = run(&mut m, "oci-runtime exec a /t/isolation unix-connect /tmp/b.sock");
    m.assert(out.contains("connect /tmp/b.sock: ENOENT"), &format!("A reached B's socket file: {out:?}"));
    let out = run(&mut m, "run /mnt/bin/isolation unix-connect /tmp/b.sock");
    m.assert(out.contains("connect /tmp/b.sock: ENOENT"), &format!("the host reached B's socket file: {out:?}"));

    // Pids: B's processes do not exist for A (kernel pids or B's own numbers).
    // (B's last process has pids far above any A uses: it came after 40 others.)
    let mut b_pids = pids(&mut m, "b");
    for _ in 0..50 {
        if b_pids.iter().any(|(_, v)| *v > 40) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
        b_pids = pids(&mut m, "b");
    }
    let a_pids = pids(&mut m, "a");
    m.assert(b_pids.len() >= 4 && !a_pids.is_empty(), &format!("ps: b {b_pids:?} a {a_pids:?}"));
    // Numbers A might be using now or for its next processes are left out.
    let a_top = a_pids.iter().map(|(_, v)| *v).max().unwrap_or(1) + 20;
    let targets: Vec<String> = b_pids.iter().flat_map(|(k, v)| [*k, *v]).filter(|p| *p > a_top).map(|p| p.to_string()).collect();
    m.assert(!targets.is_empty(), &format!("no pid of B to try from A: b {b_pids:?} a {a_pids:?}"));
    let out = run(&mut m, &format!("oci-runtime exec a /t/isolation kill {}", targets.join(" ")));
    let kills = out.lines().filter(|l| l.starts_with("kill ")).count();
    m.assert(kills == targets.len() && out.lines().filter(|l| l.starts_with("kill ")).all(|l| l.ends_with("ESRCH")), &format!("kill of B's pids from A: {out:?}"));
    let out = run(&mut m, "oci-runtime exec a /bin/busybox kill -9 -1");
    let still = pids(&mut m, "b");
    m.assert(still.len() == b_pids.len(), &format!("kill -1 in A touched B ({out:?}): {b_pids:?} -> {still:?}"));
    // /proc shows only A's processes; pid 1 there is A's init.
    let listing = run(&mut m, "oci-runtime exec a /bin/busybox ls /proc");
    let numbers: Vec<u32> = listing.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    m.assert(!numbers.is_empty() && numbers.len() <= 3, &format!("A's /proc lists {numbers:?}"));
    let cmd = run(&mut m, "oci-runtime exec a /bin/busybox cat /proc/1/cmdline");
    m.assert(cmd.contains("sleep") && !cmd.contains("httpd"), &format!("A's /proc/1 is {cmd:?}"));

    // Host names: each UTS namespace its own; A (CAP_SYS_ADMIN) renames only itself.
    run(&mut m, "oci-runtime exec a /bin/busybox hostname renamed-by-a");
    let a_name = run(&mut m, "oci-runtime exec a /bin/busybox hostname");
    let b_name = run(&mut m, "oci-runtime exec b /bin/busybox hostname");
    let host_name = run(&mut m, "run /mnt/bin/busybox hostname");
    m.assert(
        a_name.trim() == "renamed-by-a" && b_name.trim() == "iso-default" && host_name.trim() == "cyrius",
        &format!("host names: a {a_name:?} b {b_name:?} host {host_name:?}"),
    );
    let out = run(&mut m, "oci-runtime exec b /bin/busybox hostname evil");
    m.assert(out.contains("Operation not permitted") || out.contains("hostname:"), &format!("B without CAP_SYS_ADMIN renamed itself: {out:?}"));

    // Paths: every trick, with CAP_SYS_CHROOT; no marker of B or the host is reachable.
    let out = run(&mut m, "oci-runtime exec a /t/isolation escape /tmp/b-secret /tmp/host-secret /mnt/hello.txt /mnt/bundles");
    m.assert(!out.contains("REACHED") && out.matches("no marker reachable").count() >= 9, &format!("escape attempts: {out}"));
    m.assert(out.contains("chroot into a subdirectory: ok") && out.contains("own /t is there"), &format!("the chroot escape as on Linux, inside the container: {out}"));
    m.assert(out.contains("0 descriptors naming a marker"), &format!("/proc/*/fd: {out}"));

    // Devices: with CAP_MKNOD nodes can be made, but none reaches a disk or kernel memory.
    let out = run(&mut m, "oci-runtime exec a /t/isolation devices");
    for dev in ["vda", "sda", "mem", "kmsg"] {
        m.assert(out.contains(&format!("open {dev}: ENXIO")), &format!("device {dev} from A: {out}"));
    }
    m.assert(out.contains("open null2: ok"), &format!("the container's own null device: {out}"));
    let dev: Vec<&str> = out.lines().find_map(|l| l.strip_prefix("/dev:")).unwrap_or("").split_whitespace().collect();
    let want = ["null", "zero", "full", "random", "urandom", "console", "tty", "extra-null", "vdz"];
    m.assert(want.iter().all(|d| dev.contains(d)) && dev.len() == want.len() + 6, &format!("A's /dev: {dev:?}"));
    let out = run(&mut m, "oci-runtime exec a /bin/busybox cat /dev/vdz");
    m.assert(out.contains("No such device or address"), &format!("linux.devices block node: {out:?}"));
    let out = run(&mut m, "oci-runtime run --bundle /mnt/bundles/iso-default d1 /t/isolation devices");
    m.assert(out.matches(": EPERM").count() == 5, &format!("mknod without CAP_MKNOD: {out}"));

    // Mounts: EPERM without CAP_SYS_ADMIN; with it, only this container's namespace changes.
    let out = run(&mut m, "oci-runtime run --bundle /mnt/bundles/iso-default m1 /t/isolation mounts");
    m.assert(out.matches(": EPERM").count() == 6, &format!("mounts without CAP_SYS_ADMIN: {out}"));
    let out = run(&mut m, "oci-runtime run --bundle /mnt/bundles/iso-priv m2 /t/isolation mounts");
    for line in ["mount tmpfs: ok", "mount proc: ok", "bind /: ok", "umount /proc: ok", "pivot_root: ENOSYS", "sethostname: ok"] {
        m.assert(out.contains(line), &format!("mounts with CAP_SYS_ADMIN lack {line:?}: {out}"));
    }
    let out = run(&mut m, "oci-runtime exec b /bin/busybox cat /proc/1/cmdline");
    m.assert(out.contains("httpd"), &format!("B's /proc after m2 unmounted its own: {out:?}"));

    // config.json: read-only root, masked and read-only paths.
    let out = run(&mut m, "oci-runtime exec b /bin/busybox sh -c 'touch /x; touch /ro-dir/x; cat /etc/masked-file; ls /masked-dir; echo end'");
    m.assert(out.matches("Read-only file system").count() == 2 && !out.contains("must not") && out.contains("end"), &format!("B's read-only root and masks: {out:?}"));
    let out = run(&mut m, "oci-runtime exec a /bin/busybox sh -c 'touch /x && echo root-writable; touch /ro-dir/x; touch /masked-dir/x; cat /etc/masked-file; echo end'");
    m.assert(out.contains("root-writable") && out.matches("Read-only file system").count() == 2 && !out.contains("must not"), &format!("A's writable root, read-only and masked paths: {out:?}"));

    // Exhaustion: memory and processes in a limited container; B and the host keep serving.
    let out = run(&mut m, "oci-runtime run --bundle /mnt/bundles/iso-default hog /t/isolation hog 400");
    let hogged = out.split("hog: ").nth(1).and_then(|s| s.split_whitespace().next()).and_then(|n| n.parse::<u32>().ok());
    m.assert(hogged.is_none_or(|mb| mb < 48) && !out.contains("400 of 400"), &format!("a 48 MiB container took more: {out:?}"));
    let out = run(&mut m, "oci-runtime run --bundle /mnt/bundles/iso-default bomb /t/isolation forkbomb 10000");
    let forked = out.split("forkbomb: ").nth(1).and_then(|s| s.split_whitespace().next()).and_then(|n| n.parse::<u32>().ok());
    m.assert(forked.is_some_and(|n| n < 48) && out.contains("EAGAIN"), &format!("a 48-pid container forked more: {out:?}"));
    let page = host_get(web);
    m.assert(page.contains("b-page"), &format!("B's httpd after the exhaustion: {page:?}"));
    let out = run(&mut m, "oci-runtime exec b /bin/busybox echo b still answers");
    m.assert(out.contains("b still answers"), &format!("B after the exhaustion: {out:?}"));
    m.run_expect("echo host fine", &["host fine"]);

    // --image containers get `docker run`'s defaults: its fourteen capabilities
    // (CapEff a80425fb, as in any Docker container), no no_new_privs, and runc
    // spec's 1024 descriptors.
    let out = run(&mut m, "oci-runtime run --image busybox img sh -c 'grep -E \"^(CapEff|CapBnd|NoNewPrivs)\" /proc/self/status; ulimit -n'");
    m.assert(
        out.matches("00000000a80425fb").count() == 2 && out.lines().any(|l| l.starts_with("NoNewPrivs") && l.trim_end().ends_with('0')) && out.lines().any(|l| l.trim() == "1024"),
        &format!("an image container's privileges: {out:?}"),
    );
    run(&mut m, "oci-runtime delete --force a");
    run(&mut m, "oci-runtime delete --force b");
    m.poweroff();
}
