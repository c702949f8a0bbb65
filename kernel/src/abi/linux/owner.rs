//! A file's owner and O_ASYNC: fcntl F_SETOWN/F_GETOWN/F_SETOWN_EX/
//! F_GETOWN_EX and ioctl FIOASYNC.
//!
//! Role: the owner (a thread, process or process group, by its number in
//! the caller's PID namespace) belongs to the open file, so dup'ed
//! descriptors share it, as on Linux; FIOASYNC sets the O_ASYNC status
//! flag as F_SETFL does. Limit: no SIGIO/SIGURG is sent to the owner when
//! the file becomes ready (the setting is recorded and reported).
//! May call: `task` (files, PID namespace).

use errno::Errno;
use linux_abi::flags::OpenFlags;
use linux_abi::{IoctlArg, UserPtr};

use super::SysResult;
use crate::task::files::OpenFile;
use crate::task::Task;

pub const F_OWNER_TID: i32 = 0;
pub const F_OWNER_PID: i32 = 1;
pub const F_OWNER_PGRP: i32 = 2;
const O_ASYNC: u32 = OpenFlags::FASYNC.bits();

/// `struct f_owner_ex` and what an open file keeps: pid 0 is no owner.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Owner {
    pub kind: i32,
    pub pid: i32,
}

impl Owner {
    fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.kind.to_le_bytes());
        b[4..].copy_from_slice(&self.pid.to_le_bytes());
        b
    }
}

/// ESRCH unless `pid` names something of `kind` in the caller's namespace.
fn check_exists(p: &Task, kind: i32, pid: i32) -> Result<(), Errno> {
    let n = u32::try_from(pid).map_err(|_| Errno::ESRCH)?;
    let ns = &p.proc.ns;
    let found = ns.get(n).is_some() || (kind == F_OWNER_PGRP && !ns.group(n).is_empty());
    if found {
        Ok(())
    } else {
        Err(Errno::ESRCH)
    }
}

/// F_SETOWN: a pid, or minus a process group; 0 clears.
pub fn setown(p: &Task, file: &OpenFile, arg: i32) -> SysResult {
    let owner = match arg {
        0 => Owner::default(),
        // -INT_MIN has no positive value (Linux: EINVAL).
        i32::MIN => return Err(Errno::EINVAL),
        n if n < 0 => Owner { kind: F_OWNER_PGRP, pid: -n },
        n => Owner { kind: F_OWNER_PID, pid: n },
    };
    if owner.pid != 0 {
        check_exists(p, owner.kind, owner.pid)?;
    }
    *file.owner.lock() = owner;
    Ok(0)
}

/// F_GETOWN: the pid, or minus the process group.
pub fn getown(file: &OpenFile) -> SysResult {
    let o = *file.owner.lock();
    let v = if o.kind == F_OWNER_PGRP { -o.pid } else { o.pid };
    Ok(v as isize as usize)
}

pub fn setown_ex(p: &Task, file: &OpenFile, arg: u64) -> SysResult {
    let raw: [u8; 8] = p.space.read(UserPtr::new(arg))?;
    let kind = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let pid = i32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]);
    if !(F_OWNER_TID..=F_OWNER_PGRP).contains(&kind) {
        return Err(Errno::EINVAL);
    }
    if pid != 0 {
        check_exists(p, kind, pid)?;
    }
    *file.owner.lock() = if pid == 0 { Owner::default() } else { Owner { kind, pid } };
    Ok(0)
}

pub fn getown_ex(p: &Task, file: &OpenFile, arg: u64) -> SysResult {
    let o = *file.owner.lock();
    // No owner reads as type F_OWNER_PID with pid 0.
    let o = if o.pid == 0 { Owner { kind: F_OWNER_PID, pid: 0 } } else { o };
    p.space.write(UserPtr::<[u8; 8]>::new(arg), &o.to_bytes())?;
    Ok(0)
}

/// ioctl FIOASYNC: the int at `arg` turns O_ASYNC on or off.
pub fn fioasync(p: &Task, file: &OpenFile, arg: IoctlArg) -> SysResult {
    let on: i32 = p.space.read(arg.ptr())?;
    let mut status = file.status.lock();
    if on != 0 {
        *status |= O_ASYNC;
    } else {
        *status &= !O_ASYNC;
    }
    Ok(0)
}
