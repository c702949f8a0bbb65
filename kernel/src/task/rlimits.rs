//! Enforcement of the resource limits that act on running code (fork
//! checks RLIMIT_NPROC, the descriptor table RLIMIT_NOFILE, exec
//! RLIMIT_STACK): RLIMIT_FSIZE on writes and truncates (SIGXFSZ and
//! `EFBIG`), RLIMIT_AS and RLIMIT_DATA on mapping growth (`ENOMEM`), and
//! RLIMIT_CPU (SIGXCPU at the soft limit and every second past it, SIGKILL
//! at the hard limit), as Linux applies them. RLIMIT_CORE is kept and
//! reported only (this kernel writes no core files).
//! May call: `task` (signals), `mm`.

use core::sync::atomic::Ordering;
use creds::{Resource, Rlimit};
use errno::Errno;
use linux_abi::signal::Signal;

use super::mm::MmInner;
use super::{current_process, signal};

fn current_limit(r: Resource) -> Rlimit {
    current_process().map_or(Rlimit::UNLIMITED, |p| p.rlimits.lock().get(r))
}

/// How many of `len` bytes a write at `at` to a regular file may put:
/// all below RLIMIT_FSIZE, the part below it, or none at all at or past
/// it (SIGXFSZ to the writer, `EFBIG`).
pub fn fsize_allows(at: u64, len: usize) -> Result<usize, Errno> {
    let limit = current_limit(Resource::FSIZE).cur;
    if limit == creds::rlimit::INFINITY || len == 0 {
        return Ok(len);
    }
    if at >= limit {
        signal::send_to_current(Signal::SIGXFSZ);
        return Err(Errno::EFBIG);
    }
    Ok(len.min(usize::try_from(limit - at).unwrap_or(usize::MAX)))
}

/// A truncate that grows a file from `old` to `new` bytes past RLIMIT_FSIZE:
/// SIGXFSZ and `EFBIG` (shrinking is always allowed).
pub fn check_truncate(new: u64, old: u64) -> Result<(), Errno> {
    let limit = current_limit(Resource::FSIZE).cur;
    if new > old && limit != creds::rlimit::INFINITY && new > limit {
        signal::send_to_current(Signal::SIGXFSZ);
        return Err(Errno::EFBIG);
    }
    Ok(())
}

/// Whether `mm` may grow by `grow` bytes of mappings (`data`: private
/// writable ones, or the break): RLIMIT_AS bounds all mappings, RLIMIT_DATA
/// the break and private writable mappings (`ENOMEM`).
pub fn check_vm_growth(mm: &MmInner, grow: u64, data: bool) -> Result<(), Errno> {
    let Some(p) = current_process() else { return Ok(()) };
    let (as_limit, data_limit) = {
        let l = p.rlimits.lock();
        (l.cur(Resource::AS), l.cur(Resource::DATA))
    };
    if as_limit != creds::rlimit::INFINITY && mm.space.mapped_bytes().saturating_add(grow) > as_limit {
        return Err(Errno::ENOMEM);
    }
    if data && data_limit != creds::rlimit::INFINITY && mm.space.private_writable_bytes().saturating_add(grow) > data_limit {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

/// RLIMIT_CPU for the running process, on the way back to user mode: past
/// the hard limit SIGKILL; past the soft limit SIGXCPU, then again each
/// further second.
pub fn check_cpu() {
    let Some(p) = current_process() else { return };
    let at = p.cpu_limit_at.load(Ordering::Acquire);
    if at == u64::MAX {
        return;
    }
    let used = p.cpu_ticks();
    if used < at {
        return;
    }
    let limits = *p.rlimits.lock();
    match limits.cpu_verdict(used, u64::from(crate::time::HZ)) {
        creds::CpuVerdict::Kill => {
            signal::send_to_process(&p, Signal::SIGKILL);
            p.cpu_limit_at.store(u64::MAX, Ordering::Release);
            return;
        }
        creds::CpuVerdict::Signal => signal::send_to_process(&p, Signal::SIGXCPU),
        creds::CpuVerdict::Nothing => {}
    }
    p.cpu_limit_at.store(super::cpu_limit_tick(&limits, used), Ordering::Release);
}
