//! Attribute changes: the chmod, chown and utime families and truncate.
//! Permission rules (owner/root, set-ID clearing, read-only mounts) are the
//! VFS's (`Location::set_mode`, `set_owner`, `set_times`); this module
//! decodes arguments and finds the file.
//! May call: `vfs` through the task's namespace, `fs.rs` path helpers.

use errno::Errno;
use linux_abi::flags::AtFlags;
use linux_abi::structs;
use linux_abi::{DirFd, Fd, FlagArg, UserCStr, UserPtr};
use vfs::{Location, SetTime, Timespec};

use super::fs::{at_location, fd_location, user_path};
use super::SysResult;
use crate::task::Task;

/// `-1` as a uid/gid: leave it unchanged.
const KEEP: u32 = u32::MAX;

fn id(raw: u32) -> Option<u32> {
    Some(raw).filter(|&i| i != KEEP)
}

/// The flags fchmodat2, fchownat and utimensat accept.
const PATH_FLAGS: AtFlags = AtFlags::FCHOWNAT_VALID;

// ---- chmod ----

fn fchmodat_flags(p: &mut Task, dirfd: DirFd, path: UserCStr, mode: u32, flags: FlagArg<AtFlags>) -> SysResult {
    let flags = flags.within(PATH_FLAGS)?;
    let path = user_path(p, path)?;
    let loc = at_location(p, dirfd, &path, flags)?;
    if flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW) && loc.kind()? == vfs::FileKind::Symlink {
        return Err(Errno::EOPNOTSUPP); // Linux cannot chmod a symlink either
    }
    loc.set_mode(&p.cred, mode)?;
    Ok(0)
}

pub fn chmod(p: &mut Task, path: UserCStr, mode: u32) -> SysResult {
    fchmodat_flags(p, DirFd::Cwd, path, mode, FlagArg::new(AtFlags::empty()))
}

/// fchmodat(268): three arguments, no flags.
pub fn fchmodat(p: &mut Task, dirfd: DirFd, path: UserCStr, mode: u32) -> SysResult {
    fchmodat_flags(p, dirfd, path, mode, FlagArg::new(AtFlags::empty()))
}

pub fn fchmodat2(p: &mut Task, dirfd: DirFd, path: UserCStr, mode: u32, flags: FlagArg<AtFlags>) -> SysResult {
    fchmodat_flags(p, dirfd, path, mode, flags)
}

pub fn fchmod(p: &mut Task, fd: Fd, mode: u32) -> SysResult {
    fd_location(p, fd)?.set_mode(&p.cred, mode)?;
    Ok(0)
}

// ---- chown ----

pub fn fchownat(p: &mut Task, dirfd: DirFd, path: UserCStr, uid: u32, gid: u32, flags: FlagArg<AtFlags>) -> SysResult {
    let flags = flags.within(PATH_FLAGS)?;
    let path = user_path(p, path)?;
    let loc = at_location(p, dirfd, &path, flags)?;
    loc.set_owner(&p.cred, id(uid), id(gid))?;
    Ok(0)
}

pub fn chown(p: &mut Task, path: UserCStr, uid: u32, gid: u32) -> SysResult {
    fchownat(p, DirFd::Cwd, path, uid, gid, FlagArg::new(AtFlags::empty()))
}

pub fn lchown(p: &mut Task, path: UserCStr, uid: u32, gid: u32) -> SysResult {
    fchownat(p, DirFd::Cwd, path, uid, gid, FlagArg::new(AtFlags::AT_SYMLINK_NOFOLLOW))
}

pub fn fchown(p: &mut Task, fd: Fd, uid: u32, gid: u32) -> SysResult {
    fd_location(p, fd)?.set_owner(&p.cred, id(uid), id(gid))?;
    Ok(0)
}

// ---- truncate ----

