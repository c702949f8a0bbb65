//! The OCI runtime-spec's `linux.seccomp` compiled to one classic BPF
//! program, with the verdicts runc (libseccomp plus its `-ENOSYS` stub)
//! gives:
//!
//! - An architecture check first: anything but `AUDIT_ARCH_X86_64` gets the
//!   bad-architecture action (`KILL_THREAD`, libseccomp's default), and so
//!   do x32 numbers (`nr >= 0x40000000`, except -1). Cyrius runs neither
//!   i386 nor x32 code, so their entries in `architectures` are accepted
//!   but have no rules.
//! - runc's stub: when `SCMP_ARCH_X86_64` is listed and the default action
//!   is not `ALLOW`, `LOG` or `TRACE`, a number above the highest one the
//!   profile names returns `ENOSYS` (so programs fall back from syscalls
//!   newer than the profile).
//! - Rules as runc hands them to libseccomp: one per name; unknown names
//!   are skipped; a rule whose action equals the default is dropped; a rule
//!   with two conditions on one argument becomes one rule per condition.
//!   Conditions of one rule are ANDed and compare the full 64-bit argument
//!   on both 32-bit halves; several rules for one syscall are ORed, the
//!   first matching one (in profile order) deciding; `SCMP_CMP_MASKED_EQ`
//!   compares `arg & mask` with `datum & mask`, as libseccomp does; the first rule
//!   without conditions decides for its syscall outright (libseccomp lets
//!   it replace the conditional ones and ignores later rules).
//!   libseccomp orders overlapping conditional rules with different
//!   actions by its own tree (it may also drop one); profile order is used
//!   here, which agrees wherever such rules do not overlap, as in Docker's
//!   and Podman's profiles.
//! - The syscalls with rules are found by a binary search on the number, so
//!   a call costs O(log n) instructions, not the O(n) of a linear chain.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use oci::runtime::{Seccomp, SeccompArg};

use crate::action::{
    Action, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_LOG,
    SECCOMP_RET_TRACE, SECCOMP_RET_TRAP,
};
use crate::asm::{Asm, Label};
use crate::bpf::{Insn, Program, BPF_ALU, BPF_AND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_K};
use crate::data::{AUDIT_ARCH_X86_64, OFFSET_ARCH, OFFSET_ARGS, OFFSET_NR, X32_SYSCALL_BIT};

/// `SECCOMP_FILTER_FLAG_*` (the `flags` of `seccomp(SECCOMP_SET_MODE_FILTER)`).
pub const SECCOMP_FILTER_FLAG_TSYNC: u32 = 1;
pub const SECCOMP_FILTER_FLAG_LOG: u32 = 2;
pub const SECCOMP_FILTER_FLAG_SPEC_ALLOW: u32 = 4;
pub const SECCOMP_FILTER_FLAG_NEW_LISTENER: u32 = 8;
pub const SECCOMP_FILTER_FLAG_TSYNC_ESRCH: u32 = 16;
pub const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: u32 = 32;

const ENOSYS: u32 = 38;
const EPERM: u32 = 1;

/// A compiled profile: the program and the flags to install it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub program: Program,
    /// `SECCOMP_FILTER_FLAG_*` from `flags`.
    pub flags: u32,
}

/// A profile the compiler refuses, naming the field (`linux.seccomp.syscalls[3].action`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn error(field: impl Into<String>, message: impl Into<String>) -> CompileError {
    CompileError { field: field.into(), message: message.into() }
}

/// The comparison operators (`SCMP_CMP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    /// `(arg & value) == (value_two & value)`: libseccomp masks the datum too.
    MaskedEq,
}

impl Op {
    pub fn from_name(name: &str) -> Option<Op> {
        Some(match name {
            "SCMP_CMP_NE" => Op::Ne,
            "SCMP_CMP_LT" => Op::Lt,
            "SCMP_CMP_LE" => Op::Le,
            "SCMP_CMP_EQ" => Op::Eq,
            "SCMP_CMP_GE" => Op::Ge,
            "SCMP_CMP_GT" => Op::Gt,
            "SCMP_CMP_MASKED_EQ" => Op::MaskedEq,
            _ => return None,
        })
    }

    /// Whether `arg` satisfies the condition (the reference the BPF must agree with).
    pub fn holds(self, arg: u64, value: u64, value_two: u64) -> bool {
        match self {
            Op::Ne => arg != value,
            Op::Lt => arg < value,
            Op::Le => arg <= value,
            Op::Eq => arg == value,
            Op::Ge => arg >= value,
            Op::Gt => arg > value,
            Op::MaskedEq => arg & value == value_two & value,
        }
    }
}

