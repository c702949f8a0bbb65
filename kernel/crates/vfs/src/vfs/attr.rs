//! Attribute changes: chmod, chown, utimens, truncate. Each exists on a
//! [`Location`] (for the `f*` syscalls on an open file) and on a path.

use errno::{Errno, KResult};

use super::walk::Walker;
use super::Vfs;
use crate::access::{check_access, check_owner, Access, Cap, Cred};
use crate::location::Location;
use crate::types::{FileKind, SetAttr, SetTime, PERM_MASK, S_ISGID, S_ISUID, S_IXGRP};

impl Location {
    /// `fchmod(2)`: owner or `CAP_FOWNER` only (`EPERM`); a caller outside
    /// the file's group without `CAP_FSETID` loses the set-group-ID bit.
    pub fn set_mode(&self, cred: &Cred, perm: u32) -> KResult<()> {
        self.check_writable()?;
        let meta = self.metadata()?;
        check_owner(&meta, cred)?;
        let mut perm = perm & PERM_MASK;
        if !cred.in_group(meta.gid) && !cred.capable(Cap::FSETID) {
            perm &= !S_ISGID;
        }
        self.inode().set_attr(&SetAttr { mode: Some(perm), ..SetAttr::default() })
    }

    /// `fchown(2)`: only `CAP_CHOWN` changes the owner; the owner may change
    /// the group to one of their groups (`EPERM` otherwise). Like Linux, any
    /// chown of a non-directory clears set-user-ID, and set-group-ID when
    /// group-executable.
    pub fn set_owner(&self, cred: &Cred, uid: Option<u32>, gid: Option<u32>) -> KResult<()> {
        self.check_writable()?;
        let meta = self.metadata()?;
        if !cred.capable(Cap::CHOWN) {
            // chown_ok/chgrp_ok: no change, or the owner picking one of its groups.
            let owner = meta.uid == cred.fsuid;
            let uid_ok = uid.is_none_or(|u| owner && u == meta.uid);
            let gid_ok = gid.is_none_or(|g| owner && (g == meta.gid || cred.in_group(g)));
            if !uid_ok || !gid_ok {
                return Err(Errno::EPERM);
            }
        }
        let mut attr = SetAttr { uid, gid, ..SetAttr::default() };
        if meta.kind != FileKind::Directory {
            let mut perm = meta.perm & !S_ISUID;
            if perm & S_IXGRP != 0 {
                perm &= !S_ISGID;
            }
            if perm != meta.perm {
                attr.mode = Some(perm);
            }
        }
        self.inode().set_attr(&attr)
    }

    /// `futimens(2)`: `None` leaves a time alone (`UTIME_OMIT`). Setting
    /// both to now needs ownership or write permission (`EACCES`); setting
    /// an explicit time needs ownership (`EPERM`); `CAP_FOWNER` may do both.
    pub fn set_times(&self, cred: &Cred, atime: Option<SetTime>, mtime: Option<SetTime>) -> KResult<()> {
        if atime.is_none() && mtime.is_none() {
            return Ok(());
        }
        self.check_writable()?;
        let meta = self.metadata()?;
        let explicit = matches!(atime, Some(SetTime::At(_))) || matches!(mtime, Some(SetTime::At(_)));
        if explicit {
            check_owner(&meta, cred)?;
        } else if atime == Some(SetTime::Now) && mtime == Some(SetTime::Now) && check_owner(&meta, cred).is_err() {
            check_access(&meta, cred, Access::WRITE)?;
        }
        self.inode().set_attr(&SetAttr { atime, mtime, ..SetAttr::default() })
    }

    /// `ftruncate(2)` on a file open for writing (the caller checked that):
    /// `EISDIR` for a directory, `EINVAL` for other non-regular files.
    pub fn truncate(&self, len: u64) -> KResult<()> {
        match self.kind()? {
            FileKind::Regular => {}
            FileKind::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        self.check_writable()?;
        self.inode().truncate(len)
    }
}

impl Vfs {
    /// `chmod(2)` (follows symlinks).
    pub fn chmod(&self, cred: &Cred, cwd: &Location, path: &str, perm: u32) -> KResult<()> {
        Walker::new(self, Some(cred)).resolve(cwd, path, true)?.set_mode(cred, perm)
    }

    /// `fchownat(2)`; `follow: false` is `lchown`.
    pub fn chown(
        &self,
        cred: &Cred,
        cwd: &Location,
        path: &str,
        uid: Option<u32>,
        gid: Option<u32>,
        follow: bool,
    ) -> KResult<()> {
        Walker::new(self, Some(cred)).resolve(cwd, path, follow)?.set_owner(cred, uid, gid)
    }

    /// `utimensat(2)`; `follow: false` is `AT_SYMLINK_NOFOLLOW`.
    pub fn utimens(
        &self,
        cred: &Cred,
        cwd: &Location,
        path: &str,
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
        follow: bool,
    ) -> KResult<()> {
        Walker::new(self, Some(cred)).resolve(cwd, path, follow)?.set_times(cred, atime, mtime)
    }

    /// `truncate(2)`: needs write permission (`EACCES`).
    pub fn truncate(&self, cred: &Cred, cwd: &Location, path: &str, len: u64) -> KResult<()> {
        let loc = Walker::new(self, Some(cred)).resolve(cwd, path, true)?;
        match loc.kind()? {
            FileKind::Regular => {}
            FileKind::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        loc.check_writable()?;
        check_access(&loc.metadata()?, cred, Access::WRITE)?;
        loc.inode().truncate(len)
    }
}