pub fn truncate(p: &mut Task, path: UserCStr, length: i64) -> SysResult {
    let path = user_path(p, path)?;
    let len = u64::try_from(length).map_err(|_| Errno::EINVAL)?;
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
fn apply_times(p: &mut Task, dirfd: DirFd, path: Option<&str>, times: [Option<SetTime>; 2], flags: AtFlags) -> SysResult {
    let loc: Location = match (path, dirfd) {
        (None, DirFd::Fd(fd)) => {
            if !flags.is_empty() {
                return Err(Errno::EINVAL);
            }
            fd_location(p, Fd(fd))?
        }
        (None, DirFd::Cwd) => return Err(Errno::EFAULT),
        (Some(path), _) => {
            if flags.difference(PATH_FLAGS).bits() != 0 {
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
fn optional_path(p: &Task, dirfd: DirFd, path: UserCStr) -> Result<Option<alloc::string::String>, Errno> {
    match (path.is_null(), dirfd) {
        (true, DirFd::Fd(_)) => Ok(None),
        (true, DirFd::Cwd) => Err(Errno::EFAULT),
        (false, _) => user_path(p, path).map(Some),
    }
}

/// utimensat(dirfd, path, times[2], flags); NULL `times` is "both now".
pub fn utimensat(p: &mut Task, dirfd: DirFd, path: UserCStr, times: UserPtr<[structs::Timespec; 2]>, flags: FlagArg<AtFlags>) -> SysResult {
    let times = if times.is_null() {
        [Some(SetTime::Now); 2]
    } else {
        let [at, mt] = p.space.read(times)?;
        if at.tv_nsec == structs::UTIME_OMIT && mt.tv_nsec == structs::UTIME_OMIT {
            return Ok(0); // nothing to do: Linux does not even look at the path
        }
        [set_time(at)?, set_time(mt)?]
    };
    let path = optional_path(p, dirfd, path)?;
    apply_times(p, dirfd, path.as_deref(), times, flags.raw())
}

/// `struct timeval[2]` of utimes/futimesat (`tv_usec` below 1e6, else `EINVAL`).
fn timevals(p: &Task, tv: UserPtr<[structs::Timeval; 2]>) -> Result<[Option<SetTime>; 2], Errno> {
    if tv.is_null() {
        return Ok([Some(SetTime::Now); 2]);
    }
    let mut out = [None; 2];
    for (slot, tv) in out.iter_mut().zip(p.space.read(tv)?) {
        if !(0..1_000_000).contains(&tv.tv_usec) {
            return Err(Errno::EINVAL);
        }
        *slot = Some(SetTime::At(Timespec::new(tv.tv_sec, (tv.tv_usec * 1000) as u32)));
    }
    Ok(out)
}

pub fn utimes(p: &mut Task, path: UserCStr, times: UserPtr<[structs::Timeval; 2]>) -> SysResult {
    let times = timevals(p, times)?;
    let path = user_path(p, path)?;
    apply_times(p, DirFd::Cwd, Some(&path), times, AtFlags::empty())
}

pub fn futimesat(p: &mut Task, dirfd: DirFd, path: UserCStr, times: UserPtr<[structs::Timeval; 2]>) -> SysResult {
    let times = timevals(p, times)?;
    let path = optional_path(p, dirfd, path)?;
    apply_times(p, dirfd, path.as_deref(), times, AtFlags::empty())
}

/// utime(path, struct utimbuf { actime, modtime }), whole seconds.
pub fn utime(p: &mut Task, path: UserCStr, times: UserPtr<[i64; 2]>) -> SysResult {
    let times = if times.is_null() {
        [Some(SetTime::Now); 2]
    } else {
        let [at, mt] = p.space.read(times)?;
        [Some(SetTime::At(Timespec::new(at, 0))), Some(SetTime::At(Timespec::new(mt, 0)))]
    };
    let path = user_path(p, path)?;
    apply_times(p, DirFd::Cwd, Some(&path), times, AtFlags::empty())
}
