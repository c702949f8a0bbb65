//! Credentials and Linux's discretionary access checks (owner/group/other
//! rwx bits, root override, sticky directories, owner-only attribute changes).

use core::ops::BitOr;

use errno::{Errno, KResult};

use crate::types::{Metadata, S_ISVTX};

/// Who is asking: the credentials of a thread (`creds::Cred`). Checks
/// here use its filesystem uid/gid (`fsuid`/`fsgid`), supplementary groups
/// and effective capabilities (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`,
/// `CAP_FOWNER`, `CAP_CHOWN`, `CAP_FSETID`, `CAP_MKNOD`), as Linux does.
pub use creds::Cred;
pub use creds::Cap;

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
/// (the first class that matches, even if it grants less than a later one).
/// Then the capabilities: on a directory `CAP_DAC_READ_SEARCH` grants read
/// and search, `CAP_DAC_OVERRIDE` everything; on a file
/// `CAP_DAC_READ_SEARCH` grants read, `CAP_DAC_OVERRIDE` read and write, and
/// execute if some execute bit is set. `EACCES` when denied.
pub fn check_access(meta: &Metadata, cred: &Cred, mask: Access) -> KResult<()> {
    let shift = if meta.uid == cred.fsuid {
        6
    } else if cred.in_group(meta.gid) {
        3
    } else {
        0
    };
    let granted = ((meta.perm >> shift) & 7) as u8;
    if granted & mask.0 == mask.0 {
        return Ok(());
    }
    let read_search = cred.capable(Cap::DAC_READ_SEARCH);
    let overrides = cred.capable(Cap::DAC_OVERRIDE);
    let ok = if meta.is_dir() {
        (!mask.contains(Access::WRITE) && read_search) || overrides
    } else {
        (mask == Access::READ && read_search) || (overrides && (!mask.contains(Access::EXEC) || meta.perm & 0o111 != 0))
    };
    if ok {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// `inode_owner_or_capable`: the caller's filesystem uid owns the file, or
/// it has `CAP_FOWNER`.
pub fn is_owner_or_capable(meta: &Metadata, cred: &Cred) -> bool {
    meta.uid == cred.fsuid || cred.capable(Cap::FOWNER)
}

/// Owner-only operations (chmod, setting explicit times): `EPERM` unless the
/// caller owns the file or has `CAP_FOWNER`.
pub fn check_owner(meta: &Metadata, cred: &Cred) -> KResult<()> {
    if is_owner_or_capable(meta, cred) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// Linux's `may_delete` permission part: write and search on the directory,
/// and in a sticky directory only the file's or directory's owner (or
/// `CAP_FOWNER`) may remove or rename the entry (`EPERM`).
pub(crate) fn check_delete(dir: &Metadata, victim: &Metadata, cred: &Cred) -> KResult<()> {
    check_access(dir, cred, Access::WRITE | Access::EXEC)?;
    let sticky = dir.perm & S_ISVTX != 0;
    if sticky && victim.uid != cred.fsuid && dir.uid != cred.fsuid && !cred.capable(Cap::FOWNER) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
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
    fn read_search_capability_reads_but_never_writes() {
        let mut c = Cred::new(12, 1, Vec::new());
        c.caps.effective = creds::CapSet::of(&[Cap::DAC_READ_SEARCH]);
        let file = meta(FileKind::Regular, 0o000, 10, 20);
        let dir = meta(FileKind::Directory, 0o000, 10, 20);
        assert_eq!(check_access(&file, &c, Access::READ), Ok(()));
        assert_eq!(check_access(&file, &c, Access::WRITE), Err(Errno::EACCES));
        assert_eq!(check_access(&dir, &c, Access::READ | Access::EXEC), Ok(()));
        assert_eq!(check_access(&dir, &c, Access::WRITE), Err(Errno::EACCES));
        // uid 0 without capabilities is an ordinary user.
        let mut root = Cred::root();
        root.caps.effective = creds::CapSet::EMPTY;
        assert_eq!(check_access(&file, &root, Access::READ), Err(Errno::EACCES));
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
