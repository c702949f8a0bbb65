//! Capabilities and resource limits: capget/capset, the capability and
//! no_new_privs prctl operations, getrlimit/setrlimit/prlimit64.
//!
//! The rules live in the `creds` crate; these handlers decode arguments,
//! find the target process and commit the result. Limits are per process
//! (`Process::rlimits`); credentials per thread (`Task::cred`), with the
//! main thread's copy in `Process::cred` for calls about another process.
//! May call: `task`.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use creds::{CapData, Cred, Resource, Rlimit};
use errno::Errno;

use super::SysResult;
use crate::task::{Process, Task};

/// The process `pid` names for capget/prlimit (0: the caller), in the
/// caller's PID namespace.
fn target(p: &Task, pid: i32) -> Result<Arc<Process>, Errno> {
    match pid {
        0 => Ok(p.proc.clone()),
        n if n > 0 => p.proc.ns.get(n as u32).filter(|t| t.vpid == n as u32).ok_or(Errno::ESRCH),
        _ => Err(Errno::EINVAL),
    }
}

/// Reads a `cap_user_header_t` {version, pid}: the number of data words
/// its version takes, or `EINVAL` after writing the preferred version
/// back (how libcap probes).
fn header(p: &Task, addr: u64) -> Result<(usize, i32), Errno> {
    let mut raw = [0u8; 8];
    p.space.copy_in(addr, &mut raw)?;
    let version = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let pid = i32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
    match creds::data_words(version) {
        Some(words) => Ok((words, pid)),
        None => {
            p.space.copy_out(addr, &creds::VERSION_3.to_le_bytes())?;
            Err(Errno::EINVAL)
        }
    }
}

/// capget(hdr, data): a bad version with a NULL data pointer is a probe
/// and succeeds.
pub fn capget(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (words, pid) = match header(p, a[0]) {
        Err(Errno::EINVAL) if a[1] == 0 => return Ok(0),
        r => r?,
    };
    if a[1] == 0 {
        return Ok(0);
    }
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let data = if pid == 0 || pid as u32 == p.pid() { p.cred.cap_data() } else { target(p, pid)?.cred.lock().cap_data() };
    let mut out = [0u8; 24];
    data.encode(words, &mut out);
    p.space.copy_out(a[1], &out[..words * 12])?;
    Ok(0)
}

/// capset(hdr, data): only on oneself (`EPERM` for another pid).
pub fn capset(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (words, pid) = header(p, a[0])?;
    if pid != 0 && pid as u32 != p.pid() {
        return Err(Errno::EPERM);
    }
    let mut raw = [0u8; 24];
    p.space.copy_in(a[1], &mut raw[..words * 12])?;
    let new = p.cred.capset(CapData::decode(words, &raw))?;
    p.commit_cred(new);
    Ok(0)
}

/// The prctl operations about credentials; `None` for any other option.
pub fn prctl(p: &mut Task, a: [u64; 6]) -> Option<SysResult> {
    const PR_GET_KEEPCAPS: u64 = 7;
    const PR_SET_KEEPCAPS: u64 = 8;
    const PR_CAPBSET_READ: u64 = 23;
    const PR_CAPBSET_DROP: u64 = 24;
    const PR_GET_SECUREBITS: u64 = 27;
    const PR_SET_SECUREBITS: u64 = 28;
    const PR_SET_NO_NEW_PRIVS: u64 = 38;
    const PR_GET_NO_NEW_PRIVS: u64 = 39;
    const PR_CAP_AMBIENT: u64 = 47;
    let commit = |p: &mut Task, new: Result<Cred, Errno>| -> SysResult {
        p.commit_cred(new?);
        Ok(0)
    };
    Some(match a[0] {
        PR_GET_KEEPCAPS => Ok(usize::from(p.cred.has_securebit(creds::SECURE_KEEP_CAPS))),
        PR_SET_KEEPCAPS => {
            let new = p.cred.set_keepcaps(a[1]);
            commit(p, new)
        }
        PR_CAPBSET_READ => p.cred.capbset_read(a[1]).map(usize::from),
        PR_CAPBSET_DROP => {
            let new = p.cred.capbset_drop(a[1]);
            commit(p, new)
        }
        PR_GET_SECUREBITS => Ok(p.cred.securebits as usize),
        PR_SET_SECUREBITS => {
            let new = p.cred.set_securebits(a[1]);
            commit(p, new)
        }
        PR_SET_NO_NEW_PRIVS => {
            let new = p.cred.set_no_new_privs([a[1], a[2], a[3], a[4]]);
            commit(p, new)
        }
        PR_GET_NO_NEW_PRIVS => {
            if a[1] | a[2] | a[3] | a[4] != 0 {
                Err(Errno::EINVAL)
            } else {
                Ok(usize::from(p.cred.no_new_privs))
            }
        }
        PR_CAP_AMBIENT => match p.cred.cap_ambient(a[1], a[2], a[3], a[4]) {
            Ok((value, Some(new))) => {
                p.commit_cred(new);
                Ok(value)
            }
            Ok((value, None)) => Ok(value),
            Err(e) => Err(e),
        },
        _ => return None,
    })
}

