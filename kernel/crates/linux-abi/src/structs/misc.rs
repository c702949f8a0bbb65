//! Small fixed structs of the system-information syscalls: `utsname`,
//! `sysinfo`, `rlimit`, `iovec`.

use errno::KResult;

use crate::user::UserSlice;

/// Length of each `utsname` field, NUL included.
pub const UTS_FIELD_LEN: usize = 65;

/// `struct new_utsname` (uname(2)).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Utsname {
    pub sysname: [u8; UTS_FIELD_LEN],
    pub nodename: [u8; UTS_FIELD_LEN],
    pub release: [u8; UTS_FIELD_LEN],
    pub version: [u8; UTS_FIELD_LEN],
    pub machine: [u8; UTS_FIELD_LEN],
    pub domainname: [u8; UTS_FIELD_LEN],
}
abi_struct!(Utsname, 390 { sysname, nodename, release, version, machine, domainname });

impl Utsname {
    /// Fills each field from a string, cut to 64 bytes and NUL-terminated.
    pub fn new(sysname: &str, nodename: &str, release: &str, version: &str, machine: &str, domainname: &str) -> Self {
        Utsname {
            sysname: uts_field(sysname),
            nodename: uts_field(nodename),
            release: uts_field(release),
            version: uts_field(version),
            machine: uts_field(machine),
            domainname: uts_field(domainname),
        }
    }
}

/// A NUL-padded `utsname` field holding at most 64 bytes of `text`.
pub fn uts_field(text: &str) -> [u8; UTS_FIELD_LEN] {
    let mut field = [0u8; UTS_FIELD_LEN];
    for (dst, src) in field.iter_mut().take(UTS_FIELD_LEN - 1).zip(text.bytes()) {
        *dst = src;
    }
    field
}

/// `struct sysinfo` (sysinfo(2)); `_f` is empty on 64-bit.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Sysinfo {
    pub uptime: i64,
    /// 1, 5 and 15 minute load averages scaled by `1 << SI_LOAD_SHIFT`.
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub pad: u16,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
}
abi_struct!(Sysinfo, 112 {
    uptime, loads, totalram, freeram, sharedram, bufferram, totalswap, freeswap,
    procs, pad, totalhigh, freehigh, mem_unit,
});

pub const SI_LOAD_SHIFT: u32 = 16;

/// `struct rlimit` (getrlimit/setrlimit/prlimit64).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Rlimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}
abi_struct!(Rlimit, 16 { rlim_cur, rlim_max });

pub const RLIM_INFINITY: u64 = u64::MAX;
pub const RLIMIT_CPU: u32 = 0;
pub const RLIMIT_FSIZE: u32 = 1;
pub const RLIMIT_DATA: u32 = 2;
pub const RLIMIT_STACK: u32 = 3;
pub const RLIMIT_CORE: u32 = 4;
pub const RLIMIT_RSS: u32 = 5;
pub const RLIMIT_NPROC: u32 = 6;
pub const RLIMIT_NOFILE: u32 = 7;
pub const RLIMIT_MEMLOCK: u32 = 8;
pub const RLIMIT_AS: u32 = 9;
pub const RLIMIT_LOCKS: u32 = 10;
pub const RLIMIT_SIGPENDING: u32 = 11;
pub const RLIMIT_MSGQUEUE: u32 = 12;
pub const RLIMIT_NICE: u32 = 13;
pub const RLIMIT_RTPRIO: u32 = 14;
pub const RLIMIT_RTTIME: u32 = 15;
/// Number of resources; a larger `resource` argument is EINVAL.
pub const RLIM_NLIMITS: u32 = 16;

/// `struct iovec` (readv/writev).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Iovec {
    pub iov_base: u64,
    pub iov_len: u64,
}
abi_struct!(Iovec, 16 { iov_base, iov_len });

/// Most iovecs readv/writev accept (EINVAL beyond).
pub const UIO_MAXIOV: usize = 1024;

impl Iovec {
    /// The user range it describes, checked (EFAULT beyond user space).
    pub fn user_slice(&self) -> KResult<UserSlice> {
        let len = usize::try_from(self.iov_len).map_err(|_| errno::Errno::EINVAL)?;
        UserSlice::checked(self.iov_base, len)
    }
}

/// `struct tms` (times(2)), in clock ticks of `USER_HZ` (100).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Tms {
    pub tms_utime: i64,
    pub tms_stime: i64,
    pub tms_cutime: i64,
    pub tms_cstime: i64,
}
abi_struct!(Tms, 32 { tms_utime, tms_stime, tms_cutime, tms_cstime });

/// `struct rusage` (getrusage(2), wait4(2)).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Rusage {
    pub ru_utime: super::Timeval,
    pub ru_stime: super::Timeval,
    pub ru_maxrss: i64,
    pub ru_ixrss: i64,
    pub ru_idrss: i64,
    pub ru_isrss: i64,
    pub ru_minflt: i64,
    pub ru_majflt: i64,
    pub ru_nswap: i64,
    pub ru_inblock: i64,
    pub ru_oublock: i64,
    pub ru_msgsnd: i64,
    pub ru_msgrcv: i64,
    pub ru_nsignals: i64,
    pub ru_nvcsw: i64,
    pub ru_nivcsw: i64,
}
abi_struct!(Rusage, 144 {
    ru_utime, ru_stime, ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap,
    ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw,
});

/// `struct clone_args` of clone3(2), up to `CLONE_ARGS_SIZE_VER2`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}
abi_struct!(CloneArgs, 88 { flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup });

/// The first version of `struct clone_args` (clone3's smallest size).
pub const CLONE_ARGS_SIZE_VER0: usize = 64;

/// The fixed part of `struct inotify_event` (a name of `len` bytes,
/// NUL-padded, follows).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct InotifyEvent {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    pub len: u32,
}
abi_struct!(InotifyEvent, 16 { wd, mask, cookie, len });
/// `struct flock` (fcntl F_GETLK/F_SETLK/F_SETLKW and the F_OFD_* commands).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Flock {
    pub l_type: i16,
    pub l_whence: i16,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
}
abi_struct!(Flock, 32 { l_type, l_whence, l_start, l_len, l_pid });
