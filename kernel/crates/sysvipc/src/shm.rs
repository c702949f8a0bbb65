//! Shared memory segments: shmget's size rules, shmat's address rules and
//! the attach count that decides when a removed segment goes.

use errno::Errno;

use crate::perm::Perm;
use crate::registry::Object;

pub const SHMMIN: usize = 1;
pub const SHMMNI: usize = 4096;
/// `SHMMAX` and `SHMALL` (in bytes and pages): `ULONG_MAX - 2^24`.
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
pub const SHMALL: u64 = u64::MAX - (1 << 24);
pub const SHMSEG: usize = SHMMNI;
/// Attach addresses are multiples of this (x86_64: the page size).
pub const SHMLBA: u64 = 4096;
const PAGE: u64 = 4096;

/// shmat flags.
pub const SHM_RDONLY: i32 = 0o10000;
pub const SHM_RND: i32 = 0o20000;
pub const SHM_REMAP: i32 = 0o40000;
pub const SHM_EXEC: i32 = 0o100000;

/// `mode` bits of a segment beyond the permissions.
pub const SHM_DEST: u32 = 0o1000;
pub const SHM_LOCKED: u32 = 0o2000;

/// shmctl commands.
pub const SHM_LOCK: i32 = 11;
pub const SHM_UNLOCK: i32 = 12;
pub const SHM_STAT: i32 = 13;
pub const SHM_INFO: i32 = 14;
pub const SHM_STAT_ANY: i32 = 15;

pub struct Segment<S> {
    pub perm: Perm,
    pub size: u64,
    pub cpid: u32,
    pub lpid: u32,
    pub nattch: u64,
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
    /// The memory (the kernel's shared memory object).
    pub memory: S,
}

impl<S> Object for Segment<S> {
    fn perm(&self) -> &Perm {
        &self.perm
    }
    fn perm_mut(&mut self) -> &mut Perm {
        &mut self.perm
    }
}

/// shmget's size check for a new segment: EINVAL outside SHMMIN..=SHMMAX;
/// its size in pages.
pub fn check_new_size(size: u64) -> Result<u64, Errno> {
    if size < SHMMIN as u64 || size > SHMMAX {
        return Err(Errno::EINVAL);
    }
    Ok(size.div_ceil(PAGE))
}

/// Where shmat attaches and with which access: `addr` 0 lets the kernel
/// choose; a misaligned one is rounded down with SHM_RND, else EINVAL;
/// SHM_REMAP needs an address. Returns (address or None, writable,
/// executable, the permission bits to check).
pub fn attach_request(addr: u64, flags: i32) -> Result<(Option<u64>, bool, bool, u32), Errno> {
    let at = if addr == 0 {
        if flags & SHM_REMAP != 0 {
            return Err(Errno::EINVAL);
        }
        None
    } else if addr % SHMLBA != 0 {
        if flags & SHM_RND == 0 {
            return Err(Errno::EINVAL);
        }
        let rounded = addr & !(SHMLBA - 1);
        if rounded == 0 {
            // Linux: rounding down to 0 with SHM_REMAP is EINVAL, else "pick one".
            if flags & SHM_REMAP != 0 {
                return Err(Errno::EINVAL);
            }
            None
        } else {
            Some(rounded)
        }
    } else {
        Some(addr)
    };
    let writable = flags & SHM_RDONLY == 0;
    let exec = flags & SHM_EXEC != 0;
    let mut need = 0o444;
    if writable {
        need |= 0o222;
    }
    if exec {
        need |= 0o111;
    }
    Ok((at, writable, exec, need))
}

impl<S> Segment<S> {
    pub fn new(perm: Perm, size: u64, cpid: u32, now: i64, memory: S) -> Segment<S> {
        Segment { perm, size, cpid, lpid: 0, nattch: 0, atime: 0, dtime: 0, ctime: now, memory }
    }

    /// shmget of an existing segment asks for at most its size (EINVAL).
    pub fn check_size(&self, size: u64) -> Result<(), Errno> {
        if self.size < size {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    pub fn attached(&mut self, pid: u32, now: i64) {
        self.nattch += 1;
        self.lpid = pid;
        self.atime = now;
    }

    /// A detach; true if the segment should now be destroyed (marked
    /// for removal and no longer attached).
    pub fn detached(&mut self, pid: u32, now: i64) -> bool {
        self.nattch = self.nattch.saturating_sub(1);
        self.lpid = pid;
        self.dtime = now;
        self.marked() && self.nattch == 0
    }

    pub fn marked(&self) -> bool {
        self.perm.mode & SHM_DEST != 0
    }

    /// IPC_RMID: marks it; true if it can go at once (not attached).
    pub fn mark_removed(&mut self) -> bool {
        self.perm.mode |= SHM_DEST;
        self.nattch == 0
    }

    pub fn pages(&self) -> u64 {
        self.size.div_ceil(PAGE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn sizes_and_addresses() {
        assert_eq!(check_new_size(0), Err(Errno::EINVAL));
        assert_eq!(check_new_size(1), Ok(1));
        assert_eq!(check_new_size(4097), Ok(2));
        assert_eq!(check_new_size(u64::MAX), Err(Errno::EINVAL));
        assert_eq!(attach_request(0, 0), Ok((None, true, false, 0o666)));
        assert_eq!(attach_request(0, SHM_REMAP), Err(Errno::EINVAL));
        assert_eq!(attach_request(0x1001, 0), Err(Errno::EINVAL));
        assert_eq!(attach_request(0x1001, SHM_RND | SHM_RDONLY), Ok((Some(0x1000), false, false, 0o444)));
        assert_eq!(attach_request(0x10, SHM_RND), Ok((None, true, false, 0o666)));
        assert_eq!(attach_request(0x2000, SHM_EXEC), Ok((Some(0x2000), true, true, 0o777)));
    }

    #[test]
    fn attach_counts() {
        let mut s = Segment::new(Perm::new(0, &creds::Cred::new(0, 0, Vec::new()), 0o600, 0), 10, 1, 1, ());
        s.attached(2, 3);
        s.attached(3, 4);
        assert_eq!((s.nattch, s.lpid, s.atime), (2, 3, 4));
        assert!(!s.mark_removed());
        assert!(!s.detached(2, 5));
        assert!(s.detached(2, 6));
        assert_eq!(s.check_size(11), Err(Errno::EINVAL));
        assert!(s.check_size(0).is_ok());
    }
}
