//! Differential tests of the process model (issue #5): the static musl
//! programs of `userland/linux-tests` (proc, pipes, epoll, fdkinds, signals, threads,
//! timing, mmap, seccomp, sched, locks, ipc, inet6, fileio) and busybox shell scripts run on the host Linux and inside
//! Cyrius; what they print and how they exit must match.
//!
//! Each program is a table of named cases (`prog --list`); every case runs
//! as its own process on both sides (`prog CASE`), so one wrong case cannot
//! disturb the next. One boot serves all cases of a program; mismatches are
//! collected and reported together. Cases Cyrius still gets wrong are listed
//! in the `*_BROKEN` tables with the reason, and run by the `#[ignore]`d
//! tests (`cargo test -p cyrius --test processes -- --ignored`), so a fix
//! shows up as a passing ignored test that can move to the main list.
//! `DIFFTEST_CASES=case1,case2` limits a run to the named cases;
//! `DIFFTEST_LOG=warn` lets kernel warnings through (to diagnose).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cyrius::datadisk::{linux_test_program, test_disk};
use cyrius::{Machine, QemuConfig};

/// The environment the kernel shell's `run` gives a program; the host run gets the same.
const ENV: [(&str, &str); 3] = [("PATH", "/bin:/usr/bin"), ("HOME", "/"), ("TERM", "vt100")];
/// How long one case may take (some run seconds of signals under TCG).
const CASE_TIMEOUT: Duration = Duration::from_secs(120);
/// The same for a known-broken case (some hang).
const BROKEN_CASE_TIMEOUT: Duration = Duration::from_secs(30);

/// How a run ended, as the kernel shell's `run` words it ("" for exit status 0).
fn status_words(code: Option<i32>, signal: Option<i32>) -> String {
    match (code, signal) {
        (Some(0), _) => String::new(),
        (Some(c), _) => format!("exit status {c}"),
        (None, Some(11)) => String::from("Segmentation fault"),
        (None, Some(13)) => String::from("Broken pipe"),
        (None, Some(15)) => String::from("Terminated"),
        (None, s) => format!("signal {s:?}"),
    }
}

/// Runs `program args` on the host (same environment as in Cyrius, stdin
/// empty) with a time limit; returns (stdout, status words).
fn host(program: &Path, args: &[&str], cwd: &Path) -> (String, String) {
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new(program)
        .args(args)
        .env_clear()
        .envs(ENV)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} on the host: {e}", program.display()));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        out
    });
    let deadline = Instant::now() + CASE_TIMEOUT;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the host run") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{} {args:?} did not finish on the host within {CASE_TIMEOUT:?}", program.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = reader.join().expect("reader thread");
    (String::from_utf8_lossy(&out).into_owned(), status_words(status.code(), status.signal()))
}

/// Runs `line` in Cyrius; returns (output without the `run:` line, status words).
fn cyrius(m: &mut Machine, line: &str, path: &str, timeout: Duration) -> (String, String) {
    let out = m.run_with_timeout(line, timeout);
    let prefix = format!("run: {path}: ");
    let mut status = String::new();
    let mut text = String::new();
    for l in out.lines() {
        match l.strip_prefix(&prefix) {
            Some(s) => status = s.to_string(),
            None => {
                text.push_str(l);
                text.push('\n');
            }
        }
    }
    (text, status)
}

/// A line-by-line account of where two outputs part.
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

/// Runs each case of `program` both ways; returns a report of the mismatches.
fn compare_cases(m: &mut Machine, program: &str, cases: &[&str], timeout: Duration) -> String {
    let bin = linux_test_program(program);
    let path = format!("/mnt/bin/{program}");
    let mut report = String::new();
    // DIFFTEST_CASES=a,b limits a run to those cases (while working on a fix).
    let only = std::env::var("DIFFTEST_CASES").ok();
    for case in cases.iter().filter(|c| only.as_ref().is_none_or(|o| o.split(',').any(|x| x == **c))) {
        let (expected, expected_status) = host(&bin, &[case], Path::new("/"));
        assert!(expected.starts_with(&format!("== {case}\n")), "{program} {case} on the host printed {expected:?}");
        let started = Instant::now();
        let (got, status) = cyrius(m, &format!("run {path} {case}"), &path, timeout);
        eprintln!("{program} {case}: {} lines, {:.1} s in Cyrius", got.lines().count(), started.elapsed().as_secs_f64());
        // The prompt follows output at once, so compare without trailing newlines.
        if got.trim_end() != expected.trim_end() || status != expected_status {
            report += &format!("{program} {case}: status Linux {expected_status:?}, Cyrius {status:?}\n");
            report += &diff(expected.trim_end(), got.trim_end());
        }
    }
    report
}

