//! `cargo run` as a script would use it: commands on a pipe, exit status 0
//! after `poweroff`, and a one-line error for bad options.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn runner() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cyrius"))
}

#[test]
fn piped_stdin_drives_the_shell_and_poweroff_exits_zero() {
    let disk = cyrius::datadisk::test_disk();
    let mut child = runner()
        .args(["--memory", "256M", "--data-disk"])
        .arg(&disk)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the runner");
    // QEMU buffers what arrives before the guest reads it, so a script can type at once.
    child.stdin.take().expect("stdin").write_all(b"echo scripted-$((1))\rcat /mnt/hello.txt\rpoweroff\r").expect("type");
    let started = Instant::now();
    let out = child.wait_with_output().expect("runner output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(started.elapsed() < Duration::from_secs(60), "took too long");
    assert!(out.status.success(), "runner status {:?}\n{text}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("scripted-$((1))"), "{text}");
    assert!(text.contains("hello from the data disk"), "{text}");
}

#[test]
fn help_lists_the_options() {
    let out = runner().arg("--help").output().expect("run --help");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for opt in ["--memory", "--disk", "--publish", "--data-disk", "--no-data-disk", "--boot pvh|bios"] {
        assert!(text.contains(opt), "--help lacks {opt}:\n{text}");
    }
}

#[test]
fn bad_options_give_one_line_errors() {
    for (args, expected) in [
        (&["--memory", "lots"][..], "cyrius: bad memory size 'lots'"),
        (&["--publish", "80"][..], "cyrius: bad port mapping '80'"),
        (&["--disk", "/nonexistent.img"][..], "cyrius: /nonexistent.img: no such disk image"),
        (&["--frobnicate"][..], "cyrius: unknown option '--frobnicate'"),
        (&["--boot", "uefi"][..], "cyrius: unknown boot path 'uefi' (pvh or bios)"),
        (&["--boot"][..], "cyrius: --boot needs a value"),
    ] {
        let out = runner().args(args).output().expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with(expected), "{args:?}: {err}");
    }
}
