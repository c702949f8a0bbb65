//! Unmodified dynamically linked glibc programs (issue #5): small programs
//! built with Debian's gcc (`userland/dynamic/glibc`) run with the host's own
//! ld-linux-x86-64.so.2, libc.so.6 and libm.so.6, copied onto the data disk,
//! and must print what they print on the host: from the kernel shell (the
//! loader linked into place in the host namespace), and in a container
//! whose bundle root is laid out like Debian's (PT_INTERP a symlink), where
//! Debian's own bash, coreutils, grep, sed and mawk run a script too.

use std::process::Command;
use std::time::Duration;

use cyrius::datadisk::{glibc_program, test_disk, DEBIAN_TOOLS_SCRIPT};
use cyrius::qemu::CPU_AVX;
use cyrius::{Machine, QemuConfig};

/// The environment the kernel shell's `run` gives a program; the host run gets the same.
const ENV: [(&str, &str); 3] = [("PATH", "/bin:/usr/bin"), ("HOME", "/"), ("TERM", "vt100")];

/// stdout and the status words of the kernel shell's `run` ("" for 0).
fn host(name: &str, args: &[&str]) -> (String, String) {
    let out = Command::new(glibc_program(name)).args(args).env_clear().envs(ENV).output().expect("run on the host");
    let status = match out.status.code() {
        Some(0) => String::new(),
        Some(c) => format!("exit status {c}"),
        None => String::from("killed"),
    };
    (String::from_utf8_lossy(&out.stdout).into_owned(), status)
}

fn cyrius(m: &mut Machine, name: &str, args: &[&str]) -> (String, String) {
    let path = format!("/mnt/glibc/bin/{name}");
    let out = m.run_with_timeout(&format!("run {path} {}", args.join(" ")), Duration::from_secs(60));
    let prefix = format!("run: {path}: ");
    let mut status = String::new();
    let mut text = String::new();
    for line in out.lines() {
        match line.strip_prefix(&prefix) {
            Some(s) => status = s.to_string(),
            None => text += &format!("{line}\n"),
        }
    }
    (text, status)
}

const PROGRAMS: &[(&str, &[&str])] =
    &[("hello", &["one", "two words"]), ("threads", &[]), ("dl", &[]), ("files", &[]), ("spawn", &[])];

/// Runs every program from the kernel shell on a machine booted with `config`.
fn programs_match_linux(config: &QemuConfig) {
    test_disk();
    let mut m = Machine::boot(config);
    m.run("log error");
    // Before the loader is in place, the interpreter is missing.
    m.run_expect("run /mnt/glibc/bin/hello", &["No such file or directory"]);
    // The loader at its PT_INTERP path and the libraries in Debian's place.
    m.run_expect("mkdir -p /lib64 /lib /etc", &[]);
    m.run_expect("ln -s /mnt/glibc/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu", &[]);
    m.run_expect("ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2", &[]);
    m.run_expect("cp /mnt/glibc/etc/passwd /etc/passwd", &[]);
    let mut report = String::new();
    for (name, args) in PROGRAMS {
        let (expected, expected_status) = host(name, args);
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let quoted: Vec<&str> = quoted.iter().map(String::as_str).collect();
        let (got, status) = cyrius(&mut m, name, &quoted);
        if got.trim_end() != expected.trim_end() || status != expected_status {
            report += &format!("{name}: Linux ({expected_status:?}):\n{expected}Cyrius ({status:?}):\n{got}\n");
        }
    }
    m.assert(report.is_empty(), &format!("Cyrius differs from Linux:\n{report}"));
    m.poweroff();
}

#[test]
fn glibc_dynamic_programs_print_what_they_print_on_linux() {
    programs_match_linux(&QemuConfig::for_tests());
}

/// With AVX2 and XSAVEC, glibc picks its AVX2 string functions and saves
/// the vector registers with xsavec in the lazy-binding trampoline.
#[test]
fn glibc_dynamic_programs_with_avx() {
    programs_match_linux(&QemuConfig { cpu: String::from(CPU_AVX), ..QemuConfig::for_tests() });
}

/// Output of a container run without the runtime's own status line.
fn container(m: &mut Machine, id: &str, command: &str) -> (String, String) {
    let out = m.run_with_timeout(&format!("oci-runtime run -b /mnt/bundles/glibc.tar {id} {command}"), Duration::from_secs(120));
    let mut status = String::new();
    let mut text = String::new();
    for line in out.lines() {
        match line.strip_prefix(&format!("oci-runtime: container '{id}' ")) {
            Some(s) => status = s.to_string(),
            None => text += &format!("{line}\n"),
        }
    }
    (text, status)
}

#[test]
fn glibc_programs_and_debian_tools_in_a_container() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let mut report = String::new();
    for (i, (name, args)) in PROGRAMS.iter().enumerate() {
        let (expected, expected_status) = host(name, args);
        let expected_status = match expected_status.strip_prefix("exit status ") {
            Some(code) => format!("exited with status {code}"),
            None => expected_status,
        };
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let (got, status) = container(&mut m, &format!("g{i}"), &format!("/bin/{name} {}", quoted.join(" ")));
        if got.trim_end() != expected.trim_end() || status != expected_status {
            report += &format!("{name}: Linux ({expected_status:?}):\n{expected}Cyrius ({status:?}):\n{got}\n");
        }
    }
    // Debian's bash, ls, cat, sort, grep, sed and mawk, unchanged.
    let host_run = Command::new("bash")
        .arg("-c")
        .arg(DEBIAN_TOOLS_SCRIPT)
        .env_clear()
        .envs([("PATH", "/usr/bin:/bin"), ("HOME", "/root")])
        .current_dir("/")
        .output()
        .expect("bash on the host");
    let expected = String::from_utf8_lossy(&host_run.stdout).into_owned();
    let (got, status) = container(&mut m, "tools", "/bin/bash /root/tools.sh");
    if got.trim_end() != expected.trim_end() || !status.is_empty() {
        report += &format!("tools.sh: Linux:\n{expected}Cyrius ({status:?}):\n{got}\n");
    }
    m.assert(report.is_empty(), &format!("Cyrius differs from Linux:\n{report}"));
    m.poweroff();
}
