//! The file syscalls of issue 5, differentially: `userland/linux-tests/files.c`
//! and busybox's file applets run on the host Linux (in a tmpfs directory,
//! like Cyrius's /tmp) and inside Cyrius; outputs must match line for line.

use std::path::PathBuf;
use std::process::Command;

use cyrius::datadisk::{linux_test_program, test_disk};
use cyrius::{Machine, QemuConfig};

/// A fresh directory path on a tmpfs of the host (/dev/shm), so filesystem
/// details (directory sizes, statfs type) are those of Cyrius's /tmp.
fn host_dir(tag: &str) -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let dir = base.join(format!("cyrius-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The program's own lines from a `run` transcript (no shell or kernel log lines).
fn program_output(out: &str) -> String {
    out.lines().filter(|l| !l.starts_with("run: ") && !l.contains("WARN")).map(|l| format!("{l}\n")).collect()
}

/// The first differing line, for a readable failure.
fn first_difference(got: &str, expected: &str) -> String {
    for (i, (g, e)) in got.lines().zip(expected.lines()).enumerate() {
        if g != e {
            return format!("line {}: Cyrius {g:?}, Linux {e:?}", i + 1);
        }
    }
    format!("Cyrius printed {} lines, Linux {}", got.lines().count(), expected.lines().count())
}

#[test]
fn file_syscalls_behave_as_on_linux() {
    test_disk();
    let dir = host_dir("files");
    let host = Command::new(linux_test_program("files")).arg(&dir).output().expect("run files on the host");
    let _ = std::fs::remove_dir_all(&dir);
    let expected = String::from_utf8_lossy(&host.stdout).into_owned();
    assert_eq!(host.status.code(), Some(0), "files failed on the host:\n{expected}");
    assert!(expected.ends_with("done\n"), "host run incomplete:\n{expected}");

    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    let out = m.run_with_timeout("run /mnt/bin/files /tmp/files", std::time::Duration::from_secs(120));
    let got = program_output(&out);
    let diff = first_difference(&got, &expected);
    m.assert(got == expected, &format!("files on Cyrius differs from Linux: {diff}\n--- Cyrius:\n{got}\n--- Linux:\n{expected}"));
    m.poweroff();
}

fn quote(args: &[&str]) -> String {
    args.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ")
}

#[test]
fn busybox_file_applets_match_linux() {
    test_disk();
    let dir = host_dir("bbfiles");
    std::fs::create_dir_all(&dir).expect("make the host directory");
    let big = cyrius::datadisk::test_files().into_iter().find(|(p, _)| *p == "big.bin").expect("big.bin").1;
    std::fs::write(dir.join("big.bin"), big).expect("write big.bin");
    // Each step runs in the working directory; TZ=UTC on the host, as Cyrius has no zone.
    let steps: &[&[&str]] = &[
        &["sh", "-c", "echo hello > f"],
        &["ln", "-s", "f", "sl"],
        &["ln", "f", "hl"],
        &["ln", "-s", "f", "sl"],
        &["readlink", "sl"],
        &["stat", "-c", "%h %s %F", "f"],
        &["stat", "-c", "%F %N", "sl"],
        &["chmod", "600", "f"],
        &["touch", "-d", "2020-01-02 03:04:05", "f"],
        &["ls", "-ln", "f", "hl"],
        &["stat", "-c", "%a %s %Y %X", "f"],
        &["chmod", "u+x,g+r", "f"],
        &["stat", "-c", "%A", "f"],
        &["truncate", "-s", "100", "f"],
        &["stat", "-c", "%s", "hl"],
        &["truncate", "-s", "3", "f"],
        &["cat", "f", "hl"],
        // cp and cat copy with sendfile(2).
        &["cp", "big.bin", "big"],
        &["md5sum", "big"],
        &["cmp", "big", "big.bin"],
        &["rm", "big", "big.bin"],
        &["mkfifo", "fifo"],
        &["stat", "-c", "%F %a", "fifo"],
        &["mkdir", "-m", "700", "sub"],
        &["stat", "-c", "%F %a", "sub"],
        &["chown", "12:34", "f"],
        &["stat", "-c", "%u %g", "f", "hl"],
        &["mv", "hl", "sub/moved"],
        &["ls", "sub"],
        &["rm", "-r", "sub"],
        &["ls", "-1"], // -1: stdout is a terminal in Cyrius, a pipe on the host
        &["sync"],
        // statfs(2) (`df` itself needs /proc/mounts, which Cyrius lacks yet).
        &["stat", "-f", "-c", "%T %l %s", "."],
        &["id", "-u"],
    ];
    let mut m = Machine::boot(&QemuConfig::for_tests());
    m.run("log error");
    m.run("run /mnt/bin/busybox mkdir -p /tmp/bb");
    m.run("run /mnt/bin/busybox cp /mnt/big.bin /tmp/bb/big.bin");
    m.run("cd /tmp/bb");
    for args in steps {
        let out = Command::new("/bin/busybox").args(*args).current_dir(&dir).env("TZ", "UTC").output().expect("host busybox");
        let expected = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        let got = program_output(&m.run(&format!("run /mnt/bin/busybox {}", quote(args))));
        // The prompt follows output at once, so a missing final newline is invisible.
        let (got, expected) = (got.trim_end_matches('\n'), expected.trim_end_matches('\n'));
        m.assert(got == expected, &format!("busybox {args:?}: Cyrius printed {got:?}, Linux printed {expected:?}"));
    }
    // Named pipes are not attached to pipe buffers yet: opening one is a
    // clear ENXIO (Linux would block for a writer). Change this when they are.
    m.run_expect("run /mnt/bin/busybox cat /tmp/bb/fifo", &["can't open '/tmp/bb/fifo': No such device or address"]);
    m.poweroff();
    let _ = std::fs::remove_dir_all(&dir);
}
