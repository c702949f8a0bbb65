//! Unmodified Linux binaries in user mode: Debian's static busybox and small
//! musl test programs, compared with the same binaries run on the host Linux.

use std::process::Command;

use cyrius::datadisk::{linux_test_program, test_disk};
use cyrius::{Machine, QemuConfig};

/// Runs `args` on the host, for the differential checks.
fn host(program: &str, args: &[&str]) -> (String, Option<i32>) {
    let out = Command::new(program).args(args).output().expect("run on the host");
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code())
}

fn quote(args: &[&str]) -> String {
    args.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ")
}

#[test]
fn busybox_applets_print_what_they_print_on_linux() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    // Kernel warnings share the console; keep them out of the programs' output.
    m.run("log error");
    let cases: &[&[&str]] = &[
        &["echo", "hello", "world"],
        &["printf", "%d|%5s|%x\\n", "42", "abc", "255"],
        &["seq", "1", "3", "10"],
        &["expr", "6", "*", "7"],
        &["basename", "/a/b/c.txt", ".txt"],
        &["dirname", "/a/b/c.txt"],
        &["uname", "-s", "-m"],
        &["true"],
    ];
    for args in cases {
        let (expected, code) = host("/bin/busybox", args);
        let out = m.run(&format!("run /mnt/bin/busybox {}", quote(args)));
        m.assert(code == Some(0), &format!("host busybox {args:?} failed"));
        m.assert(out == expected, &format!("busybox {args:?}: Cyrius printed {out:?}, Linux printed {expected:?}"));
    }
    m.poweroff();
}

#[test]
fn exit_status_signals_and_bad_binaries() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run_expect("run /mnt/bin/busybox false", &["run: /mnt/bin/busybox: exit status 1"]);
    m.run_expect("run /mnt/bin/busybox sh -c 'exit 3'", &["exit status 3"]);
    // A NULL dereference kills the process with SIGSEGV; the kernel carries on.
    m.run_expect("run /mnt/bin/segv", &["before", "SIGSEGV at rip", "address 0x0", "run: /mnt/bin/segv: Segmentation fault"]);
    m.run_expect("run /mnt/hello.txt", &["run: /mnt/hello.txt: Exec format error"]);
    m.run_expect("run /mnt/nope", &["run: /mnt/nope: No such file or directory"]);
    m.run_expect("echo kernel still fine", &["kernel still fine"]);
    // An unimplemented syscall is logged once, with its number, however often it is called.
    m.run("run /mnt/bin/busybox true");
    m.run("run /mnt/bin/busybox true");
    let t = m.transcript();
    let reports = t.matches("unimplemented Linux syscall 334").count();
    m.assert(reports == 1, &format!("rseq ENOSYS reported {reports} times"));
    m.poweroff();
}

#[test]
fn bad_user_pointers_give_efault_as_on_linux() {
    test_disk();
    let (expected, code) = host(linux_test_program("badptr").to_str().expect("utf-8 path"), &[]);
    assert_eq!(code, Some(3));
    let mut m = Machine::boot(&QemuConfig::for_tests());
    let out = m.run("run /mnt/bin/badptr");
    let cyrius: String = out.lines().filter(|l| !l.starts_with("run:") && !l.contains("WARN")).map(|l| format!("{l}\n")).collect();
    m.assert(cyrius == expected, &format!("badptr on Cyrius:\n{cyrius}\non Linux:\n{expected}"));
    m.assert(out.contains("exit status 3"), &format!("exit status missing: {out:?}"));
    m.poweroff();
}
