//! The compiler against libseccomp itself (the host's libseccomp.so.2,
//! which `scripts/setup` installs): the same rules, added as runc adds them
//! (one per name, default-action rules dropped, two conditions on one
//! argument split), are exported by libseccomp as BPF; our validator must
//! accept that program and both programs must give every call the same
//! verdict. Profiles here list no architectures (so runc's -ENOSYS stub,
//! which is not libseccomp's, is off), and the random ones give a syscall
//! one rule (with up to three conditions): libseccomp 2.5.4 merges several
//! rules of a syscall into a tree whose BPF can test a stale accumulator
//! (with `a0 < 3` and `a0 > 0x100000000 && a1 <= 7`, it traps `a0 == 3`:
//! after the low-word test of the first rule it compares that low word
//! with the second rule's high-word datum). The compiler keeps the rules'
//! meaning; several rules per syscall are covered by the hand-picked
//! profile where libseccomp's program is right (equality and masks), by
//! the reference semantics in `tests/compile.rs`, and by the host kernel in
//! `tests/host_kernel.rs`.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::ffi::{c_char, c_int, c_uint, c_void, CString};

use oci::runtime::{Seccomp, SeccompArg, SeccompSyscall};
use proptest::prelude::*;
use seccomp::bpf::insns_from_bytes;
use seccomp::compile::{compile, describe, Op, Profile};
use seccomp::{Program, SeccompData};

#[repr(C)]
struct ScmpArgCmp {
    arg: c_uint,
    op: c_int,
    datum_a: u64,
    datum_b: u64,
}

type Init = unsafe extern "C" fn(u32) -> *mut c_void;
type RuleAdd = unsafe extern "C" fn(*mut c_void, u32, c_int, c_uint, *const ScmpArgCmp) -> c_int;
type Export = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;
type Release = unsafe extern "C" fn(*mut c_void);

struct Lib {
    init: Init,
    rule_add: RuleAdd,
    export: Export,
    release: Release,
}

fn lib() -> Lib {
    let name = CString::new("libseccomp.so.2").unwrap();
    // SAFETY: dlopen/dlsym with valid C strings; the symbols have the C
    // signatures of libseccomp 2.x declared above.
    unsafe {
        let h = libc::dlopen(name.as_ptr(), libc::RTLD_NOW);
        assert!(!h.is_null(), "libseccomp.so.2 is missing: run scripts/setup (apt-get install libseccomp2)");
        let sym = |s: &str| {
            let c = CString::new(s).unwrap();
            let p = libc::dlsym(h, c.as_ptr() as *const c_char);
            assert!(!p.is_null(), "libseccomp lacks {s}");
            p
        };
        Lib {
            init: std::mem::transmute::<*mut c_void, Init>(sym("seccomp_init")),
            rule_add: std::mem::transmute::<*mut c_void, RuleAdd>(sym("seccomp_rule_add_array")),
            export: std::mem::transmute::<*mut c_void, Export>(sym("seccomp_export_bpf")),
            release: std::mem::transmute::<*mut c_void, Release>(sym("seccomp_release")),
        }
    }
}

fn op_number(op: Op) -> c_int {
    match op {
        Op::Ne => 1,
        Op::Lt => 2,
        Op::Le => 3,
        Op::Eq => 4,
        Op::Ge => 5,
        Op::Gt => 6,
        Op::MaskedEq => 7,
    }
}

/// libseccomp's program for `spec`, its rules added as runc adds them.
fn libseccomp_program(l: &Lib, spec: &Seccomp) -> Program {
    let profile = Profile::from_spec(spec).expect("valid profile");
    // SAFETY: a context from seccomp_init, used and released here; the
    // argument arrays outlive each call; the exported bytes go to a pipe.
    unsafe {
        let ctx = (l.init)(profile.default);
        assert!(!ctx.is_null());
        for call in &spec.syscalls {
            let ret = Profile::from_spec(&Seccomp { syscalls: vec![call.clone()], ..spec.clone() }).unwrap();
            for name in &call.names {
                let Some(nr) = linux_abi::sysno::number(name) else { continue };
                let Some(rules) = ret.rules.get(&(nr as u32)) else { continue };
                for rule in rules {
                    let args: Vec<ScmpArgCmp> = rule
                        .conds
                        .iter()
                        .map(|c| ScmpArgCmp { arg: c_uint::from(c.index), op: op_number(c.op), datum_a: c.value, datum_b: c.value_two })
                        .collect();
                    let r = (l.rule_add)(ctx, rule.ret, nr as c_int, args.len() as c_uint, args.as_ptr());
                    assert!(r == 0 || r == -libc::EEXIST, "seccomp_rule_add_array: {r}");
                }
            }
        }
        let mut fds = [0; 2];
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        assert_eq!((l.export)(ctx, fds[1]), 0);
        libc::close(fds[1]);
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = libc::read(fds[0], buf.as_mut_ptr() as *mut c_void, buf.len());
            if n <= 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n as usize]);
        }
        libc::close(fds[0]);
        (l.release)(ctx);
        Program::new(insns_from_bytes(&bytes)).expect("our checks accept libseccomp's program")
    }
}

fn arg(index: u32, op: &str, value: u64, value_two: u64) -> SeccompArg {
    SeccompArg { index, value, value_two, op: op.to_string() }
}

fn rule(name: &str, action: &str, errno: Option<u32>, args: Vec<SeccompArg>) -> SeccompSyscall {
    SeccompSyscall { names: vec![name.to_string()], action: action.to_string(), errno_ret: errno, args }
}

