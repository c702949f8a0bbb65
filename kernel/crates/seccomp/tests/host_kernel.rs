//! Differential tests against the host's Linux: our programs installed with
//! the real seccomp(2) in a forked child, which then makes one probe call.
//! The host kernel must accept exactly the programs our validator accepts
//! and give every probe the verdict our interpreter gives it.
//!
//! Safety of the host: the child first installs a "sentinel" filter that
//! fails every call but exit_group and seccomp with ERRNO(4000); the filter
//! under test goes on top. Linux lets the most restrictive action win and
//! keeps the newer filter's value among equals, so KILL, TRAP and the
//! tested filter's ERRNO show through, while calls it would allow (or log,
//! trace, notify) end as ERRNO(4000) and never run. Our expectation is the
//! same two-filter stack evaluated by `FilterStack`. A few harmless calls
//! (getuid) are also probed without the sentinel, to see ALLOW, LOG, TRACE
//! and USER_NOTIF themselves. After the probe the child makes no system
//! call but exit_group: results go through shared memory.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::sync::atomic::{AtomicI64, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use seccomp::action::*;
use seccomp::bpf::*;
use seccomp::compile::{compile, describe};
use seccomp::docker::{from_docker_profile, Target};
use seccomp::{FilterStack, Insn, Program, SeccompData, AUDIT_ARCH_X86_64};

const SENTINEL_ERRNO: u32 = 4000;

/// What the child leaves for the parent (a shared anonymous page).
#[repr(C)]
struct Shared {
    /// 0 nothing yet, 1 returned, 2 trapped, 3 install failed.
    done: AtomicU32,
    ret: AtomicI64,
    ip: AtomicU64,
    install_errno: AtomicI64,
    si_errno: AtomicI64,
    si_code: AtomicI64,
    si_syscall: AtomicI64,
    si_arch: AtomicU64,
    si_call_addr: AtomicU64,
}

static SHARED: AtomicPtr<Shared> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: SHARED points at the page mapped before fork; `info` is the
    // kernel's siginfo, whose SIGSYS fields sit at offsets 16 (call addr),
    // 24 (syscall) and 28 (arch).
    unsafe {
        let s = &*SHARED.load(Ordering::Relaxed);
        if s.done.load(Ordering::Relaxed) == 0 {
            let raw = info as *const u8;
            s.si_errno.store(i64::from(*(raw.add(4) as *const i32)), Ordering::Relaxed);
            s.si_code.store(i64::from(*(raw.add(8) as *const i32)), Ordering::Relaxed);
            s.si_call_addr.store(*(raw.add(16) as *const u64), Ordering::Relaxed);
            s.si_syscall.store(i64::from(*(raw.add(24) as *const i32)), Ordering::Relaxed);
            s.si_arch.store(u64::from(*(raw.add(28) as *const u32)), Ordering::Relaxed);
            s.done.store(2, Ordering::Release);
        }
    }
    // No sigreturn: the filter may forbid it. The parent kills us.
    loop {
        std::hint::spin_loop();
    }
}

/// One `syscall` instruction; stores the address after it (what
/// `seccomp_data.instruction_pointer` holds) before it runs.
///
/// SAFETY: the caller makes sure the call is harmless (the sentinel, or a
/// side-effect-free call).
unsafe fn raw_syscall(nr: u64, a: [u64; 6], ip_out: &AtomicU64) -> i64 {
    let ret: i64;
    let ip_slot = ip_out.as_ptr();
    core::arch::asm!(
        "lea {ip}, [rip + 2f]",
        "mov [{slot}], {ip}",
        "syscall",
        "2:",
        ip = out(reg) _,
        slot = in(reg) ip_slot,
        inlateout("rax") nr as i64 => ret,
        in("rdi") a[0], in("rsi") a[1], in("rdx") a[2], in("r10") a[3], in("r8") a[4], in("r9") a[5],
        lateout("rcx") _, lateout("r11") _,
        options(nostack),
    );
    ret
}

