//! Credentials and Linux's discretionary access checks (owner/group/other
//! rwx bits, root override, sticky directories, owner-only attribute changes).

use alloc::vec::Vec;
use core::ops::BitOr;

use errno::{Errno, KResult};

use crate::types::{Metadata, S_ISVTX};

/// Who is asking: the filesystem uid/gid and supplementary groups of a
/// process. uid 0 has the powers of `CAP_DAC_OVERRIDE`, `CAP_FOWNER`,
/// `CAP_CHOWN` and `CAP_FSETID`.
///
/// `uid`/`gid` are the effective ids, which are also the filesystem ids
/// every check here uses; `ruid`/`rgid` (real) and `suid`/`sgid` (saved
/// set-ID) are only kept for the set*id family and `access(2)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub ruid: u32,
    pub rgid: u32,
    pub suid: u32,
    pub sgid: u32,
}

impl Cred {
    /// uid 0, gid 0.
    pub fn root() -> Cred {
        Cred::new(0, 0, Vec::new())
    }

    /// Real, effective and saved ids all `uid`/`gid`.
    pub fn new(uid: u32, gid: u32, groups: Vec<u32>) -> Cred {
        Cred { uid, gid, groups, ruid: uid, rgid: gid, suid: uid, sgid: gid }
    }

    /// The same process judged by its real ids (`access(2)` without `AT_EACCESS`).
    pub fn with_real_ids(&self) -> Cred {
        Cred { uid: self.ruid, gid: self.rgid, ..self.clone() }
    }

    pub fn is_root(&self) -> bool {
        self.uid == 0
    }

    /// Whether `gid` is the primary or a supplementary group.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

/// A set of requested accesses (`R_OK`, `W_OK`, `X_OK` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access(u8);

impl Access {
    pub const NONE: Access = Access(0);
    pub const READ: Access = Access(4);
    pub const WRITE: Access = Access(2);
    pub const EXEC: Access = Access(1);

    /// From `access(2)`'s mask bits (anything beyond rwx is ignored).
    pub const fn from_bits(bits: u32) -> Access {
        Access((bits & 7) as u8)
    }

    pub const fn contains(self, other: Access) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Access {
    type Output = Access;
    fn bitor(self, rhs: Access) -> Access {
        Access(self.0 | rhs.0)
    }
}

/// Linux's `generic_permission`: the owner, group or other rwx triple decides
/// (the first class that matches, even if it grants less than a later one);
/// root may read and write anything and execute anything that is a directory
/// or has some execute bit. `EACCES` when denied.
pub fn check_access(meta: &Metadata, cred: &Cred, mask: Access) -> KResult<()> {
    if cred.is_root() {
        let exec_ok = meta.is_dir() || meta.perm & 0o111 != 0;
        return if !mask.contains(Access::EXEC) || exec_ok { Ok(()) } else { Err(Errno::EACCES) };
    }
    let shift = if meta.uid == cred.uid {
        6
    } else if cred.in_group(meta.gid) {
        3
    } else {
        0
    };
    let granted = ((meta.perm >> shift) & 7) as u8;
    if granted & mask.0 == mask.0 {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// Owner-only operations (chmod, setting explicit times): `EPERM` unless the
/// caller owns the file or is root.
pub fn check_owner(meta: &Metadata, cred: &Cred) -> KResult<()> {
    if cred.is_root() || meta.uid == cred.uid {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// Linux's `may_delete` permission part: write and search on the directory,
/// and in a sticky directory only the file's or directory's owner (or root)
/// may remove or rename the entry (`EPERM`).
pub(crate) fn check_delete(dir: &Metadata, victim: &Metadata, cred: &Cred) -> KResult<()> {
    check_access(dir, cred, Access::WRITE | Access::EXEC)?;
    let sticky = dir.perm & S_ISVTX != 0;
    if sticky && !cred.is_root() && victim.uid != cred.uid && dir.uid != cred.uid {
        return Err(Errno::EPERM);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{DevId, FileKind, Timespec};

    fn meta(kind: FileKind, perm: u32, uid: u32, gid: u32) -> Metadata {
        Metadata {
            ino: 1,
            kind,
            perm,
            nlink: 1,
            uid,
            gid,
            size: 0,
            blocks: 0,
            block_size: 4096,
            atime: Timespec::ZERO,
            mtime: Timespec::ZERO,
            ctime: Timespec::ZERO,
            rdev: DevId::NONE,
        }
    }

    #[test]
    fn owner_group_other_classes() {
        let m = meta(FileKind::Regular, 0o640, 10, 20);
        let owner = Cred::new(10, 99, Vec::new());
        let member = Cred::new(11, 1, alloc::vec![20]);
        let other = Cred::new(12, 1, Vec::new());
        assert_eq!(check_access(&m, &owner, Access::READ | Access::WRITE), Ok(()));
        assert_eq!(check_access(&m, &owner, Access::EXEC), Err(Errno::EACCES));
        assert_eq!(check_access(&m, &member, Access::READ), Ok(()));
        assert_eq!(check_access(&m, &member, Access::WRITE), Err(Errno::EACCES));
        assert_eq!(check_access(&m, &other, Access::READ), Err(Errno::EACCES));
    }

    #[test]
    fn owner_class_wins_even_when_it_grants_less() {
        let m = meta(FileKind::Regular, 0o077, 10, 20);
        assert_eq!(check_access(&m, &Cred::new(10, 20, Vec::new()), Access::READ), Err(Errno::EACCES));
    }

    #[test]
    fn root_bypasses_except_exec_without_x_bits() {
        let root = Cred::root();
        let file = meta(FileKind::Regular, 0o000, 10, 20);
        assert_eq!(check_access(&file, &root, Access::READ | Access::WRITE), Ok(()));
        assert_eq!(check_access(&file, &root, Access::EXEC), Err(Errno::EACCES));
        let script = meta(FileKind::Regular, 0o001, 10, 20);
        assert_eq!(check_access(&script, &root, Access::EXEC), Ok(()));
        let dir = meta(FileKind::Directory, 0o000, 10, 20);
        assert_eq!(check_access(&dir, &root, Access::EXEC), Ok(()));
    }

    #[test]
    fn sticky_directory_restricts_deletion() {
        let dir = meta(FileKind::Directory, 0o1777, 0, 0);
        let victim = meta(FileKind::Regular, 0o644, 10, 10);
        assert_eq!(check_delete(&dir, &victim, &Cred::new(10, 10, Vec::new())), Ok(()));
        assert_eq!(check_delete(&dir, &victim, &Cred::new(11, 10, Vec::new())), Err(Errno::EPERM));
        assert_eq!(check_delete(&dir, &victim, &Cred::root()), Ok(()));
    }
}
