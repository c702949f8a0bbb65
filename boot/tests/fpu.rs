//! FPU/SSE/AVX state per thread (issue #5): `userland/linux-tests/fpu.c`
//! keeps distinct values in all vector registers across preemption,
//! sched_yield, fork, exec and a signal handler that clobbers them, and
//! checks the signal frame's FPU area; Cyrius must print what the host Linux
//! prints. Booted twice: with QEMU's `max` CPU (XSAVE, AVX: the kernel's
//! xsave path, ymm registers) and with the default `qemu64` (fxsave, xmm;
//! the host run is then told `--xmm`).

use std::process::Command;
use std::time::Duration;

use cyrius::datadisk::{linux_test_program, test_disk};
use cyrius::qemu::CPU_AVX;
use cyrius::{Machine, QemuConfig};

const CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// The program's output on the host (stdout, plus the run's status words as
/// the kernel shell prints them: "" for 0).
fn host(args: &[&str]) -> (String, String) {
    let out = Command::new(linux_test_program("fpu")).args(args).output().expect("run fpu on the host");
    let status = match out.status.code() {
        Some(0) => String::new(),
        Some(c) => format!("exit status {c}"),
        None => String::from("killed"),
    };
    (String::from_utf8_lossy(&out.stdout).into_owned(), status)
}

/// Runs `fpu CASE` in Cyrius for every case and compares with `host_flag CASE` on the host.
fn compare(m: &mut Machine, cases: &[&str], host_flag: Option<&str>) -> String {
    let mut report = String::new();
    for case in cases {
        let args: Vec<&str> = host_flag.into_iter().chain([*case]).collect();
        let (expected, expected_status) = host(&args);
        let started = std::time::Instant::now();
        let out = m.run_with_timeout(&format!("run /mnt/bin/fpu {case}"), CASE_TIMEOUT);
        eprintln!("fpu {case}: {:.2} s in Cyrius", started.elapsed().as_secs_f64());
        let mut status = String::new();
        let mut got = String::new();
        for line in out.lines() {
            match line.strip_prefix("run: /mnt/bin/fpu: ") {
                Some(s) => status = s.to_string(),
                None => got += &format!("{line}\n"),
            }
        }
        if got.trim_end() != expected.trim_end() || status != expected_status {
            report += &format!("fpu {case}: Linux ({expected_status:?}):\n{expected}Cyrius ({status:?}):\n{got}\n");
        }
    }
    report
}

fn cases() -> Vec<String> {
    let (list, _) = host(&["--list"]);
    list.lines().map(str::to_string).collect()
}

fn host_has_avx() -> bool {
    host(&["--avx"]).0.starts_with("avx 1 xsave 1")
}

#[test]
fn avx_registers_are_saved_per_thread_with_xsave() {
    test_disk();
    if !host_has_avx() {
        eprintln!("fpu: the host has no AVX, so there is nothing to compare with; skipped");
        return;
    }
    let mut m = Machine::boot(&QemuConfig { cpu: String::from(CPU_AVX), ..QemuConfig::for_tests() });
    let boot_log = m.transcript();
    m.assert(boot_log.contains("fpu: xsave xcr0=0x7 area=832 bytes xsaveopt"), "the kernel did not report xsave with AVX");
    m.run("log error");
    m.run_expect("run /mnt/bin/fpu --avx", &["avx 1 xsave 1"]);
    let cases = cases();
    let cases: Vec<&str> = cases.iter().map(String::as_str).collect();
    let report = compare(&mut m, &cases, None);
    m.assert(report.is_empty(), &format!("Cyrius differs from Linux:\n{report}"));
    m.poweroff();
}

#[test]
fn sse_registers_are_saved_per_thread_with_fxsave() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    let boot_log = m.transcript();
    m.assert(boot_log.contains("fpu: fxsave xcr0=0x3 area=512 bytes"), "the kernel did not report fxsave");
    m.run("log error");
    m.run_expect("run /mnt/bin/fpu --avx", &["avx 0 xsave 0"]);
    let cases = cases();
    let cases: Vec<&str> = cases.iter().map(String::as_str).filter(|c| *c != "hostile_xstate").collect();
    let report = compare(&mut m, &cases, Some("--xmm"));
    m.assert(report.is_empty(), &format!("Cyrius differs from Linux:\n{report}"));
    m.poweroff();
}
