//! Attribute changes: the chmod, chown and utime families and truncate.
//! Permission rules (owner/root, set-ID clearing, read-only mounts) are the
//! VFS's (`Location::set_mode`, `set_owner`, `set_times`); this module
//! decodes arguments and finds the file.
//! May call: `vfs` through the task's namespace, `fs.rs` path helpers.

use errno::Errno;
use linux_abi::structs;
use vfs::{Location, SetTime, Timespec};

use super::fs::{at_location, fd_location, user_path, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
use super::{SysResult, AT_FDCWD};
use crate::task::Task;

/// `-1` as a uid/gid: leave it unchanged.
const KEEP: u32 = u32::MAX;

fn id(raw: u64) -> Option<u32> {
    Some(raw as u32).filter(|&i| i != KEEP)
}

// ---- chmod ----

fn fchmodat_flags(p: &mut Task, dirfd: u64, path_addr: u64, mode: u64, flags: u64) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path_addr)?;
    let loc = at_location(p, dirfd, &path, flags)?;
    if flags & AT_SYMLINK_NOFOLLOW != 0 && loc.kind()? == vfs::FileKind::Symlink {
        return Err(Errno::EOPNOTSUPP); // Linux cannot chmod a symlink either
    }
    loc.set_mode(&p.cred, mode as u32)?;
    Ok(0)
}

pub fn chmod(p: &mut Task, a: [u64; 6]) -> SysResult {
    fchmodat_flags(p, AT_FDCWD, a[0], a[1], 0)
}

/// fchmodat(268): three arguments, no flags.
pub fn fchmodat(p: &mut Task, a: [u64; 6]) -> SysResult {
    fchmodat_flags(p, a[0], a[1], a[2], 0)
}

pub fn fchmodat2(p: &mut Task, a: [u64; 6]) -> SysResult {
    fchmodat_flags(p, a[0], a[1], a[2], a[3])
}

pub fn fchmod(p: &mut Task, a: [u64; 6]) -> SysResult {
    fd_location(p, a[0])?.set_mode(&p.cred, a[1] as u32)?;
    Ok(0)
}

// ---- chown ----

pub fn fchownat(p: &mut Task, dirfd: u64, path_addr: u64, uid: u64, gid: u64, flags: u64) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(p, path_addr)?;
    let loc = at_location(p, dirfd, &path, flags)?;
    loc.set_owner(&p.cred, id(uid), id(gid))?;
    Ok(0)
}

pub fn chown(p: &mut Task, a: [u64; 6]) -> SysResult {
    fchownat(p, AT_FDCWD, a[0], a[1], a[2], 0)
}

pub fn lchown(p: &mut Task, a: [u64; 6]) -> SysResult {
    fchownat(p, AT_FDCWD, a[0], a[1], a[2], AT_SYMLINK_NOFOLLOW)
}

pub fn fchown(p: &mut Task, a: [u64; 6]) -> SysResult {
    fd_location(p, a[0])?.set_owner(&p.cred, id(a[1]), id(a[2]))?;
    Ok(0)
}

// ---- truncate ----

pub fn truncate(p: &mut Task, a: [u64; 6]) -> SysResult {
    let path = user_path(p, a[0])?;
    let len = u64::try_from(a[1] as i64).map_err(|_| Errno::EINVAL)?;
    if let Ok(st) = p.vfs.stat(&p.cred, &p.cwd, &path) {
        crate::task::rlimits::check_truncate(len, st.meta.size)?;
    }
    p.vfs.truncate(&p.cred, &p.cwd, &path, len)?;
    if crate::mm::filemap::any_live() {
        if let Ok(loc) = p.vfs.resolve_as(&p.cred, &p.cwd, &path, true) {
            crate::mm::filemap::truncated(loc.inode(), len);
        }
    }
    Ok(0)
}

// ---- utime family ----

/// One `utimensat` timespec: `UTIME_NOW`, `UTIME_OMIT` (None) or a time
/// whose nanoseconds must be below 1e9 (`EINVAL`).
fn set_time(ts: structs::Timespec) -> Result<Option<SetTime>, Errno> {
    match ts.tv_nsec {
        structs::UTIME_NOW => Ok(Some(SetTime::Now)),
        structs::UTIME_OMIT => Ok(None),
        n if (0..structs::NSEC_PER_SEC).contains(&n) => Ok(Some(SetTime::At(Timespec::new(ts.tv_sec, n as u32)))),
        _ => Err(Errno::EINVAL),
    }
}

