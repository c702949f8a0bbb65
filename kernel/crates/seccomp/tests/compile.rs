//! The compiler against its reference semantics (`Profile::verdict`), on
//! hand-picked profiles and on random ones.

use oci::runtime::{Seccomp, SeccompArg, SeccompSyscall};
use proptest::prelude::*;
use seccomp::action::*;
use seccomp::compile::{compile, describe, Profile};
use seccomp::{SeccompData, AUDIT_ARCH_X86_64};

fn arg(index: u32, op: &str, value: u64, value_two: u64) -> SeccompArg {
    SeccompArg { index, value, value_two, op: op.to_string() }
}

fn rule(names: &[&str], action: &str, errno_ret: Option<u32>, args: Vec<SeccompArg>) -> SeccompSyscall {
    SeccompSyscall { names: names.iter().map(|s| s.to_string()).collect(), action: action.to_string(), errno_ret, args }
}

fn spec(default: &str, arches: &[&str], syscalls: Vec<SeccompSyscall>) -> Seccomp {
    Seccomp {
        default_action: default.to_string(),
        architectures: arches.iter().map(|s| s.to_string()).collect(),
        syscalls,
        ..Seccomp::default()
    }
}

/// Runs the compiled program and checks it against the reference; returns the verdict.
fn verdict(s: &Seccomp, nr: u32, args: [u64; 6]) -> String {
    let compiled = compile(s).expect("compiles");
    let profile = Profile::from_spec(s).unwrap();
    let got = compiled.program.run(&SeccompData::x86_64(nr as i32, args, 0x40_1000));
    assert_eq!(describe(got), describe(profile.verdict(nr, &args)), "nr {nr} args {args:x?}");
    describe(got)
}

const GETPID: u32 = 39;
const PERSONALITY: u32 = 135;

#[test]
fn basics() {
    let s = spec(
        "SCMP_ACT_ERRNO",
        &[],
        vec![
            rule(&["getpid", "no_such_call", "getppid"], "SCMP_ACT_ALLOW", None, vec![]),
            rule(&["personality"], "SCMP_ACT_ALLOW", None, vec![arg(0, "SCMP_CMP_EQ", 0xffff_ffff, 0)]),
            rule(&["personality"], "SCMP_ACT_TRAP", None, vec![arg(0, "SCMP_CMP_GT", 1 << 32, 0)]),
            rule(&["write"], "SCMP_ACT_ERRNO", Some(9), vec![arg(0, "SCMP_CMP_EQ", 2, 0)]),
            rule(&["write"], "SCMP_ACT_ERRNO", None, vec![arg(0, "SCMP_CMP_EQ", 3, 0)]),
        ],
    );
    assert_eq!(verdict(&s, GETPID, [0; 6]), "ALLOW");
    assert_eq!(verdict(&s, 110, [0; 6]), "ALLOW");
    assert_eq!(verdict(&s, 0, [0; 6]), "ERRNO(1)");
    assert_eq!(verdict(&s, PERSONALITY, [0xffff_ffff, 0, 0, 0, 0, 0]), "ALLOW");
    assert_eq!(verdict(&s, PERSONALITY, [u64::MAX, 0, 0, 0, 0, 0]), "TRAP(0)");
    assert_eq!(verdict(&s, PERSONALITY, [1 << 32, 0, 0, 0, 0, 0]), "ERRNO(1)");
    assert_eq!(verdict(&s, 1, [2, 0, 0, 0, 0, 0]), "ERRNO(9)");
    // A rule with the default's action is dropped (runc).
    assert_eq!(verdict(&s, 1, [3, 0, 0, 0, 0, 0]), "ERRNO(1)");
    // No architectures listed: no -ENOSYS stub; other architectures and x32 are killed; -1 gets the default.
    assert_eq!(verdict(&s, 1000, [0; 6]), "ERRNO(1)");
    assert_eq!(verdict(&s, 0x4000_0027, [0; 6]), "KILL_THREAD");
    assert_eq!(verdict(&s, u32::MAX, [0; 6]), "ERRNO(1)");
    let prog = compile(&s).unwrap().program;
    let i386 = SeccompData { nr: 20, arch: 0x4000_0003, instruction_pointer: 0, args: [0; 6] };
    assert_eq!(prog.run(&i386), SECCOMP_RET_KILL_THREAD);
}