/// How the probe ended on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Returned(i64),
    Trapped { errno: i64, code: i64, syscall: i64, arch: u64, call_addr: u64 },
    Killed(i32),
    InstallFailed(i64),
}

fn fprog(insns: &[libc::sock_filter]) -> libc::sock_fprog {
    libc::sock_fprog { len: insns.len() as u16, filter: insns.as_ptr() as *mut libc::sock_filter }
}

fn raw(p: &[Insn]) -> Vec<libc::sock_filter> {
    p.iter().map(|i| libc::sock_filter { code: i.code, jt: i.jt, jf: i.jf, k: i.k }).collect()
}

fn sentinel() -> Vec<Insn> {
    vec![
        Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, libc::SYS_exit_group as u32, 2, 0),
        Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, libc::SYS_seccomp as u32, 1, 0),
        Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | SENTINEL_ERRNO),
        Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    ]
}

/// Forks a child that installs (the sentinel and) `filter`, then makes the
/// call `nr(args)`. Returns the outcome and the call's instruction pointer.
fn probe(filter: &[Insn], flags: u32, masked: bool, nr: u64, args: [u64; 6]) -> (Outcome, u64) {
    assert!(!masked || (nr != libc::SYS_exit_group as u64 && nr != libc::SYS_seccomp as u64));
    // Everything the child needs is made before fork (no allocation after it).
    let sentinel = raw(&sentinel());
    let ours = raw(filter);
    let (sentinel_prog, our_prog) = (fprog(&sentinel), fprog(&ours));
    // SAFETY: a fresh shared anonymous mapping, unmapped below.
    let page = unsafe {
        libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1, 0)
    };
    assert_ne!(page, libc::MAP_FAILED);
    let shared = page as *mut Shared;
    // SAFETY: fork in a test binary; the child only makes raw system calls
    // and touches memory prepared above, then leaves with exit_group.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        // SAFETY: the child's own state; see above.
        unsafe {
            SHARED.store(shared, Ordering::Relaxed);
            let s = &*shared;
            let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigsys as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut());
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            if masked {
                libc::syscall(libc::SYS_seccomp, 1, 0, &sentinel_prog as *const libc::sock_fprog);
            }
            let r = libc::syscall(libc::SYS_seccomp, 1, flags, &our_prog as *const libc::sock_fprog);
            if r != 0 {
                s.install_errno.store(i64::from(*libc::__errno_location()), Ordering::Relaxed);
                s.done.store(3, Ordering::Release);
                libc::syscall(libc::SYS_exit_group, 0);
            }
            let ret = raw_syscall(nr, args, &s.ip);
            s.ret.store(ret, Ordering::Relaxed);
            if s.done.load(Ordering::Relaxed) == 0 {
                s.done.store(1, Ordering::Release);
            }
            raw_syscall(libc::SYS_exit_group as u64, [0; 6], &AtomicU64::new(0));
            loop {
                std::hint::spin_loop();
            }
        }
    }
    // SAFETY: the page stays mapped until after the child is reaped.
    let s = unsafe { &*shared };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = 0;
    loop {
        // SAFETY: our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            break;
        }
        if s.done.load(Ordering::Acquire) != 0 || Instant::now() > deadline {
            std::thread::sleep(Duration::from_millis(2));
            // SAFETY: our own child, not yet reaped.
            unsafe {
                if libc::waitpid(pid, &mut status, libc::WNOHANG) == 0 {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
            }
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let ip = s.ip.load(Ordering::Relaxed);
    let outcome = match s.done.load(Ordering::Acquire) {
        1 => Outcome::Returned(s.ret.load(Ordering::Relaxed)),
        2 => Outcome::Trapped {
            errno: s.si_errno.load(Ordering::Relaxed),
            code: s.si_code.load(Ordering::Relaxed),
            syscall: s.si_syscall.load(Ordering::Relaxed),
            arch: s.si_arch.load(Ordering::Relaxed),
            call_addr: s.si_call_addr.load(Ordering::Relaxed),
        },
        3 => Outcome::InstallFailed(s.install_errno.load(Ordering::Relaxed)),
        _ if libc::WIFSIGNALED(status) => Outcome::Killed(libc::WTERMSIG(status)),
        _ => panic!("probe {nr}: child ended with status {status:#x} and no result"),
    };
    // SAFETY: the child is gone.
    unsafe { libc::munmap(page, 4096) };
    (outcome, ip)
}

/// What Linux must do, by our interpreter, for a probe under `stack`.
fn expected(stack: &FilterStack, nr: u64, args: [u64; 6], ip: u64, allowed: i64) -> Outcome {
    let v = stack.evaluate(&SeccompData::x86_64(nr as i32, args, ip));
    match v.action() {
        Action::Allow | Action::Log => Outcome::Returned(allowed),
        Action::Errno(e) => Outcome::Returned(-i64::from(e)),
        Action::Trace(_) | Action::UserNotif => Outcome::Returned(-i64::from(libc::ENOSYS)),
        Action::Trap(d) => Outcome::Trapped { errno: i64::from(d), code: 1, syscall: nr as i64, arch: u64::from(AUDIT_ARCH_X86_64), call_addr: ip },
        Action::KillProcess | Action::KillThread => Outcome::Killed(libc::SIGSYS),
    }
}

/// Probes `filter` with the sentinel under it and compares with our stack.
fn compare_masked(filter: &Program, nr: u64, args: [u64; 6]) -> Result<(), String> {
    let (got, ip) = probe(filter.insns(), 0, true, nr, args);
    let mut stack = FilterStack::new();
    stack.push(Program::new(sentinel()).unwrap(), false).unwrap();
    stack.push(filter.clone(), false).unwrap();
    let want = expected(&stack, nr, args, ip, 0);
    if got == want {
        Ok(())
    } else {
        Err(format!("nr {nr} args {args:x?}: Linux {got:?}, ours {want:?}"))
    }
}

#[test]
fn host_has_seccomp() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(status.lines().any(|l| l.starts_with("Seccomp:")), "the host kernel lacks seccomp");
}