/// Applies the times to what `dirfd`/`path` names (`path` None: the
/// descriptor `dirfd` itself, as futimens).
fn apply_times(p: &mut Task, dirfd: u64, path: Option<&str>, times: [Option<SetTime>; 2], flags: u64) -> SysResult {
    let loc: Location = match path {
        None => {
            if flags != 0 {
                return Err(Errno::EINVAL);
            }
            fd_location(p, dirfd)?
        }
        Some(path) => {
            if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
                return Err(Errno::EINVAL);
            }
            at_location(p, dirfd, path, flags)?
        }
    };
    loc.set_times(&p.cred, times[0], times[1])?;
    Ok(0)
}

/// A path argument that may be NULL only when a real descriptor is given
/// (`utimensat(fd, NULL, ...)` is futimens; with `AT_FDCWD` it is `EFAULT`).
fn optional_path(p: &Task, dirfd: u64, addr: u64) -> Result<Option<alloc::string::String>, Errno> {
    match addr {
        0 if dirfd as i32 as i64 != AT_FDCWD as i32 as i64 => Ok(None),
        0 => Err(Errno::EFAULT),
        _ => user_path(p, addr).map(Some),
    }
}

/// utimensat(dirfd, path, times[2], flags); NULL `times` is "both now".
pub fn utimensat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let times = if a[2] == 0 {
        [Some(SetTime::Now); 2]
    } else {
        let mut raw = [0u8; 32];
        p.space.copy_in(a[2], &mut raw)?;
        let at = structs::Timespec::from_bytes(&raw[..16])?;
        let mt = structs::Timespec::from_bytes(&raw[16..])?;
        if at.tv_nsec == structs::UTIME_OMIT && mt.tv_nsec == structs::UTIME_OMIT {
            return Ok(0); // nothing to do: Linux does not even look at the path
        }
        [set_time(at)?, set_time(mt)?]
    };
    let path = optional_path(p, a[0], a[1])?;
    apply_times(p, a[0], path.as_deref(), times, a[3])
}

/// `struct timeval[2]` of utimes/futimesat (`tv_usec` below 1e6, else `EINVAL`).
fn timevals(p: &Task, addr: u64) -> Result<[Option<SetTime>; 2], Errno> {
    if addr == 0 {
        return Ok([Some(SetTime::Now); 2]);
    }
    let mut raw = [0u8; 32];
    p.space.copy_in(addr, &mut raw)?;
    let mut out = [None; 2];
    for (slot, bytes) in out.iter_mut().zip(raw.chunks_exact(16)) {
        let tv = structs::Timeval::from_bytes(bytes)?;
        if !(0..1_000_000).contains(&tv.tv_usec) {
            return Err(Errno::EINVAL);
        }
        *slot = Some(SetTime::At(Timespec::new(tv.tv_sec, (tv.tv_usec * 1000) as u32)));
    }
    Ok(out)
}

pub fn utimes(p: &mut Task, a: [u64; 6]) -> SysResult {
    let times = timevals(p, a[1])?;
    let path = user_path(p, a[0])?;
    apply_times(p, AT_FDCWD, Some(&path), times, 0)
}

pub fn futimesat(p: &mut Task, a: [u64; 6]) -> SysResult {
    let times = timevals(p, a[2])?;
    let path = optional_path(p, a[0], a[1])?;
    apply_times(p, a[0], path.as_deref(), times, 0)
}

/// utime(path, struct utimbuf { actime, modtime }), whole seconds.
pub fn utime(p: &mut Task, a: [u64; 6]) -> SysResult {
    let times = if a[1] == 0 {
        [Some(SetTime::Now); 2]
    } else {
        let mut raw = [0u8; 16];
        p.space.copy_in(a[1], &mut raw)?;
        let [a0, a1, a2, a3, a4, a5, a6, a7, m0, m1, m2, m3, m4, m5, m6, m7] = raw;
        let at = i64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]);
        let mt = i64::from_le_bytes([m0, m1, m2, m3, m4, m5, m6, m7]);
        [Some(SetTime::At(Timespec::new(at, 0))), Some(SetTime::At(Timespec::new(mt, 0)))]
    };
    let path = user_path(p, a[0])?;
    apply_times(p, AT_FDCWD, Some(&path), times, 0)
}