#[test]
fn enosys_stub_as_runc() {
    let rules = vec![rule(&["getpid"], "SCMP_ACT_ALLOW", None, vec![]), rule(&["openat"], "SCMP_ACT_ERRNO", None, vec![])];
    let s = spec("SCMP_ACT_ERRNO", &["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], rules.clone());
    // openat (257) is the highest number named (its rule has the default action but still counts).
    assert_eq!(verdict(&s, 257, [0; 6]), "ERRNO(1)");
    assert_eq!(verdict(&s, 258, [0; 6]), "ERRNO(38)");
    assert_eq!(verdict(&s, u32::MAX, [0; 6]), "ERRNO(1)");
    // Not for permissive defaults.
    let s = spec("SCMP_ACT_LOG", &["SCMP_ARCH_X86_64"], rules);
    assert_eq!(verdict(&s, 258, [0; 6]), "LOG");
}

#[test]
fn conditions_on_one_argument_are_ored() {
    // runc splits a rule with two conditions on one argument into two rules.
    let s = spec(
        "SCMP_ACT_ALLOW",
        &[],
        vec![rule(&["getpid"], "SCMP_ACT_ERRNO", Some(5), vec![arg(0, "SCMP_CMP_EQ", 1, 0), arg(0, "SCMP_CMP_EQ", 2, 0), arg(1, "SCMP_CMP_EQ", 7, 0)])],
    );
    assert_eq!(verdict(&s, GETPID, [1, 0, 0, 0, 0, 0]), "ERRNO(5)");
    assert_eq!(verdict(&s, GETPID, [2, 0, 0, 0, 0, 0]), "ERRNO(5)");
    assert_eq!(verdict(&s, GETPID, [3, 7, 0, 0, 0, 0]), "ERRNO(5)");
    assert_eq!(verdict(&s, GETPID, [3, 6, 0, 0, 0, 0]), "ALLOW");
    // Otherwise conditions are ANDed.
    let s = spec(
        "SCMP_ACT_ALLOW",
        &[],
        vec![rule(&["getpid"], "SCMP_ACT_KILL_PROCESS", None, vec![arg(0, "SCMP_CMP_MASKED_EQ", 0xff, 0x12), arg(2, "SCMP_CMP_LE", 10, 0)])],
    );
    assert_eq!(verdict(&s, GETPID, [0x1012, 0, 10, 0, 0, 0]), "KILL_PROCESS");
    assert_eq!(verdict(&s, GETPID, [0x1012, 0, 11, 0, 0, 0]), "ALLOW");
    assert_eq!(verdict(&s, GETPID, [0x1013, 0, 1, 0, 0, 0]), "ALLOW");
}

#[test]
fn unconditional_rule_decides() {
    let s = spec(
        "SCMP_ACT_ERRNO",
        &[],
        vec![
            rule(&["getpid"], "SCMP_ACT_ALLOW", None, vec![arg(0, "SCMP_CMP_EQ", 1, 0)]),
            rule(&["getpid"], "SCMP_ACT_TRAP", None, vec![]),
            rule(&["getpid"], "SCMP_ACT_LOG", None, vec![]),
        ],
    );
    assert_eq!(verdict(&s, GETPID, [1, 0, 0, 0, 0, 0]), "TRAP(0)");
}

#[test]
fn bad_profiles_name_the_field() {
    let bad = |s: Seccomp| compile(&s).unwrap_err().to_string();
    assert_eq!(bad(spec("SCMP_ACT_NOPE", &[], vec![])), "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
    assert_eq!(bad(spec("SCMP_ACT_ALLOW", &["SCMP_ARCH_Z80"], vec![])), "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"");
    let r = rule(&["read"], "SCMP_ACT_ERRNO", None, vec![arg(6, "SCMP_CMP_EQ", 0, 0)]);
    assert_eq!(bad(spec("SCMP_ACT_ALLOW", &[], vec![r])), "linux.seccomp.syscalls[0].args[0].index: argument index 6 is not 0 to 5");
    let r = rule(&["read"], "SCMP_ACT_ERRNO", None, vec![arg(0, "SCMP_CMP_XX", 0, 0)]);
    assert_eq!(bad(spec("SCMP_ACT_ALLOW", &[], vec![r])), "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");
    let mut s = spec("SCMP_ACT_ALLOW", &[], vec![]);
    s.flags = vec!["SECCOMP_FILTER_FLAG_BOGUS".to_string()];
    assert_eq!(bad(s), "linux.seccomp.flags[0]: unknown or unsupported flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
    let mut s = spec("SCMP_ACT_ALLOW", &[], vec![]);
    s.flags = vec!["SECCOMP_FILTER_FLAG_LOG".to_string(), "SECCOMP_FILTER_FLAG_SPEC_ALLOW".to_string(), "SECCOMP_FILTER_FLAG_TSYNC".to_string()];
    assert_eq!(compile(&s).unwrap().flags, 7);
}

#[test]
fn every_syscall_with_a_rule_scales() {
    // A rule for every known syscall: the program stays valid (far jumps) and small per call.
    let names: Vec<&str> = (0..linux_abi::sysno::SYSCALL_COUNT).filter_map(linux_abi::sysno::name).collect();
    let mut rules = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let args = if i % 3 == 0 { vec![arg((i % 6) as u32, "SCMP_CMP_NE", i as u64, 0)] } else { vec![] };
        rules.push(rule(&[n], if i % 2 == 0 { "SCMP_ACT_ALLOW" } else { "SCMP_ACT_LOG" }, None, args));
    }
    let s = spec("SCMP_ACT_KILL_PROCESS", &["SCMP_ARCH_X86_64"], rules);
    let prog = compile(&s).unwrap().program;
    assert!(prog.len() < 4096, "{} instructions", prog.len());
    for nr in 0..500u32 {
        verdict(&s, nr, [nr as u64; 6]);
        verdict(&s, nr, [0; 6]);
    }
}

/// Values around the edges of 32-bit halves.
fn interesting() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(1),
        Just(0xffff_ffff),
        Just(0x1_0000_0000),
        Just(0x1_0000_0001),
        Just(u64::MAX),
        Just(0x8000_0000_0000_0000),
        0u64..4,
        any::<u64>(),
    ]
}

const NAMES: [&str; 6] = ["read", "write", "getpid", "personality", "clone", "mseal"];
const ACTIONS: [&str; 8] = [
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_LOG",
    "SCMP_ACT_KILL_THREAD",
];
const OPS: [&str; 7] = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];

fn arb_arg() -> impl Strategy<Value = SeccompArg> {
    (0u32..3, 0..OPS.len(), interesting(), interesting()).prop_map(|(i, op, v, v2)| arg(i, OPS[op], v, v2))
}

fn arb_rule() -> impl Strategy<Value = SeccompSyscall> {
    (
        proptest::sample::subsequence(NAMES.to_vec(), 1..3),
        0..ACTIONS.len(),
        proptest::option::of(0u32..5000),
        proptest::collection::vec(arb_arg(), 0..3),
    )
        .prop_map(|(names, a, errno, args)| rule(&names, ACTIONS[a], errno, args))
}

fn arb_spec() -> impl Strategy<Value = Seccomp> {
    (0..ACTIONS.len(), any::<bool>(), proptest::collection::vec(arb_rule(), 0..8))
        .prop_map(|(d, native, rules)| spec(ACTIONS[d], if native { &["SCMP_ARCH_X86_64"] } else { &[] }, rules))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn program_agrees_with_reference(s in arb_spec(), calls in proptest::collection::vec((0..NAMES.len() + 2, proptest::array::uniform3(interesting())), 1..20)) {
        let prog = compile(&s).unwrap().program;
        let profile = Profile::from_spec(&s).unwrap();
        for (which, a) in calls {
            let nr = match NAMES.get(which) {
                Some(n) => linux_abi::sysno::number(n).unwrap() as u32,
                None if which == NAMES.len() => 470,
                None => u32::MAX,
            };
            let args = [a[0], a[1], a[2], 0, 0, 0];
            let d = SeccompData { nr: nr as i32, arch: AUDIT_ARCH_X86_64, instruction_pointer: 0, args };
            prop_assert_eq!(describe(prog.run(&d)), describe(profile.verdict(nr, &args)), "nr {} args {:x?}", nr, args);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    /// Any instructions at all: the checks and the interpreter never panic,
    /// and an accepted program always ends in a verdict.
    #[test]
    fn arbitrary_programs_never_panic(p in proptest::collection::vec((any::<u16>(), any::<u8>(), any::<u8>(), any::<u32>()), 0..40), nr in any::<i32>(), a in any::<u64>()) {
        let insns: Vec<seccomp::Insn> = p.into_iter().map(|(code, jt, jf, k)| seccomp::Insn { code: code & 0xff, jt, jf, k }).collect();
        if let Ok(prog) = seccomp::Program::new(insns) {
            let _ = prog.run(&SeccompData::x86_64(nr, [a; 6], a));
        }
    }
}
