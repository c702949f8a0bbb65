//! The auxiliary vector Linux passes to a new x86_64 program, in Linux's
//! order (`create_elf_tables`), ending with AT_NULL.

use alloc::vec::Vec;

use crate::page::PAGE_SIZE;
use crate::plan::LoadPlan;

pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_PLATFORM: u64 = 15;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_HWCAP2: u64 = 26;
pub const AT_EXECFN: u64 = 31;
pub const AT_SYSINFO_EHDR: u64 = 33;
pub const AT_MINSIGSTKSZ: u64 = 51;

/// Clock ticks per second reported in AT_CLKTCK (Linux's `USER_HZ`).
pub const CLOCK_TICKS: u64 = 100;

/// The process facts the auxiliary vector reports beyond the load plan.
/// Addresses point into the new stack ([`crate::StackLayout`] provides them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuxvParams {
    /// AT_BASE: where the interpreter was loaded (0 without one).
    pub interp_base: u64,
    /// AT_RANDOM: address of 16 random bytes.
    pub random: u64,
    /// AT_EXECFN: address of the executed path string.
    pub execfn: u64,
    /// AT_PLATFORM: address of the platform string (`"x86_64"`), if provided.
    pub platform: Option<u64>,
    /// AT_SYSINFO_EHDR: address of the vDSO, if one is mapped.
    pub vdso: Option<u64>,
    /// AT_MINSIGSTKSZ: minimum signal stack size, if reported.
    pub min_signal_stack: Option<u64>,
    /// AT_HWCAP: CPUID leaf 1 EDX on x86_64.
    pub hwcap: u64,
    /// AT_HWCAP2 (bit 1: FSGSBASE usable).
    pub hwcap2: u64,
    /// AT_FLAGS (0 unless binfmt_misc preserves argv[0]).
    pub flags: u64,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// AT_SECURE: set-id execution; libc then ignores dangerous variables.
    pub secure: bool,
}

/// The auxiliary vector for the main program described by `plan`, as
/// `(type, value)` pairs ending with `(AT_NULL, 0)`.
pub fn build_auxv(plan: &LoadPlan, params: &AuxvParams) -> Vec<(u64, u64)> {
    let mut auxv = Vec::with_capacity(24);
    // ARCH_DLINFO comes first on x86_64.
    if let Some(vdso) = params.vdso {
        auxv.push((AT_SYSINFO_EHDR, vdso));
    }
    if let Some(size) = params.min_signal_stack {
        auxv.push((AT_MINSIGSTKSZ, size));
    }
    auxv.extend_from_slice(&[
        (AT_HWCAP, params.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, CLOCK_TICKS),
        (AT_PHDR, plan.phdr),
        (AT_PHENT, u64::from(plan.phent)),
        (AT_PHNUM, u64::from(plan.phnum)),
        (AT_BASE, params.interp_base),
        (AT_FLAGS, params.flags),
        (AT_ENTRY, plan.entry),
        (AT_UID, u64::from(params.uid)),
        (AT_EUID, u64::from(params.euid)),
        (AT_GID, u64::from(params.gid)),
        (AT_EGID, u64::from(params.egid)),
        (AT_SECURE, u64::from(params.secure)),
        (AT_RANDOM, params.random),
        (AT_HWCAP2, params.hwcap2),
        (AT_EXECFN, params.execfn),
    ]);
    if let Some(platform) = params.platform {
        auxv.push((AT_PLATFORM, platform));
    }
    auxv.push((AT_NULL, 0));
    auxv
}
