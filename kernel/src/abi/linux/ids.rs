//! User and group ids: the get*/set*id family, setfsuid/setfsgid and
//! supplementary groups.
//!
//! The rules (who may set what, what a uid change does to the capability
//! sets) live in the `creds` crate; these handlers ask it for the new
//! credentials and commit them to the calling thread.
//! May call: `task` (the calling task only).

use alloc::vec::Vec;
use errno::Errno;
use linux_abi::flags::NGROUPS_MAX;
use linux_abi::UserPtr;

use super::SysResult;
use crate::task::Task;

/// Commits `new` credentials (or the error) for the calling thread.
fn commit(p: &mut Task, new: Result<creds::Cred, Errno>) -> SysResult {
    p.commit_cred(new?);
    Ok(0)
}

pub fn getuid(p: &mut Task) -> SysResult {
    Ok(p.cred.ruid as usize)
}

pub fn geteuid(p: &mut Task) -> SysResult {
    Ok(p.cred.euid as usize)
}

pub fn getgid(p: &mut Task) -> SysResult {
    Ok(p.cred.rgid as usize)
}

pub fn getegid(p: &mut Task) -> SysResult {
    Ok(p.cred.egid as usize)
}

fn put_three(p: &Task, ptrs: [UserPtr<u32>; 3], ids: [u32; 3]) -> SysResult {
    for (ptr, id) in ptrs.into_iter().zip(ids) {
        p.space.write(ptr, &id)?;
    }
    Ok(0)
}

pub fn getresuid(p: &mut Task, r: UserPtr<u32>, e: UserPtr<u32>, s: UserPtr<u32>) -> SysResult {
    put_three(p, [r, e, s], [p.cred.ruid, p.cred.euid, p.cred.suid])
}

pub fn getresgid(p: &mut Task, r: UserPtr<u32>, e: UserPtr<u32>, s: UserPtr<u32>) -> SysResult {
    put_three(p, [r, e, s], [p.cred.rgid, p.cred.egid, p.cred.sgid])
}

pub fn setuid(p: &mut Task, id: u32) -> SysResult {
    let new = p.cred.setuid(id);
    commit(p, new)
}

pub fn setgid(p: &mut Task, id: u32) -> SysResult {
    let new = p.cred.setgid(id);
    commit(p, new)
}

pub fn setreuid(p: &mut Task, r: u32, e: u32) -> SysResult {
    let new = p.cred.setreuid(r, e);
    commit(p, new)
}

pub fn setregid(p: &mut Task, r: u32, e: u32) -> SysResult {
    let new = p.cred.setregid(r, e);
    commit(p, new)
}

pub fn setresuid(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    let new = p.cred.setresuid(r, e, s);
    commit(p, new)
}

pub fn setresgid(p: &mut Task, r: u32, e: u32, s: u32) -> SysResult {
    let new = p.cred.setresgid(r, e, s);
    commit(p, new)
}

/// setfsuid(2): returns the previous filesystem uid, changed or not.
pub fn setfsuid(p: &mut Task, id: u32) -> SysResult {
    let old = p.cred.fsuid;
    if let Some(new) = p.cred.setfsuid(id) {
        p.commit_cred(new);
    }
    Ok(old as usize)
}

/// setfsgid(2): returns the previous filesystem gid, changed or not.
pub fn setfsgid(p: &mut Task, id: u32) -> SysResult {
    let old = p.cred.fsgid;
    if let Some(new) = p.cred.setfsgid(id) {
        p.commit_cred(new);
    }
    Ok(old as usize)
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

/// setgroups(2): `CAP_SETGID` only (`EPERM`), at most `NGROUPS_MAX` (`EINVAL`).
pub fn setgroups(p: &mut Task, size: i32, list: UserPtr<u32>) -> SysResult {
    let size = usize::try_from(size).map_err(|_| Errno::EINVAL)?;
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    if !p.cred.capable(creds::Cap::SETGID) {
        return Err(Errno::EPERM);
    }
    let groups: Vec<u32> = p.space.read_array(list, size)?;
    let new = p.cred.setgroups(groups);
    commit(p, new)
}