#[test]
fn actions_and_precedence() {
    let ret = |k| Program::new(vec![Insn::stmt(BPF_RET | BPF_K, k)]).unwrap();
    for k in [
        SECCOMP_RET_ALLOW,
        SECCOMP_RET_ERRNO | 13,
        SECCOMP_RET_ERRNO | 0xffff,
        SECCOMP_RET_TRAP | 77,
        SECCOMP_RET_KILL_THREAD,
        SECCOMP_RET_KILL_PROCESS,
        SECCOMP_RET_LOG,
        SECCOMP_RET_TRACE | 5,
        SECCOMP_RET_USER_NOTIF,
        0x0001_0000,
        0x7ffe_0000,
    ] {
        compare_masked(&ret(k), libc::SYS_getppid as u64, [1, 2, 3, 4, 5, 6]).unwrap();
        // Without the sentinel, on a harmless call: ALLOW and LOG run it, TRACE and
        // USER_NOTIF without a tracer or listener are ENOSYS.
        let (got, ip) = probe(ret(k).insns(), 0, false, libc::SYS_getuid as u64, [0; 6]);
        let mut stack = FilterStack::new();
        stack.push(ret(k), false).unwrap();
        // SAFETY: getuid has no side effects.
        let uid = i64::from(unsafe { libc::getuid() });
        assert_eq!(got, expected(&stack, libc::SYS_getuid as u64, [0; 6], ip, uid), "{}", describe(k));
    }
}

#[test]
fn log_flag_and_bad_flags() {
    let allow = vec![Insn::stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)];
    let (got, _) = probe(&allow, seccomp::compile::SECCOMP_FILTER_FLAG_LOG, false, libc::SYS_getuid as u64, [0; 6]);
    assert_eq!(got, Outcome::Returned(0));
    let (got, _) = probe(&allow, 0x8000, false, libc::SYS_getuid as u64, [0; 6]);
    assert_eq!(got, Outcome::InstallFailed(i64::from(libc::EINVAL)));
}

