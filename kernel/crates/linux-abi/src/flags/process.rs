//! Small constants of the process calls: prctl options, arch_prctl codes,
//! getrusage targets and getrandom flags.

linux_consts! {
    /// Name of a prctl(2) option (the ones a libc commonly uses).
    pub fn prctl_name(i32);
    PR_SET_PDEATHSIG = 1;
    PR_GET_PDEATHSIG = 2;
    PR_GET_DUMPABLE = 3;
    PR_SET_DUMPABLE = 4;
    PR_SET_NAME = 15;
    PR_GET_NAME = 16;
    PR_GET_KEEPCAPS = 7;
    PR_SET_KEEPCAPS = 8;
    PR_CAPBSET_READ = 23;
    PR_CAPBSET_DROP = 24;
    PR_SET_SECCOMP = 22;
    PR_GET_SECCOMP = 21;
    PR_GET_SECUREBITS = 27;
    PR_SET_SECUREBITS = 28;
    PR_SET_NO_NEW_PRIVS = 38;
    PR_GET_NO_NEW_PRIVS = 39;
    PR_SET_CHILD_SUBREAPER = 36;
    PR_GET_CHILD_SUBREAPER = 37;
    PR_CAP_AMBIENT = 47;
    PR_SET_VMA = 0x53564d41;
}

/// Longest process name prctl(PR_SET_NAME) keeps, NUL included (`TASK_COMM_LEN`).
pub const TASK_COMM_LEN: usize = 16;

linux_consts! {
    /// Name of an arch_prctl(2) code.
    pub fn arch_prctl_name(i32);
    ARCH_SET_GS = 0x1001;
    ARCH_SET_FS = 0x1002;
    ARCH_GET_FS = 0x1003;
    ARCH_GET_GS = 0x1004;
    ARCH_GET_CPUID = 0x1011;
    ARCH_SET_CPUID = 0x1012;
}

/// getrusage(2) `who`.
pub const RUSAGE_SELF: i32 = 0;
pub const RUSAGE_CHILDREN: i32 = -1;
pub const RUSAGE_THREAD: i32 = 1;

/// getrandom(2) flags.
pub const GRND_NONBLOCK: u32 = 1;
pub const GRND_RANDOM: u32 = 2;
pub const GRND_INSECURE: u32 = 4;