/// prlimit64(pid, resource, new, old): another process needs the same ids
/// or `CAP_SYS_RESOURCE`; raising a hard limit needs `CAP_SYS_RESOURCE`.
pub fn prlimit64(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new = if a[2] != 0 {
        let mut raw = [0u8; 16];
        p.space.copy_in(a[2], &mut raw)?;
        Some(Rlimit::from_bytes(&raw))
    } else {
        None
    };
    let proc = target(p, a[0] as i32).map_err(|_| Errno::ESRCH)?;
    if !Arc::ptr_eq(&proc, &p.proc) {
        creds::policy::may_prlimit(&p.cred, &proc.cred.lock())?;
    }
    let resource = Resource::new(a[1] as u32 as u64)?;
    let old = set_limit(p, &proc, resource, new)?;
    if a[3] != 0 {
        p.space.copy_out(a[3], &old.to_bytes())?;
    }
    Ok(0)
}

/// Reads and optionally sets one limit of `proc`; returns the old value.
fn set_limit(p: &Task, proc: &Process, resource: Resource, new: Option<Rlimit>) -> Result<Rlimit, Errno> {
    let mut limits = proc.rlimits.lock();
    let Some(new) = new else { return Ok(limits.get(resource)) };
    let old = limits.set(resource, new, p.cred.capable(creds::Cap::SYS_RESOURCE))?;
    if resource == Resource::CPU {
        let at = crate::task::cpu_limit_tick(&limits, proc.cpu_ticks());
        proc.cpu_limit_at.store(at, Ordering::Release);
    }
    Ok(old)
}

/// getrlimit(resource, rlim).
pub fn getrlimit(p: &mut Task, a: [u64; 6]) -> SysResult {
    let limit = p.proc.rlimits.lock().get(Resource::new(a[0] as u32 as u64)?);
    p.space.copy_out(a[1], &limit.to_bytes())?;
    Ok(0)
}

/// setrlimit(resource, rlim).
pub fn setrlimit(p: &mut Task, a: [u64; 6]) -> SysResult {
    let resource = Resource::new(a[0] as u32 as u64)?;
    let mut raw = [0u8; 16];
    p.space.copy_in(a[1], &mut raw)?;
    let proc = p.proc.clone();
    set_limit(p, &proc, resource, Some(Rlimit::from_bytes(&raw)))?;
    Ok(0)
}

/// socket(2) of a raw IPv4 or a packet socket: `EPERM` without
/// `CAP_NET_RAW`, before Linux would look at support (with it, these kinds
/// are not offered and fail as unsupported afterwards).
pub fn check_raw_socket(p: &Task, domain: u16, ty: u32) -> Result<(), Errno> {
    const AF_INET: u16 = 2;
    const AF_PACKET: u16 = 17;
    const SOCK_RAW: u32 = 3;
    let raw = domain == AF_PACKET || (domain == AF_INET && ty == SOCK_RAW);
    if raw && !p.cred.capable(creds::Cap::NET_RAW) {
        return Err(Errno::EPERM);
    }
    Ok(())
}
