//! Containers under a seccomp profile, compared with Linux: each bundle of
//! `/bundles/seccomp-*` (a custom profile, and Docker's default profile as
//! dockerd converts it) runs `userland/linux-tests/scprobe.c` in Cyrius
//! (`oci-runtime run --bundle`); on the host the same probe runs under the
//! same `linux.seccomp`, compiled by the `seccomp` crate and installed the
//! way runc does, right before execve. What the probe prints must match.
//! A bad profile is refused when the container is created.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};

use cyrius::datadisk::{linux_test_program, seccomp_bundle_config, seccomp_bundles, test_disk};
use cyrius::{Machine, QemuConfig};

/// Runs the probe on the host under the config's `linux.seccomp`, installed
/// in the child just before execve (no_new_privs first, as runc with
/// `noNewPrivileges`). Returns (stdout, exit status).
fn host_run(config: &str, cases: &[&str]) -> (String, String) {
    let spec = oci::parse_config(config.as_bytes()).expect("the bundle's config.json parses");
    let profile = spec.linux.and_then(|l| l.seccomp).expect("linux.seccomp");
    let compiled = seccomp::compile(&profile).expect("the profile compiles");
    let filter: Vec<libc::sock_filter> =
        compiled.program.insns().iter().map(|i| libc::sock_filter { code: i.code, jt: i.jt, jf: i.jf, k: i.k }).collect();
    let flags = compiled.flags;
    let mut cmd = Command::new(linux_test_program("scprobe"));
    cmd.args(cases).env_clear().env("PATH", "/bin").current_dir("/").stdin(Stdio::null()).stderr(Stdio::null());
    // SAFETY: the closure runs in the forked child before execve and only
    // makes system calls on memory prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            let prog = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr() as *mut libc::sock_filter };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::syscall(libc::SYS_seccomp, 1, flags, &prog as *const libc::sock_fprog) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("run the probe on the host");
    let status = match (out.status.code(), out.status.signal()) {
        (Some(0), _) => String::new(),
        (Some(c), _) => format!("exit status {c}"),
        (None, s) => format!("signal {s:?}"),
    };
    (String::from_utf8_lossy(&out.stdout).into_owned(), status)
}

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
fn containers_under_seccomp_profiles_match_linux() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let long = std::time::Duration::from_secs(120);
    let mut report = String::new();
    for (i, (bundle, cases, profile)) in seccomp_bundles().iter().enumerate() {
        let (expected, status) = host_run(&seccomp_bundle_config(profile, cases), cases);
        assert!(expected.starts_with("== allowed\n"), "{bundle} on the host printed {expected:?}");
        assert_eq!(status, "", "{bundle} on the host");
        let got = m.run_with_timeout(&format!("oci-runtime run --bundle /mnt/bundles/{bundle} sc{i}"), long);
        eprintln!("{bundle}: {} lines", got.lines().count());
        if got.trim_end() != expected.trim_end() {
            report += &format!("{bundle}:\n{}", diff(expected.trim_end(), got.trim_end()));
        }
    }
    m.assert(report.is_empty(), &format!("Cyrius differs from Linux:\n{report}"));
    // A profile with an unknown action: refused at create, naming the field.
    m.run_expect(
        "oci-runtime create --bundle /mnt/bundles/seccomp-bad bad",
        &["config.json: linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_MAYBE\""],
    );
    let list = m.run("oci-runtime list");
    m.assert(!list.contains("bad"), &format!("a refused container is listed: {list:?}"));
    m.poweroff();
}
