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
    PR_GET_TIMING = 13;
    PR_SET_TIMING = 14;
    PR_SET_TIMERSLACK = 29;
    PR_GET_TIMERSLACK = 30;
    PR_TASK_PERF_EVENTS_DISABLE = 31;
    PR_TASK_PERF_EVENTS_ENABLE = 32;
    PR_GET_TID_ADDRESS = 40;
    PR_SET_THP_DISABLE = 41;
    PR_GET_THP_DISABLE = 42;
    PR_SET_VMA = 0x53564d41;
}

/// `PR_SET_VMA`'s sub-option.
pub const PR_SET_VMA_ANON_NAME: u64 = 0;
/// `PR_GET_TIMING`'s answer.
pub const PR_TIMING_STATISTICAL: usize = 0;
/// `PR_SET_DUMPABLE` values (`SUID_DUMP_DISABLE`, `SUID_DUMP_USER`).
pub const SUID_DUMP_DISABLE: u64 = 0;
pub const SUID_DUMP_USER: u64 = 1;

linux_consts! {
    /// Name of a membarrier(2) command.
    pub fn membarrier_cmd_name(i32);
    MEMBARRIER_CMD_QUERY = 0;
    MEMBARRIER_CMD_GLOBAL = 1;
    MEMBARRIER_CMD_GLOBAL_EXPEDITED = 2;
    MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4;
    MEMBARRIER_CMD_PRIVATE_EXPEDITED = 8;
    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 16;
    MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 32;
    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64;
    MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ = 128;
    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 256;
    MEMBARRIER_CMD_GET_REGISTRATIONS = 512;
}

/// membarrier(2)'s one flag (with `MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ`).
pub const MEMBARRIER_CMD_FLAG_CPU: u32 = 1;

/// close_range(2) flags.
pub const CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
pub const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;

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
