//! User and group ids: the get*/set*id family, setfsuid/setfsgid and
//! supplementary groups.
//!
//! The rules (who may set what, what a uid change does to the capability
//! sets) live in the `creds` crate; these handlers read arguments, ask it
//! for the new credentials and commit them to the calling thread.
//! May call: `task` (the calling task only).

use alloc::vec::Vec;
use errno::Errno;

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

fn put_three(p: &Task, addrs: [u64; 3], ids: [u32; 3]) -> SysResult {
    for (addr, id) in addrs.into_iter().zip(ids) {
        p.space.copy_out(addr, &id.to_le_bytes())?;
    }
    Ok(0)
}

pub fn getresuid(p: &mut Task, a: [u64; 6]) -> SysResult {
    put_three(p, [a[0], a[1], a[2]], [p.cred.ruid, p.cred.euid, p.cred.suid])
}

pub fn getresgid(p: &mut Task, a: [u64; 6]) -> SysResult {
    put_three(p, [a[0], a[1], a[2]], [p.cred.rgid, p.cred.egid, p.cred.sgid])
}

pub fn setuid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new = p.cred.setuid(a[0] as u32);
    commit(p, new)
}

pub fn setgid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new = p.cred.setgid(a[0] as u32);
    commit(p, new)
}

pub fn setreuid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new = p.cred.setreuid(a[0] as u32, a[1] as u32);
    commit(p, new)
}

pub fn setregid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new = p.cred.setregid(a[0] as u32, a[1] as u32);
    commit(p, new)
}

pub fn setresuid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new = p.cred.setresuid(a[0] as u32, a[1] as u32, a[2] as u32);
    commit(p, new)
}

pub fn setresgid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let new = p.cred.setresgid(a[0] as u32, a[1] as u32, a[2] as u32);
    commit(p, new)
}

/// setfsuid(2): returns the previous filesystem uid, changed or not.
pub fn setfsuid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let old = p.cred.fsuid;
    if let Some(new) = p.cred.setfsuid(a[0] as u32) {
        p.commit_cred(new);
    }
    Ok(old as usize)
}

/// setfsgid(2): returns the previous filesystem gid, changed or not.
pub fn setfsgid(p: &mut Task, a: [u64; 6]) -> SysResult {
    let old = p.cred.fsgid;
    if let Some(new) = p.cred.setfsgid(a[0] as u32) {
        p.commit_cred(new);
    }
    Ok(old as usize)
}

/// getgroups(2): size 0 asks for the count; a smaller list is `EINVAL`.
pub fn getgroups(p: &mut Task, a: [u64; 6]) -> SysResult {
    let size = a[0] as i32;
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
    p.space.copy_out(a[1], &bytes)?;
    Ok(n)
}

/// setgroups(2): `CAP_SETGID` only (`EPERM`), at most `NGROUPS_MAX` (`EINVAL`).
pub fn setgroups(p: &mut Task, a: [u64; 6]) -> SysResult {
    let size = usize::try_from(a[0] as i32).map_err(|_| Errno::EINVAL)?;
    if size > creds::NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    if !p.cred.capable(creds::Cap::SETGID) {
        return Err(Errno::EPERM);
    }
    let mut raw = alloc::vec![0u8; size * 4];
    p.space.copy_in(a[1], &mut raw)?;
    let groups: Vec<u32> = raw.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    let new = p.cred.setgroups(groups);
    commit(p, new)
}