fn check(l: &Lib, spec: &Seccomp, calls: &[(u32, [u64; 6])]) -> Result<(), String> {
    let ours = compile(spec).map_err(|e| e.to_string())?.program;
    let theirs = libseccomp_program(l, spec);
    for (nr, args) in calls {
        let d = SeccompData::x86_64(*nr as i32, *args, 0);
        let (a, b) = (describe(ours.run(&d)), describe(theirs.run(&d)));
        if a != b {
            return Err(format!("nr {nr} args {args:x?}: ours {a}, libseccomp {b}"));
        }
    }
    Ok(())
}

#[test]
fn hand_picked_profiles() {
    let l = lib();
    let spec = Seccomp {
        default_action: "SCMP_ACT_ERRNO".into(),
        syscalls: vec![
            rule("getpid", "SCMP_ACT_ALLOW", None, vec![]),
            rule("personality", "SCMP_ACT_ALLOW", None, vec![arg(0, "SCMP_CMP_EQ", 0xffff_ffff, 0)]),
            rule("personality", "SCMP_ACT_ALLOW", None, vec![arg(0, "SCMP_CMP_EQ", 8, 0)]),
            rule("clone", "SCMP_ACT_ALLOW", None, vec![arg(0, "SCMP_CMP_MASKED_EQ", 0x7e02_0000, 0)]),
            rule("dup", "SCMP_ACT_TRAP", None, vec![arg(0, "SCMP_CMP_GT", 0x1_0000_0000, 0), arg(1, "SCMP_CMP_LE", 7, 0)]),
            rule("read", "SCMP_ACT_LOG", None, vec![arg(0, "SCMP_CMP_MASKED_EQ", 0x1_0000_00ff, u64::MAX)]),
            rule("read", "SCMP_ACT_LOG", None, vec![arg(2, "SCMP_CMP_EQ", 5, 0)]),
            rule("socket", "SCMP_ACT_ERRNO", Some(97), vec![arg(0, "SCMP_CMP_NE", 1, 0), arg(0, "SCMP_CMP_NE", 2, 0)]),
        ],
        ..Seccomp::default()
    };
    let mut calls = Vec::new();
    for nr in [39u32, 135, 56, 32, 41, 0, 1000, u32::MAX, 0x4000_0027] {
        for a0 in [0u64, 1, 2, 3, 8, 0xffff_ffff, u64::MAX, 0x1_0000_0000, 0x1_0000_0001, 0x1000_0000, 0x11] {
            for a1 in [0u64, 7, 8, 1 << 33] {
                calls.push((nr, [a0, a1, 0, 0, 0, 0]));
            }
        }
    }
    check(&l, &spec, &calls).unwrap();
}

const NAMES: [&str; 5] = ["read", "getpid", "personality", "clone", "dup"];
const ACTIONS: [&str; 6] = ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_KILL"];
const OPS: [&str; 7] = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];

fn value() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(1), Just(0xffff_ffff), Just(0x1_0000_0000), Just(u64::MAX), 0u64..5, any::<u64>()]
}

/// Conditions on distinct arguments (libseccomp refuses two on one).
fn conds() -> impl Strategy<Value = Vec<SeccompArg>> {
    proptest::collection::vec((0..OPS.len(), value(), value()), 0..3).prop_map(|cs| {
        cs.into_iter().enumerate().map(|(i, (op, v, v2))| arg(i as u32, OPS[op], v, v2)).collect()
    })
}

fn arb_spec() -> impl Strategy<Value = Seccomp> {
    (
        0..ACTIONS.len(),
        proptest::collection::vec((0..NAMES.len(), 0..ACTIONS.len(), proptest::option::of(0u32..200), proptest::collection::vec(conds(), 1..2)), 0..5),
    )
        .prop_map(|(d, per_call)| {
            let mut syscalls = Vec::new();
            let mut used = Vec::new();
            for (n, a, errno, rules) in per_call {
                if used.contains(&n) {
                    continue; // one action per syscall
                }
                used.push(n);
                for args in rules {
                    syscalls.push(rule(NAMES[n], ACTIONS[a], errno, args));
                }
            }
            Seccomp { default_action: ACTIONS[d].into(), syscalls, ..Seccomp::default() }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn random_profiles_agree_with_libseccomp(spec in arb_spec(), calls in proptest::collection::vec((0..NAMES.len(), value(), value(), value()), 1..16)) {
        let l = lib();
        let calls: Vec<(u32, [u64; 6])> = calls
            .into_iter()
            .map(|(n, a, b, c)| (linux_abi::sysno::number(NAMES[n]).unwrap() as u32, [a, b, c, 0, 0, 0]))
            .collect();
        if let Err(e) = check(&l, &spec, &calls) {
            prop_assert!(false, "{:#?}\n{}", spec.syscalls, e);
        }
    }
}

/// Docker's default profile (without its architectures, so without runc's
/// stub): libseccomp and our program agree on every syscall number.
#[test]
fn docker_default_profile_agrees_with_libseccomp() {
    let l = lib();
    let mut spec = seccomp::docker::from_docker_profile(
        include_bytes!("data/docker-default.json"),
        &seccomp::docker::Target::docker_default((6, 1)),
    )
    .unwrap();
    spec.architectures.clear();
    let mut calls = Vec::new();
    for nr in 0..470u32 {
        for a0 in [0u64, 8, 0x11, 0x1000_0000, 0xffff_ffff, u64::MAX] {
            calls.push((nr, [a0, 0, 0, 0, 0, 0]));
        }
    }
    check(&l, &spec, &calls).unwrap();
}