/// The cases a program offers (from the host binary), checked against our lists
/// so that a new case cannot be forgotten.
fn check_listed(program: &str, passing: &[&str], broken: &[(&str, &str)]) {
    let (list, _) = host(&linux_test_program(program), &["--list"], Path::new("/"));
    let mut offered: Vec<&str> = list.lines().collect();
    let mut ours: Vec<&str> = passing.iter().copied().chain(broken.iter().map(|(c, _)| *c)).collect();
    offered.sort_unstable();
    ours.sort_unstable();
    assert_eq!(offered, ours, "{program}: the cases in the program and in this test differ");
}

/// Boots a machine for the comparisons.
fn boot() -> Machine {
    let mut m = Machine::boot(&QemuConfig::for_tests());
    // Kernel warnings share the console; keep them out of the programs' output
    // (DIFFTEST_LOG=warn shows them, e.g. "unimplemented Linux syscall", when diagnosing).
    m.run(&format!("log {}", std::env::var("DIFFTEST_LOG").unwrap_or_else(|_| String::from("error"))));
    m
}

fn differential(program: &str, passing: &[&str], broken: &[(&str, &str)]) {
    test_disk();
    check_listed(program, passing, broken);
    let mut m = boot();
    let report = compare_cases(&mut m, program, passing, CASE_TIMEOUT);
    m.assert(report.is_empty(), &format!("Cyrius differs from Linux:\n{report}"));
    m.poweroff();
}

/// The known-broken cases, each on a fresh boot with a shorter time limit
/// (some hang in Cyrius): fails while any still differs, and names the ones
/// that now pass so they can move to the main list.
fn still_broken(program: &str, broken: &[(&str, &str)]) {
    test_disk();
    let mut differing = String::new();
    let mut fixed = Vec::new();
    for (case, why) in broken {
        let result = std::panic::catch_unwind(|| {
            let mut m = boot();
            let report = compare_cases(&mut m, program, &[case], BROKEN_CASE_TIMEOUT);
            m.poweroff();
            report
        });
        match result {
            Ok(report) if report.is_empty() => fixed.push(*case),
            Ok(report) => differing += &format!("{report}  (known: {why})\n"),
            Err(_) => differing += &format!("{program} {case}: the machine failed (see above)  (known: {why})\n"),
        }
    }
    assert!(differing.is_empty(), "still broken:\n{differing}\nnow matching Linux: {fixed:?}");
    eprintln!("all known-broken {program} cases now match Linux: move {fixed:?} to the main list");
}

// ---- proc ----

const PROC: &[&str] = &[
    "exit_codes", "signaled", "ids", "sessions", "cow", "vfork", "exec", "exec_script", "wnohang",
    "echild", "reap_order", "waitid", "orphan", "many_children", "mmap_fork", "shared_offset",
    "wait_groups", "zombie", "spawn", "big_args", "mmap_shared", "orphaned_pgrp",
    "zombie_kill",
];
const PROC_BROKEN: &[(&str, &str)] = &[];

