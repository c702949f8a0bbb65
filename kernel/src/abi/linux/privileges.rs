//! Capabilities and resource limits: capget/capset, the capability and
//! no_new_privs prctl operations, getrlimit/setrlimit/prlimit64; and the
//! calls that need `CAP_SYS_TIME` (clock_settime, settimeofday).
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
use linux_abi::structs::{Rlimit as UserRlimit, Timespec, Timeval};
use linux_abi::UserPtr;

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
fn header(p: &Task, hdr: UserPtr<u32>) -> Result<(usize, i32), Errno> {
    let [version, pid] = <[u32; 2]>::try_from(p.space.read_array(hdr, 2)?).map_err(|_| Errno::EFAULT)?;
    match creds::data_words(version) {
        Some(words) => Ok((words, pid as i32)),
        None => {
            p.space.write(hdr, &creds::VERSION_3)?;
            Err(Errno::EINVAL)
        }
    }
}

/// capget(hdr, data): a bad version with a NULL data pointer is a probe
/// and succeeds.
pub fn capget(p: &mut Task, hdr: UserPtr<u32>, datap: UserPtr<u8>) -> SysResult {
    let (words, pid) = match header(p, hdr) {
        Err(Errno::EINVAL) if datap.is_null() => return Ok(0),
        r => r?,
    };
    if datap.is_null() {
        return Ok(0);
    }
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let data = if pid == 0 || pid as u32 == p.pid() { p.cred.cap_data() } else { target(p, pid)?.cred.lock().cap_data() };
    let mut out = [0u8; 24];
    data.encode(words, &mut out);
    p.space.copy_out(datap.array(words * 12)?, &out[..words * 12])?;
    Ok(0)
}

/// capset(hdr, data): only on oneself (`EPERM` for another pid).
pub fn capset(p: &mut Task, hdr: UserPtr<u32>, data: UserPtr<u8>) -> SysResult {
    let (words, pid) = header(p, hdr)?;
    if pid != 0 && pid as u32 != p.pid() {
        return Err(Errno::EPERM);
    }
    let mut raw = [0u8; 24];
    p.space.copy_in(data.array(words * 12)?, &mut raw[..words * 12])?;
    let new = p.cred.capset(CapData::decode(words, &raw))?;
    p.commit_cred(new);
    Ok(0)
}

/// The prctl operations about credentials, with arguments 2 to 5; `None`
/// for any other option.
pub fn prctl(p: &mut Task, option: i32, args: [u64; 4]) -> Option<SysResult> {
    use linux_abi::flags::{
        PR_CAPBSET_DROP, PR_CAPBSET_READ, PR_CAP_AMBIENT, PR_GET_KEEPCAPS, PR_GET_NO_NEW_PRIVS, PR_GET_SECUREBITS,
        PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS, PR_SET_SECUREBITS,
    };
    // Argument registers 2..5 as prctl's (unsigned long) arg2..arg5.
    let a = [0, args[0], args[1], args[2], args[3]];
    let commit = |p: &mut Task, new: Result<Cred, Errno>| -> SysResult {
        p.commit_cred(new?);
        Ok(0)
    };
    Some(match option {
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

fn from_user(r: UserRlimit) -> Rlimit {
    Rlimit::new(r.rlim_cur, r.rlim_max)
}

fn to_user(r: Rlimit) -> UserRlimit {
    UserRlimit { rlim_cur: r.cur, rlim_max: r.max }
}

/// prlimit64(pid, resource, new, old): another process needs the same ids
/// or `CAP_SYS_RESOURCE`; raising a hard limit needs `CAP_SYS_RESOURCE`.
pub fn prlimit64(p: &mut Task, pid: i32, resource: u32, new: UserPtr<UserRlimit>, old: UserPtr<UserRlimit>) -> SysResult {
    let new = if new.is_null() { None } else { Some(from_user(p.space.read(new)?)) };
    let proc = target(p, pid).map_err(|_| Errno::ESRCH)?;
    if !Arc::ptr_eq(&proc, &p.proc) {
        creds::policy::may_prlimit(&p.cred, &proc.cred.lock())?;
    }
    let resource = Resource::new(u64::from(resource))?;
    let previous = set_limit(p, &proc, resource, new)?;
    if !old.is_null() {
        p.space.write(old, &to_user(previous))?;
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
pub fn getrlimit(p: &mut Task, resource: u32, rlim: UserPtr<UserRlimit>) -> SysResult {
    let limit = p.proc.rlimits.lock().get(Resource::new(u64::from(resource))?);
    p.space.write(rlim, &to_user(limit))?;
    Ok(0)
}

/// setrlimit(resource, rlim).
pub fn setrlimit(p: &mut Task, resource: u32, rlim: UserPtr<UserRlimit>) -> SysResult {
    let resource = Resource::new(u64::from(resource))?;
    let new = from_user(p.space.read(rlim)?);
    let proc = p.proc.clone();
    set_limit(p, &proc, resource, Some(new))?;
    Ok(0)
}

/// socket(2) of a raw IPv4 or a packet socket: `EPERM` without
/// `CAP_NET_RAW`, before Linux would look at support (with it, these kinds
/// are not offered and fail as unsupported afterwards).
pub fn check_raw_socket(p: &Task, domain: u16, ty: u32) -> Result<(), Errno> {
    use linux_abi::structs::{AF_INET, AF_PACKET, SOCK_RAW};
    let raw = domain == AF_PACKET || (domain == AF_INET && ty == SOCK_RAW);
    if raw && !p.cred.capable(creds::Cap::NET_RAW) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// Sets the wall clock after Linux's checks: `EINVAL` for a time out of
/// range, then `EPERM` without `CAP_SYS_TIME`.
fn set_clock(p: &Task, ts: Option<Timespec>) -> SysResult {
    let ts = ts.map(Timespec::validate).transpose()?;
    if !p.cred.capable(creds::Cap::SYS_TIME) {
        return Err(Errno::EPERM);
    }
    if let Some(ts) = ts {
        crate::time::set_now(ts.tv_sec, ts.tv_nsec as u32);
    }
    Ok(0)
}

/// clock_settime(clock, tp): only CLOCK_REALTIME can be set (`EINVAL` for
/// the others, before the time is read).
pub fn clock_settime(p: &mut Task, clock: i32, tp: UserPtr<Timespec>) -> SysResult {
    if clock != linux_abi::flags::CLOCK_REALTIME {
        return Err(Errno::EINVAL);
    }
    let ts = p.space.read(tp)?;
    set_clock(p, Some(ts))
}

/// settimeofday(tv, tz): the time zone is read and ignored (the kernel
/// keeps none); both NULL only asks for the permission.
pub fn settimeofday(p: &mut Task, tv: UserPtr<Timeval>, tz: UserPtr<[i32; 2]>) -> SysResult {
    let ts = if tv.is_null() {
        None
    } else {
        let tv = p.space.read(tv)?;
        if !(0..1_000_000).contains(&tv.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Some(Timespec { tv_sec: tv.tv_sec, tv_nsec: tv.tv_usec * 1000 })
    };
    if !tz.is_null() {
        p.space.read(tz)?;
    }
    set_clock(p, ts)
}