/// One argument condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cond {
    pub index: u8,
    pub op: Op,
    pub value: u64,
    pub value_two: u64,
}

/// A rule for one syscall number: all conditions must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub conds: Vec<Cond>,
    /// The return value (action and data).
    pub ret: u32,
}

/// The libseccomp architecture names runc accepts (`SCMP_ARCH_*`).
const ARCHES: [&str; 22] = [
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",
    "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",
    "SCMP_ARCH_SH",
];

/// The return value of `SCMP_ACT_*` `name` with its errno data.
fn action_ret(name: &str, errno_ret: Option<u32>, field: &str) -> Result<u32, CompileError> {
    let data = |default: u32| -> Result<u32, CompileError> {
        let v = errno_ret.unwrap_or(default);
        if v > 0xffff {
            return Err(error(field, format!("errno {v} does not fit the 16 bits of a seccomp return value")));
        }
        Ok(v)
    };
    Ok(match name {
        "SCMP_ACT_KILL" | "SCMP_ACT_KILL_THREAD" => SECCOMP_RET_KILL_THREAD,
        "SCMP_ACT_KILL_PROCESS" => SECCOMP_RET_KILL_PROCESS,
        "SCMP_ACT_TRAP" => SECCOMP_RET_TRAP,
        "SCMP_ACT_ERRNO" => SECCOMP_RET_ERRNO | data(EPERM)?,
        "SCMP_ACT_TRACE" => SECCOMP_RET_TRACE | data(EPERM)?,
        "SCMP_ACT_ALLOW" => SECCOMP_RET_ALLOW,
        "SCMP_ACT_LOG" => SECCOMP_RET_LOG,
        "SCMP_ACT_NOTIFY" => {
            return Err(error(field, "SCMP_ACT_NOTIFY needs a seccomp user-notification listener, which Cyrius does not provide"))
        }
        _ => return Err(error(field, format!("unknown action {name:?}"))),
    })
}

fn flag_bits(name: &str) -> Option<u32> {
    Some(match name {
        "SECCOMP_FILTER_FLAG_TSYNC" => SECCOMP_FILTER_FLAG_TSYNC,
        "SECCOMP_FILTER_FLAG_LOG" => SECCOMP_FILTER_FLAG_LOG,
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => SECCOMP_FILTER_FLAG_SPEC_ALLOW,
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" => SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        _ => return None,
    })
}

fn cond(arg: &SeccompArg, field: &str) -> Result<Cond, CompileError> {
    let op = Op::from_name(&arg.op).ok_or_else(|| error(format!("{field}.op"), format!("unknown operator {:?}", arg.op)))?;
    let index = u8::try_from(arg.index)
        .ok()
        .filter(|&i| i < 6)
        .ok_or_else(|| error(format!("{field}.index"), format!("argument index {} is not 0 to 5", arg.index)))?;
    Ok(Cond { index, op, value: arg.value, value_two: arg.value_two })
}

/// The rules per x86_64 syscall number, as runc adds them to libseccomp.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// The default return value.
    pub default: u32,
    /// Whether runc's `-ENOSYS` stub applies, and above which number.
    pub enosys_above: Option<u32>,
    /// Rules per syscall number (none of them with the default's action).
    pub rules: BTreeMap<u32, Vec<Rule>>,
    pub flags: u32,
}