#[test]
fn proc_matches_linux() {
    differential("proc", PROC, PROC_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see PROC_BROKEN"]
fn proc_known_broken() {
    still_broken("proc", PROC_BROKEN);
}

// ---- pipes ----

const PIPES: &[&str] = &[
    "basic", "eof", "epipe", "nonblock", "dup2_exec", "poll", "pipeline", "atomic_writes",
    "vectored", "bulk",
    "pipe_size", "fionread", "poll_hup", "efault", "resize_with_data",
];
const PIPES_BROKEN: &[(&str, &str)] = &[];

#[test]
fn pipes_match_linux() {
    differential("pipes", PIPES, PIPES_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see PIPES_BROKEN"]
fn pipes_known_broken() {
    still_broken("pipes", PIPES_BROKEN);
}

// ---- epoll, poll, select ----

const EPOLL: &[&str] = &[
    "level_pipe", "edge_pipe", "oneshot", "exclusive", "nested", "close_registered", "rdhup", "sockets", "order",
    "ctl_errors", "poll_kinds", "terminal",
];
const EPOLL_BROKEN: &[(&str, &str)] = &[];

#[test]
fn epoll_matches_linux() {
    differential("epoll", EPOLL, EPOLL_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see EPOLL_BROKEN"]
fn epoll_known_broken() {
    still_broken("epoll", EPOLL_BROKEN);
}

// ---- descriptor kinds: eventfd, timerfd, signalfd, pidfd, memfd, inotify; CPU affinity ----

const FDKINDS: &[&str] = &[
    "eventfd_basic", "eventfd_semaphore", "eventfd_overflow", "eventfd_wakeups", "affinity", "timerfd_oneshot",
    "timerfd_interval", "timerfd_realtime", "timerfd_errors", "timerfd_epoll", "signalfd_basic", "signalfd_wait",
    "pidfd", "pidfd_waitid", "memfd", "inotify",
];
const FDKINDS_BROKEN: &[(&str, &str)] = &[];

#[test]
fn fdkinds_match_linux() {
    differential("fdkinds", FDKINDS, FDKINDS_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see FDKINDS_BROKEN"]
fn fdkinds_known_broken() {
    still_broken("fdkinds", FDKINDS_BROKEN);
}

// ---- signals ----

const SIGNALS: &[&str] = &[
    "registers", "mask", "resethand", "nodefer", "senders", "sigsuspend", "sigchld", "stop_cont",
    "nanosleep_eintr", "altstack", "ucontext",
    "ignore_discards", "restart", "sigchld_info", "alarm", "sigtimedwait",
    "siginfo", "sigqueue", "rt_queue", "rt_values", "sigqueue_other", "sigwait_child", "itimer",
    "itimer_values", "faults", "fault_return", "fault_context", "fault_forced", "bad_frame",
];
const SIGNALS_BROKEN: &[(&str, &str)] = &[];

#[test]
fn signals_match_linux() {
    differential("signals", SIGNALS, SIGNALS_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see SIGNALS_BROKEN"]
fn signals_known_broken() {
    still_broken("signals", SIGNALS_BROKEN);
}

// ---- threads ----

const THREADS: &[&str] = &[
    "create_join", "mutex", "condvar_signal", "cond_timedwait", "barrier_sem", "tls", "tids",
    "thread_signals", "blocking", "exit", "fork", "exec",
    "exec_from_thread", "condvar_turns",
];
const THREADS_BROKEN: &[(&str, &str)] = &[];

#[test]
fn threads_match_linux() {
    differential("threads", THREADS, THREADS_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see THREADS_BROKEN"]
fn threads_known_broken() {
    still_broken("threads", THREADS_BROKEN);
}

// ---- timing ----

const TIMING: &[&str] = &[
    "monotonic", "realtime", "nanosleep", "clock_nanosleep", "cputime",
    "getres", "cputime_sleep",
];
const TIMING_BROKEN: &[(&str, &str)] = &[];

#[test]
fn timing_matches_linux() {
    differential("timing", TIMING, TIMING_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see TIMING_BROKEN"]
fn timing_known_broken() {
    still_broken("timing", TIMING_BROKEN);
}

// ---- file mappings ----

const MMAP: &[&str] = &[
    "write_munmap_read", "write_then_mapping", "fork_shares", "separate_mappings", "msync",
    "private_stays_private", "access_rules", "truncate", "past_eof", "exit_writes_back",
    "anon_shared_lazy", "private_dontneed", "mremap_keeps_contents", "prot_none",
];
const MMAP_BROKEN: &[(&str, &str)] = &[];

#[test]
fn mmap_matches_linux() {
    differential("mmap", MMAP, MMAP_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see MMAP_BROKEN"]
fn mmap_known_broken() {
    still_broken("mmap", MMAP_BROKEN);
}

// ---- seccomp ----

const SECCOMP: &[&str] = &["strict", "actions", "trap", "kill", "args", "stacking", "fork_exec", "tsync", "errors"];
const SECCOMP_BROKEN: &[(&str, &str)] = &[];

#[test]
fn seccomp_matches_linux() {
    differential("seccomp", SECCOMP, SECCOMP_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see SECCOMP_BROKEN"]
fn seccomp_known_broken() {
    still_broken("seccomp", SECCOMP_BROKEN);
}

// ---- scheduling attributes and process controls ----

const SCHED: &[&str] = &["affinity", "scheduler", "nice", "close_range", "prctl", "subreaper", "membarrier", "rseq"];
const SCHED_BROKEN: &[(&str, &str)] = &[];

#[test]
fn sched_matches_linux() {
    differential("sched", SCHED, SCHED_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see SCHED_BROKEN"]
fn sched_known_broken() {
    still_broken("sched", SCHED_BROKEN);
}

// ---- record locks ----

const LOCKS: &[&str] = &["posix_basic", "split_merge", "ranges", "release", "wait", "deadlock", "ofd"];
const LOCKS_BROKEN: &[(&str, &str)] = &[];

#[test]
fn locks_match_linux() {
    differential("locks", LOCKS, LOCKS_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see LOCKS_BROKEN"]
fn locks_known_broken() {
    still_broken("locks", LOCKS_BROKEN);
}

// ---- System V IPC ----

const IPC: &[&str] = &["shm_basic", "shm_keys", "shm_addresses", "sem_basic", "sem_wait", "sem_undo", "msg"];
const IPC_BROKEN: &[(&str, &str)] = &[];

#[test]
fn ipc_matches_linux() {
    differential("ipc", IPC, IPC_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see IPC_BROKEN"]
fn ipc_known_broken() {
    still_broken("ipc", IPC_BROKEN);
}

// ---- AF_INET6 sockets (loopback) ----

const INET6: &[&str] = &["dual_stack", "v6only", "errors", "udp"];
const INET6_BROKEN: &[(&str, &str)] = &[];

#[test]
fn inet6_matches_linux() {
    differential("inet6", INET6, INET6_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see INET6_BROKEN"]
fn inet6_known_broken() {
    still_broken("inet6", INET6_BROKEN);
}

// ---- data between descriptors ----

const FILEIO: &[&str] = &["vectored", "owner", "copy_range", "splice", "tee_vmsplice", "sigio"];
const FILEIO_BROKEN: &[(&str, &str)] = &[];

#[test]
fn fileio_matches_linux() {
    differential("fileio", FILEIO, FILEIO_BROKEN);
}

#[test]
#[ignore = "known kernel differences, see FILEIO_BROKEN"]
fn fileio_known_broken() {
    still_broken("fileio", FILEIO_BROKEN);
}

// ---- busybox shell scripts ----

/// Scripts for `busybox sh -c`, run with the test data disk's files as the
/// working directory (`/mnt` in Cyrius, a copy on the host). No single
/// quotes inside (the kernel shell passes the script in single quotes).
const SCRIPTS: &[&str] = &[
    "seq 1 100 | sort -rn | head -3",
    "yes | head -n 3",
    "yes abc | head -c 100000 | wc -c",
    "(echo in a subshell; exit 4); echo status $?",
    "x=$(echo inner | tr a-z A-Z); echo got $x; echo nested $(echo $(echo deep))",
    "sh -c \"exit 3\"; echo $?",
    "exec 2>&1; sh -c \"kill -TERM \\$\\$\"; echo $?",
    "false | true; echo $?; true | false; echo $?",
    "sleep 0.1 & echo started; wait; echo waited $?",
    "(exit 7) & wait $!; echo bg status $?",
    "{ for i in 3 1 2; do (echo job $i) & done; wait; } | sort; echo all done",
    "trap \"echo bye\" EXIT; echo hi",
    "trap \"echo got USR1\" USR1; kill -USR1 $$; echo after",
    "f=/tmp/t$$; echo one > $f; echo two >> $f; cat $f; wc -l < $f; rm $f; [ -e $f ] || echo removed",
    "exec 3>/tmp/fd$$; echo via fd 3 >&3; exec 3>&-; cat /tmp/fd$$; rm /tmp/fd$$",
    "seq 1 10 | xargs -n 3 echo",
    "echo c a b | xargs -n1 | sort -r",
    "find docs | sort",
    "find . -name \"*.txt\" | sort",
    "seq 1 2000 | grep 7 | sort -n | tail -2",
    "printf \"a\\nb\\nc\\n\" | while read l; do echo [$l]; done",
    "exec echo replaced; echo not here",
    "set -e; echo before; false; echo not here",
    "head -c 100000 /dev/zero | wc -c",
    "dd if=/dev/zero bs=1024 count=64 2>/dev/null | wc -c",
    "seq 1 20000 | md5sum",
    "cat big.bin | cat | cat | md5sum",
    "echo $(( 6 * 7 )) $(( (1 << 10) - 1 ))",
    "i=0; while [ $i -lt 50 ]; do i=$((i+1)); done; echo $i",
    "for n in 1 2 3 4 5 6 7 8 9 10; do sh -c true || echo fail; done; echo ten shells",
    "ls /nonexistent 2>&1; echo status $?",
    "umask 022; echo x > /tmp/m$$; ls -l /tmp/m$$ | cut -c1-10; rm /tmp/m$$",
    "kill -0 $$ && echo self exists; kill -0 999999 2>/dev/null || echo no such process",
    // ash's "Terminated" note for a killed background job depends on whether
    // the child died before `wait` ran (racy even on Linux): throw stderr away.
    "exec 2>/dev/null; sleep 5 & p=$!; kill $p; wait $p; echo killed status $?",
    "exec 2>/dev/null; sleep 5 & p=$!; kill -STOP $p; kill -CONT $p; kill $p; wait $p; echo stopped, continued, killed: $?",
    "seq 1 100000 | head -1",
    "trap \"echo term; exit 5\" TERM; kill -TERM $$; echo not here",
    "exec 2>&1; timeout 1 sleep 5; echo timeout status $?",
    "env -i A=1 env",
    "seq 1 9 | xargs -P 3 -n 1 echo | sort | tr \"\\n\" \" \"; echo",
    "(exit 3) & a=$!; (exit 5) & b=$!; wait $b; echo $?; wait $a; echo $?",
    "echo x | cat | cat | cat | cat | cat | cat | cat | cat",
    "f() { [ $1 -gt 0 ] && (f $(($1-1))); echo $1; }; f 5",
    "cat /dev/null | wc -l",
    // The page cache gives exec the file's current bytes: after a rewrite in
    // place (same size), a rename over it, and a truncate.
    "d=/tmp/d$$; mkdir $d; cp /proc/self/exe $d/sh; printf \"#!$d/sh\\necho one\\n\" > $d/s; chmod +x $d/s; $d/s; printf \"#!$d/sh\\necho two\\n\" > $d/s; $d/s; printf \"#!$d/sh\\necho mvd\\n\" > $d/n; chmod +x $d/n; mv $d/n $d/s; $d/s; : > $d/s; $d/s; echo empty $?; rm -r $d",
];

/// The test data disk's files in a host directory, for the scripts' cwd.
fn host_copy_of_disk() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cyrius-procs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, data) in cyrius::datadisk::test_files() {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, data).expect("write");
    }
    dir
}

/// busybox's shell runs most applets by re-executing itself as
/// `/proc/self/exe`, which the kernel's /proc provides.
fn compare_scripts(scripts: &[&str]) {
    test_disk();
    let dir = host_copy_of_disk();
    let mut m = boot();
    m.run("cd /mnt");
    let mut report = String::new();
    for script in scripts {
        assert!(!script.contains('\''), "script {script:?} contains a single quote");
        let (expected, expected_status) = host(Path::new("/bin/busybox"), &["sh", "-c", script], &dir);
        let started = Instant::now();
        let (got, status) = cyrius(&mut m, &format!("run /mnt/bin/busybox sh -c '{script}'"), "/mnt/bin/busybox", CASE_TIMEOUT);
        eprintln!("sh -c {script:?}: {} lines, {:.1} s in Cyrius", got.lines().count(), started.elapsed().as_secs_f64());
        if got.trim_end() != expected.trim_end() || status != expected_status {
            report += &format!("sh -c {script:?}: status Linux {expected_status:?}, Cyrius {status:?}\n");
            report += &diff(expected.trim_end(), got.trim_end());
        }
    }
    m.assert(report.is_empty(), &format!("Cyrius differs from Linux:\n{report}"));
    m.poweroff();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shell_scripts_match_linux() {
    compare_scripts(SCRIPTS);
}
