//! The signal frame checked against the host Linux kernel: a C program
//! (compiled with the host gcc) catches a signal in an assembly handler that
//! records its entry registers, and prints the frame Linux built. Our
//! `sigframe_layout`, fed the same interrupted rsp, alternate stack and FPU
//! area size, must place frame and FPU state at the very same addresses, and
//! the handler arguments, masks and `uc_stack` must agree. Skipped (with a
//! note) without gcc or on a non-x86_64 host.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use linux_abi::signal::*;

const PROBE: &str = r#"
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
unsigned long e_rsp, e_rdi, e_rsi, e_rdx, e_rax;
unsigned char uc_copy[304];
uint32_t sw_bytes[12]; /* struct _fpx_sw_bytes of the FPU area */
stack_t inside;
/* Records the registers at handler entry before any C code runs. */
__asm__(".globl handler\nhandler:\n mov %rsp, e_rsp(%rip)\n mov %rdi, e_rdi(%rip)\n"
        " mov %rsi, e_rsi(%rip)\n mov %rdx, e_rdx(%rip)\n mov %rax, e_rax(%rip)\n"
        " sub $8, %rsp\n call in_handler\n add $8, %rsp\n ret\n");
void handler(int);
void in_handler(void) {
    sigaltstack(NULL, &inside);
    memcpy(uc_copy, (void *)e_rdx, sizeof uc_copy);
    memcpy(sw_bytes, (char *)((ucontext_t *)e_rdx)->uc_mcontext.fpregs + 464, sizeof sw_bytes);
}
static char alt[65536] __attribute__((aligned(64)));
int main(int argc, char **argv) {
    int mode = atoi(argv[1]); /* 0 none, 1 altstack, 2 autodisarm, 3 altstack unused */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_SIGINFO | (mode == 1 || mode == 2 ? SA_ONSTACK : 0);
    sigaddset(&sa.sa_mask, SIGUSR2);
    if (mode != 0) {
        stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = mode == 2 ? SS_AUTODISARM : 0 };
        if (sigaltstack(&ss, NULL)) return 1;
    }
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGHUP);
    sigprocmask(SIG_SETMASK, &m, NULL);
    raise(SIGUSR1);
    ucontext_t *uc = (ucontext_t *)uc_copy;
    unsigned long fp = (unsigned long)uc->uc_mcontext.fpregs;
    uint32_t *sw = sw_bytes; /* magic1, extended_size (xsave size + 4) */
    printf("frame %lu\nrdi %lu\nrsi %lu\nrdx %lu\nrax %lu\n", e_rsp, e_rdi, e_rsi, e_rdx, e_rax);
    printf("orig_rsp %lu\nfpstate %lu\n", (unsigned long)uc->uc_mcontext.gregs[REG_RSP], fp);
    printf("fpu_size %lu\n", sw[0] == 0x46505853u ? (unsigned long)sw[1] : 512ul);
    printf("uc_flags %lu\nsigmask %lu\noldmask %lu\n", uc->uc_flags,
           *(unsigned long *)&uc->uc_sigmask, (unsigned long)uc->uc_mcontext.gregs[REG_OLDMASK]);
    printf("uc_ss_sp %lu\nuc_ss_flags %d\nuc_ss_size %lu\n", (unsigned long)uc->uc_stack.ss_sp,
           uc->uc_stack.ss_flags, (unsigned long)uc->uc_stack.ss_size);
    printf("in_ss_sp %lu\nin_ss_flags %d\nin_ss_size %lu\n", (unsigned long)inside.ss_sp,
           inside.ss_flags, (unsigned long)inside.ss_size);
    printf("alt %lu\nalt_size %lu\n", (unsigned long)alt, (unsigned long)sizeof alt);
    return 0;
}
"#;

fn probe() -> Option<PathBuf> {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        eprintln!("signal_linux: not an x86_64 Linux host, skipped");
        return None;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("signal_linux");
    std::fs::create_dir_all(&dir).ok()?;
    let source = dir.join("probe.c");
    let exe = dir.join("probe");
    std::fs::write(&source, PROBE).ok()?;
    let Ok(out) = Command::new("gcc").args(["-O1", "-o"]).arg(&exe).arg(&source).output() else {
        eprintln!("signal_linux: gcc not available, skipped");
        return None;
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(exe)
}

fn run(exe: &PathBuf, mode: u32) -> HashMap<String, i128> {
    let out = Command::new(exe).arg(mode.to_string()).output().expect("probe runs");
    assert!(out.status.success(), "probe mode {mode} failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (key, value) = line.split_once(' ').unwrap();
            (key.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn frames_match_the_host_kernel() {
    let Some(exe) = probe() else { return };
    for mode in 0..4 {
        let v = run(&exe, mode);
        let get = |key: &str| v[key] as u64;
        let alt = match mode {
            0 => AltStack::default(),
            2 => AltStack { sp: get("alt"), size: get("alt_size"), flags: SS_AUTODISARM },
            _ => AltStack { sp: get("alt"), size: get("alt_size"), flags: 0 },
        };
        let on_stack = mode == 1 || mode == 2;
        let ours = sigframe_layout(get("orig_rsp"), on_stack, &alt, get("fpu_size")).unwrap();
        let frame = get("frame");
        assert_eq!(ours, FrameLayout { frame, fpstate: get("fpstate") }, "mode {mode}");
        assert_eq!(alt.contains(frame), on_stack, "mode {mode}");

        // Handler entry.
        assert_eq!((frame + 8) % 16, 0);
        assert_eq!(get("rsi") - frame, RT_SIGFRAME_INFO_OFFSET);
        assert_eq!(get("rdx") - frame, RT_SIGFRAME_UC_OFFSET);
        assert_eq!((get("rdi"), get("rax")), (u64::from(Signal::SIGUSR1.number()), 0));

        // The ucontext: flags (Linux adds UC_FP_XSTATE for its xsave
        // area), the mask before the handler, the stored altstack.
        assert_eq!(get("uc_flags") & !UC_FP_XSTATE, UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
        let hup = SigSet::EMPTY.with(Signal::SIGHUP).0;
        assert_eq!((get("sigmask"), get("oldmask")), (hup, hup));
        let saved = alt.saved();
        assert_eq!(
            (get("uc_ss_sp"), v["uc_ss_flags"] as i32, get("uc_ss_size")),
            (saved.ss_sp, saved.ss_flags, saved.ss_size),
            "uc_stack, mode {mode}"
        );

        // sigaltstack(2) as seen from inside the handler; SS_AUTODISARM
        // disarmed the stack for the handler's duration.
        let during = if mode == 2 { AltStack::DISABLED } else { alt };
        let query = during.query(frame);
        assert_eq!(
            (get("in_ss_sp"), v["in_ss_flags"] as i32, get("in_ss_size")),
            (query.ss_sp, query.ss_flags, query.ss_size),
            "sigaltstack query, mode {mode}"
        );
    }
}
