//! `struct kern_ipc_perm` and Linux's permission rules for IPC objects.

use creds::{Cap, Cred};
use errno::Errno;

/// An object's key, owner, creator, mode and sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// The low 9 permission bits, plus the kind's own flags above them.
    pub mode: u32,
    pub seq: u32,
}

/// `struct ipc64_perm` as user space sees it (IPC_STAT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct IpcPerm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u16,
}

impl Perm {
    /// A new object's: owner and creator are the caller's effective ids.
    pub fn new(key: i32, cred: &Cred, mode: u32, seq: u32) -> Perm {
        Perm { key, uid: cred.euid, gid: cred.egid, cuid: cred.euid, cgid: cred.egid, mode: mode & 0o777, seq }
    }

    /// `ipcperms`: EACCES unless the caller may `flag` (read 0o4, write 0o2,
    /// in any of the three positions) the object, or has CAP_IPC_OWNER.
    pub fn check(&self, cred: &Cred, flag: u32) -> Result<(), Errno> {
        let requested = (flag >> 6 | flag >> 3 | flag) & 0o7;
        let mut granted = self.mode;
        if cred.euid == self.cuid || cred.euid == self.uid {
            granted >>= 6;
        } else if cred.in_group(self.cgid) || cred.in_group(self.gid) {
            granted >>= 3;
        }
        if requested & !granted & 0o7 != 0 && !cred.capable(Cap::IPC_OWNER) {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    /// IPC_SET and IPC_RMID: the caller is the owner or creator, or has
    /// CAP_SYS_ADMIN (EPERM).
    pub fn check_owner(&self, cred: &Cred) -> Result<(), Errno> {
        if cred.euid == self.cuid || cred.euid == self.uid || cred.capable(Cap::SYS_ADMIN) {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }

    /// IPC_SET: the new owner and permission bits (`ipc_update_perm`).
    pub fn set(&mut self, uid: u32, gid: u32, mode: u32) {
        self.uid = uid;
        self.gid = gid;
        self.mode = (self.mode & !0o777) | (mode & 0o777);
    }

    /// What IPC_STAT reports (`mode` with the kind's extra flags).
    pub fn to_user(&self) -> IpcPerm {
        IpcPerm { key: self.key, uid: self.uid, gid: self.gid, cuid: self.cuid, cgid: self.cgid, mode: self.mode, seq: self.seq as u16 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    #[test]
    fn permissions() {
        let owner = Cred::new(1000, 100, Vec::new());
        let p = Perm::new(5, &owner, 0o640, 0);
        assert!(p.check(&owner, 0o600).is_ok());
        assert_eq!(p.check(&owner, 0o100), Err(Errno::EACCES));
        let group = Cred::new(1001, 100, Vec::new());
        assert!(p.check(&group, 0o444).is_ok());
        assert_eq!(p.check(&group, 0o222), Err(Errno::EACCES));
        let other = Cred::new(1002, 200, vec![7]);
        assert_eq!(p.check(&other, 0o444), Err(Errno::EACCES));
        assert!(p.check(&other, 0).is_ok());
        assert!(p.check(&Cred::new(0, 0, Vec::new()), 0o777).is_ok());
        assert_eq!(p.check_owner(&other), Err(Errno::EPERM));
        assert!(p.check_owner(&owner).is_ok());
        let mut q = p;
        q.mode |= 0o1000;
        q.set(1002, 200, 0o7777);
        assert_eq!((q.uid, q.mode), (1002, 0o1777));
        assert!(q.check_owner(&other).is_ok());
        assert!(q.check(&other, 0o600).is_ok());
    }
}