impl Profile {
    /// Checks and resolves `spec` (the field names of errors start with `linux.seccomp`).
    pub fn from_spec(spec: &Seccomp) -> Result<Profile, CompileError> {
        const F: &str = "linux.seccomp";
        let default = action_ret(&spec.default_action, spec.default_errno_ret, &format!("{F}.defaultAction"))?;
        let mut native = false;
        for (i, arch) in spec.architectures.iter().enumerate() {
            if !ARCHES.contains(&arch.as_str()) {
                return Err(error(format!("{F}.architectures[{i}]"), format!("unknown architecture {arch:?}")));
            }
            native |= arch == "SCMP_ARCH_X86_64";
        }
        let mut flags = 0;
        for (i, name) in spec.flags.iter().enumerate() {
            flags |= flag_bits(name)
                .ok_or_else(|| error(format!("{F}.flags[{i}]"), format!("unknown or unsupported flag {name:?}")))?;
        }
        let mut rules: BTreeMap<u32, Vec<Rule>> = BTreeMap::new();
        let mut unconditional: BTreeMap<u32, u32> = BTreeMap::new();
        let mut highest: Option<u32> = None;
        for (i, call) in spec.syscalls.iter().enumerate() {
            let field = format!("{F}.syscalls[{i}]");
            let ret = action_ret(&call.action, call.errno_ret, &format!("{field}.action"))?;
            let mut conds = Vec::with_capacity(call.args.len());
            for (j, arg) in call.args.iter().enumerate() {
                conds.push(cond(arg, &format!("{field}.args[{j}]"))?);
            }
            // runc: two conditions on one argument make one rule per condition (ORed).
            let split = conds.iter().enumerate().any(|(j, c)| conds[..j].iter().any(|d| d.index == c.index));
            let variants: Vec<Vec<Cond>> = if split { conds.iter().map(|c| alloc::vec![*c]).collect() } else { alloc::vec![conds] };
            for name in &call.names {
                // Names this architecture lacks are skipped, as runc does.
                let Some(nr) = linux_abi::sysno::number(name).and_then(|n| u32::try_from(n).ok()) else { continue };
                highest = Some(highest.map_or(nr, |h| h.max(nr)));
                if ret == default {
                    continue;
                }
                for conds in &variants {
                    if conds.is_empty() {
                        // libseccomp keeps the first unconditional rule of a syscall.
                        unconditional.entry(nr).or_insert(ret);
                    }
                    rules.entry(nr).or_default().push(Rule { conds: conds.clone(), ret });
                }
            }
        }
        // An unconditional rule decides for its syscall outright.
        for (nr, ret) in unconditional {
            rules.insert(nr, alloc::vec![Rule { conds: Vec::new(), ret }]);
        }
        let permissive = matches!(Action::from_ret(default), Action::Allow | Action::Log | Action::Trace(_));
        let enosys_above = if native && !permissive { highest } else { None };
        Ok(Profile { default, enosys_above, rules, flags })
    }

    /// The reference verdict for a native call (what the program must return).
    pub fn verdict(&self, nr: u32, args: &[u64; 6]) -> u32 {
        if nr >= X32_SYSCALL_BIT && nr != u32::MAX {
            return SECCOMP_RET_KILL_THREAD;
        }
        if let Some(high) = self.enosys_above {
            // runc's stub sends x32 numbers (and -1) on to libseccomp's filter.
            if nr < X32_SYSCALL_BIT && nr > high {
                return SECCOMP_RET_ERRNO | ENOSYS;
            }
        }
        let Some(rules) = self.rules.get(&nr) else { return self.default };
        rules
            .iter()
            .find(|r| r.conds.iter().all(|c| c.op.holds(args[usize::from(c.index)], c.value, c.value_two)))
            .map_or(self.default, |r| r.ret)
    }

    /// The BPF program.
    pub fn program(&self) -> Vec<Insn> {
        let mut a = Asm::new();
        let default = a.ret(self.default);
        let bad_arch = a.ret(SECCOMP_RET_KILL_THREAD);
        // With A = nr: a binary search for the syscall's rules, else the default.
        let calls: Vec<(u32, &[Rule])> = self.rules.iter().map(|(&nr, r)| (nr, r.as_slice())).collect();
        let search = emit_search(&mut a, &calls, default);
        let native = match self.enosys_above {
            Some(high) => {
                let enosys = a.ret(SECCOMP_RET_ERRNO | ENOSYS);
                a.jump(BPF_JMP | BPF_JGT | BPF_K, high, enosys, search)
            }
            None => search,
        };
        // nr >= X32 bit: -1 goes on, x32 calls are a foreign architecture.
        let minus_one = a.jump(BPF_JMP | BPF_JEQ | BPF_K, u32::MAX, search, bad_arch);
        let x32 = a.jump(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, minus_one, native);
        let nr = a.load(OFFSET_NR, x32);
        let arch = a.jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, nr, bad_arch);
        a.load(OFFSET_ARCH, arch);
        a.finish()
    }
}

