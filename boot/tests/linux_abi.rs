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
    // `>` redirects a program's standard output, as in sh.
    let out = m.run("run /mnt/bin/busybox echo into a file > /tmp/r.txt");
    m.assert(out.trim().is_empty(), &format!("redirected output reached the console: {out:?}"));
    m.run_expect("cat /tmp/r.txt", &["into a file"]);
    // An unimplemented syscall (bpf, among the probes of Docker's denied
    // list) is ENOSYS and logged once, with its number, however often it is called.
    for _ in 0..2 {
        let out = m.run("run /mnt/bin/scprobe docker_denied");
        m.assert(out.contains("bpf: -1 ENOSYS"), &format!("bpf is ENOSYS: {out:?}"));
    }
    let t = m.transcript();
    let reports = t.matches("unimplemented Linux syscall 321 (bpf)").count();
    m.assert(reports == 1, &format!("bpf ENOSYS reported {reports} times"));
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

#[test]
fn busybox_file_tools_match_linux_on_the_same_files() {
    test_disk();
    // The same files on the host, in a directory laid out like the data disk.
    let dir = std::env::temp_dir().join(format!("cyrius-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, data) in cyrius::datadisk::test_files() {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, data).expect("write");
    }
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    m.run("cd /mnt");
    let cases: &[&[&str]] = &[
        &["cat", "hello.txt", "A long file name.txt"],
        &["wc", "-c", "big.bin"],
        &["md5sum", "big.bin", "hello.txt"],
        &["sha256sum", "docs/nested/deep.txt"],
        &["ls", "-1", "docs"], // -1: stdout is a terminal in Cyrius, a pipe on the host
        &["head", "-c", "12", "hello.txt"],
        &["od", "-A", "x", "-t", "x1", "-N", "32", "big.bin"],
        &["grep", "-c", "long", "A long file name.txt"],
        &["cat", "missing.txt"],
    ];
    for args in cases {
        let out = Command::new("/bin/busybox").args(*args).current_dir(&dir).output().expect("host busybox");
        let expected = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        let got = m.run(&format!("run /mnt/bin/busybox {}", quote(args)));
        let got: String = got.lines().filter(|l| !l.starts_with("run: ")).map(|l| format!("{l}\n")).collect();
        // The prompt follows output at once, so a missing final newline is invisible.
        let (got, expected) = (got.trim_end_matches('\n'), expected.trim_end_matches('\n'));
        m.assert(got == expected, &format!("busybox {args:?}: Cyrius printed {got:?}, Linux printed {expected:?}"));
    }
    m.poweroff();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_dynamically_linked_program_loads_its_interpreter() {
    test_disk();
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    // PT_INTERP is looked up in the process's own root: none yet.
    m.run_expect("run /mnt/bin/dyn/hello", &["No such file or directory"]);
    m.run_expect("mkdir /lib", &[]);
    m.run_expect("cp /mnt/lib/ld-musl-x86_64.so.1 /lib/", &[]);
    m.run_expect("run /mnt/bin/dyn/hello a b", &["dynamic musl: argc=3 heap=1 env=yes", "exit status 7"]);
    m.poweroff();
}
