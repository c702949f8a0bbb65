//! User and group ids: the get*/set*id family and supplementary groups.
//!
//! The ids live in the task's `vfs::Cred`: `uid`/`gid` are the effective
//! (and filesystem) ids, `ruid`/`suid`/`rgid`/`sgid` the real and saved
//! ones. An effective uid of 0 stands for `CAP_SETUID`/`CAP_SETGID`: root
//! may set anything, others only what Linux lets an unprivileged process
//! set (one of its current real, effective or saved ids), else `EPERM`.
//! May call: `task` (the calling task only).

use alloc::vec::Vec;
use errno::Errno;
use linux_abi::flags::NGROUPS_MAX;
use linux_abi::UserPtr;

use super::SysResult;
use crate::task::Task;
/// `-1` as an id argument: leave that id unchanged.
const KEEP: u32 = u32::MAX;

pub fn getuid(p: &mut Task) -> SysResult {
    Ok(p.cred.ruid as usize)
}

pub fn geteuid(p: &mut Task) -> SysResult {
    Ok(p.cred.uid as usize)
}

pub fn getgid(p: &mut Task) -> SysResult {
    Ok(p.cred.rgid as usize)
}

pub fn getegid(p: &mut Task) -> SysResult {
    Ok(p.cred.gid as usize)
}

fn put_three(p: &Task, ptrs: [UserPtr<u32>; 3], ids: [u32; 3]) -> SysResult {
    for (ptr, id) in ptrs.into_iter().zip(ids) {
        p.space.write(ptr, &id)?;
    }
    Ok(0)
}

pub fn getresuid(p: &mut Task, r: UserPtr<u32>, e: UserPtr<u32>, s: UserPtr<u32>) -> SysResult {
    put_three(p, [r, e, s], [p.cred.ruid, p.cred.uid, p.cred.suid])
}

pub fn getresgid(p: &mut Task, r: UserPtr<u32>, e: UserPtr<u32>, s: UserPtr<u32>) -> SysResult {
    put_three(p, [r, e, s], [p.cred.rgid, p.cred.gid, p.cred.sgid])
}

/// Real, effective and saved ids of one kind, as setres*id sees them.
#[derive(Clone, Copy)]
struct Triple {
    real: u32,
    effective: u32,
    saved: u32,
}

impl Triple {
    fn holds(&self, id: u32) -> bool {
        id == self.real || id == self.effective || id == self.saved
    }

    /// setresuid(2): each id that is not `KEEP` must be one we hold, unless privileged.
    fn set_res(self, privileged: bool, r: u32, e: u32, s: u32) -> Result<Triple, Errno> {
        if !privileged && [r, e, s].iter().any(|&id| id != KEEP && !self.holds(id)) {
            return Err(Errno::EPERM);
        }
        let pick = |new: u32, old: u32| if new == KEEP { old } else { new };
        Ok(Triple { real: pick(r, self.real), effective: pick(e, self.effective), saved: pick(s, self.saved) })
    }

    /// setreuid(2): the real id may become the effective one; the effective
    /// one any we hold. Setting the real id, or an effective id other than
    /// the old real one, makes the saved id the new effective id.
    fn set_re(self, privileged: bool, r: u32, e: u32) -> Result<Triple, Errno> {
        if !privileged {
            let r_ok = r == KEEP || r == self.real || r == self.effective;
            let e_ok = e == KEEP || self.holds(e);
            if !r_ok || !e_ok {
                return Err(Errno::EPERM);
            }
        }
        let mut next = self;
        if r != KEEP {
            next.real = r;
        }
        if e != KEEP {
            next.effective = e;
        }
        if r != KEEP || (e != KEEP && e != self.real) {
            next.saved = next.effective;
        }
        Ok(next)
    }

    /// setuid(2): privileged sets all three; otherwise only the effective
    /// id, to the real or saved one.
    fn set_one(self, privileged: bool, id: u32) -> Result<Triple, Errno> {
        if id == KEEP {
            return Err(Errno::EINVAL);
        }
        if privileged {
            Ok(Triple { real: id, effective: id, saved: id })
        } else if id == self.real || id == self.saved {
            Ok(Triple { effective: id, ..self })
        } else {
            Err(Errno::EPERM)
        }
    }
}

fn uids(p: &Task) -> Triple {
    Triple { real: p.cred.ruid, effective: p.cred.uid, saved: p.cred.suid }
}

fn gids(p: &Task) -> Triple {
    Triple { real: p.cred.rgid, effective: p.cred.gid, saved: p.cred.sgid }
}

fn store_uids(p: &mut Task, t: Triple) -> SysResult {
    (p.cred.ruid, p.cred.uid, p.cred.suid) = (t.real, t.effective, t.saved);
    Ok(0)
}

fn store_gids(p: &mut Task, t: Triple) -> SysResult {
    (p.cred.rgid, p.cred.gid, p.cred.sgid) = (t.real, t.effective, t.saved);
    Ok(0)
}

pub fn setuid(p: &mut Task, id: u32) -> SysResult {
    let t = uids(p).set_one(p.cred.is_root(), id)?;
    store_uids(p, t)
}

pub fn setgid(p: &mut Task, id: u32) -> SysResult {
    let t = gids(p).set_one(p.cred.is_root(), id)?;
    store_gids(p, t)
}

pub fn setreuid(p: &mut Task, r: u32, e: u32) -> SysResult {
    let t = uids(p).set_re(p.cred.is_root(), r, e)?;
    store_uids(p, t)
}

pub fn setregid(p: &mut Task, r: u32, e: u32) -> SysResult {
    let t = gids(p).set_re(p.cred.is_root(), r, e)?;
    store_gids(p, t)
}

pub fn setresuid(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    let t = uids(p).set_res(p.cred.is_root(), r, e, s)?;
    store_uids(p, t)
}

pub fn setresgid(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    let t = gids(p).set_res(p.cred.is_root(), r, e, s)?;
    store_gids(p, t)
}

/// getgroups(2): size 0 asks for the count; a smaller list is `EINVAL`.
pub fn getgroups(p: &mut Task, size: i32, list: UserPtr<u32>) -> SysResult {
    let n = p.cred.groups.len();
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    if size == 0 {
        return Ok(n);
    }
    if (size as usize) < n {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = p.cred.groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    p.space.copy_out(list.array(n)?, &bytes)?;
    Ok(n)
}

/// setgroups(2): root only (`EPERM`), at most `NGROUPS_MAX` (`EINVAL`).
pub fn setgroups(p: &mut Task, size: i32, list: UserPtr<u32>) -> SysResult {
    let size = usize::try_from(size).map_err(|_| Errno::EINVAL)?;
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    if !p.cred.is_root() {
        return Err(Errno::EPERM);
    }
    let mut groups: Vec<u32> = p.space.read_array(list, size)?;
    groups.sort_unstable(); // Linux keeps them sorted (groups_sort)
    p.cred.groups = groups;
    Ok(0)
}