/// Binary search over `calls` (sorted by number) with A = nr: a few
/// equality tests at the leaves, each followed by the rules of its
/// syscall; `jge` splits above.
fn emit_search(a: &mut Asm, calls: &[(u32, &[Rule])], miss: Label) -> Label {
    const LEAF: usize = 4;
    if calls.len() <= LEAF {
        let blocks: Vec<Label> = calls.iter().rev().map(|(_, rules)| emit_rules(a, rules, miss)).collect();
        let mut next = miss;
        for (&(nr, _), &block) in calls.iter().rev().zip(blocks.iter()) {
            next = a.jump(BPF_JMP | BPF_JEQ | BPF_K, nr, block, next);
        }
        return next;
    }
    let mid = calls.len() / 2;
    let upper = emit_search(a, &calls[mid..], miss);
    let lower = emit_search(a, &calls[..mid], miss);
    a.jump(BPF_JMP | BPF_JGE | BPF_K, calls[mid].0, upper, lower)
}

/// One syscall's rules in order, the first whose conditions all hold
/// deciding, else `miss`.
fn emit_rules(a: &mut Asm, rules: &[Rule], miss: Label) -> Label {
    let mut next = miss;
    for rule in rules.iter().rev() {
        let mut pass = a.shared_ret(rule.ret);
        for c in rule.conds.iter().rev() {
            pass = emit_cond(a, c, pass, next);
        }
        next = pass;
    }
    next
}

/// One 64-bit comparison on both halves, going to `pass` or `fail`.
fn emit_cond(a: &mut Asm, c: &Cond, pass: Label, fail: Label) -> Label {
    let lo = OFFSET_ARGS + 8 * u32::from(c.index);
    let hi = lo + 4;
    let (vlo, vhi) = (c.value as u32, (c.value >> 32) as u32);
    let jeq = BPF_JMP | BPF_JEQ | BPF_K;
    let jgt = BPF_JMP | BPF_JGT | BPF_K;
    let jge = BPF_JMP | BPF_JGE | BPF_K;
    match c.op {
        Op::Eq | Op::Ne => {
            let (yes, no) = if c.op == Op::Eq { (pass, fail) } else { (fail, pass) };
            let low = a.jump(jeq, vlo, yes, no);
            let low = a.load(lo, low);
            let high = a.jump(jeq, vhi, low, no);
            a.load(hi, high)
        }
        Op::MaskedEq => {
            let datum = c.value_two & c.value;
            let (dlo, dhi) = (datum as u32, (datum >> 32) as u32);
            let low = a.jump(jeq, dlo, pass, fail);
            let low = a.stmt(BPF_ALU | BPF_AND | BPF_K, vlo, low);
            let low = a.load(lo, low);
            let high = a.jump(jeq, dhi, low, fail);
            let high = a.stmt(BPF_ALU | BPF_AND | BPF_K, vhi, high);
            a.load(hi, high)
        }
        Op::Gt | Op::Ge | Op::Lt | Op::Le => {
            // GT/GE hold when the high word is above, or equal with the low word above (or equal).
            // LT/LE are their negations (not GE / not GT).
            let (yes, no) = if matches!(c.op, Op::Gt | Op::Ge) { (pass, fail) } else { (fail, pass) };
            let low_op = if matches!(c.op, Op::Gt | Op::Le) { jgt } else { jge };
            let low = a.jump(low_op, vlo, yes, no);
            let low = a.load(lo, low);
            let equal = a.jump(jeq, vhi, low, no);
            let high = a.jump(jgt, vhi, yes, equal);
            a.load(hi, high)
        }
    }
}

/// Compiles `linux.seccomp` to a checked program and its install flags.
pub fn compile(spec: &Seccomp) -> Result<Compiled, CompileError> {
    let profile = Profile::from_spec(spec)?;
    let insns = profile.program();
    let len = insns.len();
    let program = Program::new(insns)
        .map_err(|e| error("linux.seccomp", format!("the profile compiles to an invalid program ({len} instructions: {e:?})")))?;
    Ok(Compiled { program, flags: profile.flags })
}

/// A short description of a return value (`ERRNO(1)`), for messages and tests.
pub fn describe(ret: u32) -> String {
    match Action::from_ret(ret) {
        Action::KillProcess => "KILL_PROCESS".to_string(),
        Action::KillThread => "KILL_THREAD".to_string(),
        Action::Trap(d) => format!("TRAP({d})"),
        Action::Errno(d) => format!("ERRNO({d})"),
        Action::UserNotif => "USER_NOTIF".to_string(),
        Action::Trace(d) => format!("TRACE({d})"),
        Action::Log => "LOG".to_string(),
        Action::Allow => "ALLOW".to_string(),
    }
}