/// The Docker default profile compiled by us: Linux gives each call the verdict we compute.
#[test]
fn docker_default_profile() {
    let spec = from_docker_profile(include_bytes!("data/docker-default.json"), &Target::docker_default((6, 1))).unwrap();
    let prog = compile(&spec).unwrap().program;
    let mut wrong = Vec::new();
    let calls: &[(&str, u64)] = &[
        ("read", 0),
        ("getpid", 0),
        ("clone", 0x11),
        ("clone", 0x1000_0011),
        ("clone3", 0),
        ("unshare", 0x1000_0000),
        ("mount", 0),
        ("keyctl", 0),
        ("ptrace", 0),
        ("personality", 0xffff_ffff),
        ("personality", u64::MAX),
        ("personality", 8),
        ("reboot", 0),
        ("chroot", 0),
        ("bpf", 0),
        ("fchmodat2", 0),
        ("mseal", 0),
    ];
    for (name, a0) in calls {
        let nr = linux_abi::sysno::number(name).unwrap() as u64;
        if let Err(e) = compare_masked(&prog, nr, [*a0, 0, 0, 0, 0, 0]) {
            wrong.push(format!("{name}: {e}"));
        }
    }
    for nr in [400u64, 500, 0x4000_0027, u64::from(u32::MAX), 0x1_0000_0027] {
        if let Err(e) = compare_masked(&prog, nr, [0; 6]) {
            wrong.push(e);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---- random programs: the validator and the interpreter against Linux ----

/// Opcodes, mostly ones seccomp takes, some it refuses.
const CODES: &[u16] = &[
    BPF_LD | BPF_W | BPF_ABS,
    BPF_LD | BPF_W | BPF_ABS,
    BPF_LD | BPF_W | BPF_ABS,
    BPF_LD | BPF_W | BPF_LEN,
    BPF_LDX | BPF_W | BPF_LEN,
    BPF_LD | BPF_IMM,
    BPF_LDX | BPF_IMM,
    BPF_LD | BPF_MEM,
    BPF_LDX | BPF_MEM,
    BPF_ST,
    BPF_STX,
    BPF_MISC | BPF_TAX,
    BPF_MISC | BPF_TXA,
    BPF_ALU | BPF_ADD | BPF_K,
    BPF_ALU | BPF_SUB | BPF_X,
    BPF_ALU | BPF_MUL | BPF_K,
    BPF_ALU | BPF_DIV | BPF_K,
    BPF_ALU | BPF_DIV | BPF_X,
    BPF_ALU | BPF_AND | BPF_K,
    BPF_ALU | BPF_OR | BPF_X,
    BPF_ALU | BPF_XOR | BPF_K,
    BPF_ALU | BPF_LSH | BPF_K,
    BPF_ALU | BPF_RSH | BPF_X,
    BPF_ALU | BPF_LSH | BPF_X,
    BPF_ALU | BPF_NEG,
    BPF_JMP | BPF_JA,
    BPF_JMP | BPF_JEQ | BPF_K,
    BPF_JMP | BPF_JEQ | BPF_K,
    BPF_JMP | BPF_JGT | BPF_K,
    BPF_JMP | BPF_JGE | BPF_X,
    BPF_JMP | BPF_JSET | BPF_K,
    BPF_RET | BPF_K,
    BPF_RET | BPF_K,
    BPF_RET | BPF_A,
    // Refused by seccomp or classic BPF.
    BPF_ALU | BPF_MOD | BPF_K,
    BPF_LD | BPF_H | BPF_ABS,
    BPF_LD | BPF_W | BPF_IND,
    BPF_LDX | BPF_B | BPF_MSH,
    BPF_RET | BPF_X,
    BPF_ALU | BPF_NEG | BPF_X,
    0x00ff,
];

fn arb_k() -> impl Strategy<Value = u32> {
    prop_oneof![
        (0u32..16).prop_map(|i| i * 4),
        Just(64u32),
        0u32..70,
        Just(SECCOMP_RET_ALLOW),
        (0u32..20).prop_map(|e| SECCOMP_RET_ERRNO | e),
        (0u32..3).prop_map(|d| SECCOMP_RET_TRAP | d),
        Just(SECCOMP_RET_KILL_PROCESS),
        Just(SECCOMP_RET_LOG),
        Just(SECCOMP_RET_TRACE),
        Just(SECCOMP_RET_USER_NOTIF),
        Just(0xc000_003e),
        Just(libc::SYS_getppid as u32),
        any::<u32>(),
    ]
}

/// Makes a raw instruction mostly valid for its place: loads inside
/// `seccomp_data`, memory indexes below 16, jumps inside the program.
fn shape(code: u16, jt: u8, jf: u8, k: u32, pc: usize, len: usize) -> Insn {
    let room = (len - pc - 1) as u32; // instructions after this one
    let k = match code {
        c if c == BPF_LD | BPF_W | BPF_ABS => (k % 16) * 4,
        c if c == BPF_LD | BPF_MEM || c == BPF_LDX | BPF_MEM || c == BPF_ST || c == BPF_STX => k % 16,
        c if c == BPF_ALU | BPF_LSH | BPF_K || c == BPF_ALU | BPF_RSH | BPF_K => k % 32,
        c if c == BPF_ALU | BPF_DIV | BPF_K => k.max(1),
        c if c == BPF_JMP | BPF_JA => k % room.max(1),
        _ => k,
    };
    let clamp = |j: u8| if room == 0 { j } else { (u32::from(j) % room) as u8 };
    Insn { code, jt: clamp(jt), jf: clamp(jf), k }
}

/// How many of [`CODES`] seccomp takes (the rest are refused).
const VALID_CODES: usize = 34;

fn arb_raw(codes: &'static [u16]) -> impl Strategy<Value = (u16, u8, u8, u32)> {
    (proptest::sample::select(codes), any::<u8>(), any::<u8>(), arb_k())
}

/// Programs that mostly pass the checks (stores first, a final `ret`), and
/// now and then one unshaped instruction that likely does not.
fn arb_program() -> impl Strategy<Value = Vec<Insn>> {
    (
        proptest::collection::vec(0u32..16, 0..3),
        proptest::collection::vec(arb_raw(&CODES[..VALID_CODES]), 1..14),
        arb_k(),
        proptest::option::weighted(0.2, (any::<prop::sample::Index>(), arb_raw(CODES))),
    )
        .prop_map(|(stores, body, last, wild)| {
            let mut p: Vec<Insn> = stores.iter().map(|&m| Insn::stmt(BPF_ST, m)).collect();
            let len = p.len() + body.len() + 1;
            for (code, jt, jf, k) in body {
                let pc = p.len();
                let mut insn = shape(code, jt, jf, k, pc, len);
                // Mostly read scratch words that were stored.
                if (code == BPF_LD | BPF_MEM || code == BPF_LDX | BPF_MEM) && !stores.is_empty() && k % 8 != 0 {
                    insn.k = stores[k as usize % stores.len()];
                }
                p.push(insn);
            }
            p.push(Insn::stmt(BPF_RET | BPF_K, last));
            if let Some((at, (code, jt, jf, k))) = wild {
                let i = at.index(p.len());
                p[i] = Insn { code, jt, jf, k };
            }
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn random_programs_agree(p in arb_program(), a0 in prop_oneof![Just(0u64), Just(39u64), any::<u64>()], a1 in any::<u64>()) {
        let ours = Program::new(p.clone());
        let nr = libc::SYS_getppid as u64;
        let args = [a0, a1, 2, 3, 4, 5];
        match ours {
            Err(why) => {
                let (got, _) = probe(&p, 0, true, nr, args);
                prop_assert_eq!(got, Outcome::InstallFailed(i64::from(libc::EINVAL)), "we refuse {:?} ({:?})", p, why);
            }
            Ok(prog) => {
                if let Err(e) = compare_masked(&prog, nr, args) {
                    prop_assert!(false, "{:?}: {}", p, e);
                }
            }
        }
    }
}

