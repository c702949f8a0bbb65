//! Host identity (uname), system figures (sysinfo), time, randomness
//! and thread-setup calls. User and group ids are in `ids`.

use errno::Errno;
use linux_abi::structs;

use super::SysResult;
use crate::task::Task;

pub fn uname(p: &mut Task, a: [u64; 6]) -> SysResult {
    let host = p.proc.uts.lock().clone();
    let u = structs::Utsname::new("Linux", &host, "6.1.0-cyrius", "#1 Cyrius", "x86_64", "(none)");
    p.space.copy_out(a[0], &u.to_bytes())?;
    Ok(0)
}

fn timespec(sec: i64, nsec: u32) -> [u8; 16] {
    structs::Timespec { tv_sec: sec, tv_nsec: i64::from(nsec) }.to_bytes()
}

pub fn clock_gettime(p: &mut Task, a: [u64; 6]) -> SysResult {
    const REALTIME: u64 = 0;
    const MONOTONIC: u64 = 1;
    const PROCESS_CPUTIME: u64 = 2;
    const THREAD_CPUTIME: u64 = 3;
    const MONOTONIC_RAW: u64 = 4;
    const REALTIME_COARSE: u64 = 5;
    const MONOTONIC_COARSE: u64 = 6;
    const BOOTTIME: u64 = 7;
    let ms_of = |ticks: u64| ticks * 1000 / u64::from(crate::time::HZ);
    let split = |ms: u64| ((ms / 1000) as i64, ((ms % 1000) * 1_000_000) as u32);
    let (sec, nsec) = match a[0] {
        REALTIME | REALTIME_COARSE => crate::time::now(),
        MONOTONIC | MONOTONIC_RAW | MONOTONIC_COARSE | BOOTTIME => split(crate::time::uptime_ms()),
        PROCESS_CPUTIME => split(ms_of(p.proc.cpu_ticks())),
        THREAD_CPUTIME => split(ms_of(crate::sched::current().ticks.load(core::sync::atomic::Ordering::Relaxed))),
        _ => return Err(Errno::EINVAL),
    };
    p.space.copy_out(a[1], &timespec(sec, nsec))?;
    Ok(0)
}

/// clock_getres: every clock advances by the timer tick.
pub fn clock_getres(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[0] > 11 {
        return Err(Errno::EINVAL);
    }
    if a[1] != 0 {
        let ns = 1_000_000_000 / u64::from(crate::time::HZ);
        p.space.copy_out(a[1], &timespec(0, ns as u32))?;
    }
    Ok(0)
}

pub fn gettimeofday(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[0] != 0 {
        let (sec, nsec) = crate::time::now();
        p.space.copy_out(a[0], &timespec(sec, nsec / 1000))?;
    }
    Ok(0)
}

pub fn time(p: &mut Task, a: [u64; 6]) -> SysResult {
    let sec = crate::time::now().0;
    if a[0] != 0 {
        p.space.copy_out(a[0], &sec.to_le_bytes())?;
    }
    Ok(sec as usize)
}

pub fn getrandom(p: &mut Task, a: [u64; 6]) -> SysResult {
    let len = (a[1] as usize).min(256 * 1024);
    let mut buf = alloc::vec![0u8; len];
    vfs::EntropySource::fill(&crate::fs::HwEntropy, &mut buf);
    p.space.copy_out(a[0], &buf)?;
    Ok(len)
}

pub fn arch_prctl(p: &mut Task, a: [u64; 6]) -> SysResult {
    const ARCH_SET_FS: u64 = 0x1002;
    const ARCH_GET_FS: u64 = 0x1003;
    match a[0] {
        ARCH_SET_FS => {
            if a[1] >= crate::mm::user::USER_END {
                return Err(Errno::EPERM);
            }
            p.fs_base = a[1];
            crate::arch::usermode::set_fs_base(a[1]);
            Ok(0)
        }
        ARCH_GET_FS => {
            p.space.copy_out(a[1], &p.fs_base.to_le_bytes())?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn set_tid_address(p: &mut Task, a: [u64; 6]) -> SysResult {
    p.clear_child_tid = a[0];
    Ok(p.tid as usize)
}

pub fn set_robust_list(p: &mut Task, a: [u64; 6]) -> SysResult {
    // The head is recorded; walking it on exit arrives with threads (issue 5).
    if a[1] != 24 {
        return Err(Errno::EINVAL);
    }
    p.robust_list = a[0];
    Ok(0)
}

/// sysinfo(2): uptime, memory from the frame allocator, the data disk's
/// block cache as buffer memory, and the number of processes. There is no
/// load average yet (reported as 0) and no swap.
pub fn sysinfo(p: &mut Task, a: [u64; 6]) -> SysResult {
    const FRAME: u64 = 4096;
    let mem = crate::mm::stats();
    let cached = crate::fs::disk_cache_stats().map_or(0, |s| s.cached_blocks as u64);
    let info = structs::Sysinfo {
        uptime: (crate::time::uptime_ms() / 1000) as i64,
        totalram: mem.total_frames as u64 * FRAME,
        freeram: mem.free_frames as u64 * FRAME,
        bufferram: cached * FRAME,
        procs: u16::try_from(crate::task::all_processes().len()).unwrap_or(u16::MAX),
        mem_unit: 1,
        ..structs::Sysinfo::default()
    };
    p.space.copy_out(a[0], &info.to_bytes())?;
    Ok(0)
}

/// sethostname(name, len): changes the host name of the caller's UTS namespace.
pub fn sethostname(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[1] > 64 {
        return Err(Errno::EINVAL);
    }
    if !p.cred.capable(creds::Cap::SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    let mut raw = alloc::vec![0u8; a[1] as usize];
    p.space.copy_in(a[0], &mut raw)?;
    let name = core::str::from_utf8(&raw).map_err(|_| Errno::EINVAL)?;
    *p.proc.uts.lock() = alloc::string::String::from(name);
    Ok(0)
}
