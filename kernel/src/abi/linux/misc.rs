//! Host identity (uname), system figures (sysinfo), time, randomness,
//! limits and thread-setup calls. User and group ids are in `ids`.

use errno::Errno;
use linux_abi::flags::{
    clock_name, ROBUST_LIST_HEAD_SIZE, ARCH_GET_FS, ARCH_SET_FS, CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
    CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_THREAD_CPUTIME_ID, GRND_INSECURE, GRND_NONBLOCK,
    GRND_RANDOM,
};
use linux_abi::structs::{self, Sysinfo, Timespec, Timeval, Utsname};
use linux_abi::{IoctlArg, UserPtr};

use super::SysResult;
use crate::task::Task;

pub fn uname(p: &mut Task, buf: UserPtr<Utsname>) -> SysResult {
    let host = p.proc.uts.lock().clone();
    let u = Utsname::new("Linux", &host, "6.1.0-cyrius", "#1 Cyrius", "x86_64", "(none)");
    p.space.write(buf, &u)?;
    Ok(0)
}

fn timespec(sec: i64, nsec: u32) -> Timespec {
    Timespec { tv_sec: sec, tv_nsec: i64::from(nsec) }
}

fn ms_of(ticks: u64) -> u64 {
    ticks.saturating_mul(1000) / u64::from(crate::time::HZ)
}

fn split(ms: u64) -> (i64, u32) {
    ((ms / 1000) as i64, ((ms % 1000) * 1_000_000) as u32)
}

pub fn clock_gettime(p: &mut Task, clock: i32, tp: UserPtr<Timespec>) -> SysResult {
    let (sec, nsec) = match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => crate::time::now(),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => split(crate::time::uptime_ms()),
        CLOCK_PROCESS_CPUTIME_ID => split(ms_of(p.proc.cpu_ticks())),
        CLOCK_THREAD_CPUTIME_ID => split(ms_of(crate::sched::current().ticks.load(core::sync::atomic::Ordering::Relaxed))),
        _ => return Err(Errno::EINVAL),
    };
    p.space.write(tp, &timespec(sec, nsec))?;
    Ok(0)
}

/// clock_getres: every clock advances by the timer tick.
pub fn clock_getres(p: &mut Task, clock: i32, tp: UserPtr<Timespec>) -> SysResult {
    if clock_name(clock).is_none() {
        return Err(Errno::EINVAL);
    }
    if !tp.is_null() {
        let ns = 1_000_000_000 / u64::from(crate::time::HZ);
        p.space.write(tp, &timespec(0, ns as u32))?;
    }
    Ok(0)
}

pub fn gettimeofday(p: &mut Task, tv: UserPtr<Timeval>, _tz: UserPtr<u8>) -> SysResult {
    if !tv.is_null() {
        let (sec, nsec) = crate::time::now();
        p.space.write(tv, &Timeval { tv_sec: sec, tv_usec: i64::from(nsec / 1000) })?;
    }
    Ok(0)
}

pub fn time(p: &mut Task, tloc: UserPtr<i64>) -> SysResult {
    let sec = crate::time::now().0;
    if !tloc.is_null() {
        p.space.write(tloc, &sec)?;
    }
    Ok(sec as usize)
}

/// getrandom(buf, count, flags): EINVAL for unknown flags or RANDOM with
/// INSECURE; at most 256 KiB per call (Linux gives at most `INT_MAX`,
/// callers loop on short reads).
pub fn getrandom(p: &mut Task, buf: UserPtr<u8>, count: usize, flags: u32) -> SysResult {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE) {
        return Err(Errno::EINVAL);
    }
    let len = count.min(256 * 1024);
    let dst = buf.array(len)?;
    let mut bytes = alloc::vec![0u8; len];
    vfs::EntropySource::fill(&crate::fs::HwEntropy, &mut bytes);
    p.space.copy_out(dst, &bytes)?;
    Ok(len)
}

/// arch_prctl(code, addr): the FS base (the TLS pointer), set or read.
pub fn arch_prctl(p: &mut Task, code: i32, arg: IoctlArg) -> SysResult {
    match code {
        ARCH_SET_FS => {
            let base = arg.value();
            if base >= crate::mm::user::USER_END {
                return Err(Errno::EPERM);
            }
            p.fs_base = base;
            crate::arch::usermode::set_fs_base(base);
            Ok(0)
        }
        ARCH_GET_FS => {
            p.space.write(arg.ptr::<u64>(), &p.fs_base)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn set_tid_address(p: &mut Task, tidptr: UserPtr<u32>) -> SysResult {
    p.clear_child_tid = tidptr;
    Ok(p.tid as usize)
}

pub fn set_robust_list(p: &mut Task, head: UserPtr<u8>, len: usize) -> SysResult {
    // The head is recorded; it is not walked when the thread exits.
    if len != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    p.robust_list = head;
    Ok(0)
}

/// sysinfo(2): uptime, memory from the frame allocator, the data disk's
/// block cache as buffer memory, and the number of processes. There is no
/// load average yet (reported as 0) and no swap.
pub fn sysinfo(p: &mut Task, info: UserPtr<Sysinfo>) -> SysResult {
    const FRAME: u64 = linux_abi::PAGE_SIZE;
    let mem = crate::mm::stats();
    let cached = crate::fs::disk_cache_stats().map_or(0, |s| s.cached_blocks as u64);
    let out = Sysinfo {
        uptime: (crate::time::uptime_ms() / 1000) as i64,
        totalram: (mem.total_frames as u64).saturating_mul(FRAME),
        freeram: (mem.free_frames as u64).saturating_mul(FRAME),
        bufferram: cached.saturating_mul(FRAME),
        procs: u16::try_from(crate::task::all_processes().len()).unwrap_or(u16::MAX),
        mem_unit: 1,
        ..Sysinfo::default()
    };
    p.space.write(info, &out)?;
    Ok(0)
}

/// The longest host name (`__NEW_UTS_LEN`).
const HOST_NAME_MAX: usize = structs::UTS_FIELD_LEN - 1;

/// sethostname(name, len): changes the host name of the caller's UTS
/// namespace; EPERM without privilege, then EINVAL for a bad length.
pub fn sethostname(p: &mut Task, name: UserPtr<u8>, len: i32) -> SysResult {
    if !p.cred.capable(creds::Cap::SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    let len = usize::try_from(len).ok().filter(|&n| n <= HOST_NAME_MAX).ok_or(Errno::EINVAL)?;
    let mut raw = alloc::vec![0u8; len];
    p.space.copy_in(name.array(len)?, &mut raw)?;
    let name = core::str::from_utf8(&raw).map_err(|_| Errno::EINVAL)?;
    *p.proc.uts.lock() = alloc::string::String::from(name);
    Ok(0)
}
