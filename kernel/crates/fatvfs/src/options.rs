//! Mount options (`uid`, `gid`, `fmask`, `dmask`) and the permission rules Linux's vfat
//! derives from them: FAT stores no owner or mode, so every file shows the mount's owner
//! and `0o777` minus the mask, without write bits when the FAT read-only attribute is set.

use alloc::format;
use alloc::string::String;

use errno::{Errno, KResult};
use vfs::FileKind;

/// Permission bits a FAT node can show (no set-ID or sticky bits).
const RWX_ALL: u32 = 0o777;
const WRITE_ALL: u32 = 0o222;
const READ_EXEC_ALL: u32 = 0o555;

/// How a FAT volume is presented, as Linux's vfat mount options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FatVfsOptions {
    /// Owner of every file (`uid=`).
    pub uid: u32,
    /// Group of every file (`gid=`).
    pub gid: u32,
    /// Bits removed from regular files' `0o777` (`fmask=`).
    pub fmask: u32,
    /// Bits removed from directories' `0o777` (`dmask=`).
    pub dmask: u32,
}

impl Default for FatVfsOptions {
    /// What Linux uses when root mounts with umask 022: root-owned, `0o755` everywhere.
    fn default() -> Self {
        FatVfsOptions { uid: 0, gid: 0, fmask: 0o022, dmask: 0o022 }
    }
}

/// What a chmod request does to a node, under Linux's `fat_setattr` rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModeChange {
    /// Nothing to store: the mode is unchanged, or one FAT cannot show (which Linux
    /// silently ignores: "We don't return -EPERM here. Yes, strange").
    Nothing,
    /// The FAT read-only attribute would have to be set (`true`) or cleared.
    ReadOnly(bool),
}

impl FatVfsOptions {
    /// The filesystem options string for `/proc/mounts`, in Linux's vfat format.
    pub fn mount_data(&self) -> String {
        let mut out = String::new();
        if self.uid != 0 {
            out.push_str(&format!("uid={},", self.uid));
        }
        if self.gid != 0 {
            out.push_str(&format!("gid={},", self.gid));
        }
        out.push_str(&format!("fmask={:04o},dmask={:04o}", self.fmask & RWX_ALL, self.dmask & RWX_ALL));
        out
    }

    fn mask(&self, kind: FileKind) -> u32 {
        let mask = if kind == FileKind::Directory { self.dmask } else { self.fmask };
        mask & RWX_ALL
    }

    /// The permission bits of a node of `kind` (Linux `fat_make_mode`; directories ignore
    /// the read-only attribute, as without the `rodir` option).
    pub(crate) fn perm(&self, kind: FileKind, readonly: bool) -> u32 {
        let mut perm = RWX_ALL;
        if readonly && kind != FileKind::Directory {
            perm &= !WRITE_ALL;
        }
        perm & !self.mask(kind)
    }

    /// Checks a chown: only the mount's own uid/gid are accepted (`EPERM`).
    pub(crate) fn check_owner(&self, uid: Option<u32>, gid: Option<u32>) -> KResult<()> {
        if uid.is_some_and(|u| u != self.uid) || gid.is_some_and(|g| g != self.gid) {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// What `chmod(requested)` does to a node of `kind` showing `current` permissions
    /// (Linux `fat_setattr` + `fat_sanitize_mode`): set-ID/sticky bits are `EPERM`; read
    /// and execute bits must stay as they are and write bits be all-or-nothing, else the
    /// change is silently dropped; only regular files can gain or lose write permission,
    /// through the read-only attribute.
    pub(crate) fn chmod(&self, kind: FileKind, current: u32, requested: u32) -> KResult<ModeChange> {
        if requested & !RWX_ALL != 0 {
            return Err(Errno::EPERM);
        }
        let mask = self.mask(kind);
        let perm = requested & !mask;
        if perm & READ_EXEC_ALL != current & READ_EXEC_ALL {
            return Ok(ModeChange::Nothing);
        }
        let writable = WRITE_ALL & !mask;
        let write = perm & WRITE_ALL;
        let can_hold_readonly = kind == FileKind::Regular;
        if !can_hold_readonly || (write != 0 && write != writable) {
            return Ok(ModeChange::Nothing);
        }
        let now_readonly = current & WRITE_ALL == 0;
        let want_readonly = write == 0;
        Ok(if now_readonly == want_readonly { ModeChange::Nothing } else { ModeChange::ReadOnly(want_readonly) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_perms_match_linux() {
        let o = FatVfsOptions::default();
        assert_eq!(o.perm(FileKind::Regular, false), 0o755);
        assert_eq!(o.perm(FileKind::Regular, true), 0o555);
        assert_eq!(o.perm(FileKind::Directory, true), 0o755);
        let o = FatVfsOptions { fmask: 0o133, dmask: 0o022, ..o };
        assert_eq!(o.perm(FileKind::Regular, false), 0o644);
        assert_eq!(o.mount_data(), "fmask=0133,dmask=0022");
        let o = FatVfsOptions { uid: 1000, gid: 100, ..o };
        assert_eq!(o.mount_data(), "uid=1000,gid=100,fmask=0133,dmask=0022");
    }

    #[test]
    fn chmod_rules() {
        let o = FatVfsOptions::default();
        let file = FileKind::Regular;
        assert_eq!(o.chmod(file, 0o755, 0o4755), Err(Errno::EPERM));
        assert_eq!(o.chmod(file, 0o755, 0o755), Ok(ModeChange::Nothing));
        // Masked bits do not matter.
        assert_eq!(o.chmod(file, 0o755, 0o777), Ok(ModeChange::Nothing));
        // r/x changes and partial write bits are dropped silently.
        assert_eq!(o.chmod(file, 0o755, 0o700), Ok(ModeChange::Nothing));
        assert_eq!(o.chmod(file, 0o755, 0o715), Ok(ModeChange::Nothing));
        assert_eq!(o.chmod(file, 0o755, 0o555), Ok(ModeChange::ReadOnly(true)));
        assert_eq!(o.chmod(file, 0o555, 0o755), Ok(ModeChange::ReadOnly(false)));
        assert_eq!(o.chmod(FileKind::Directory, 0o755, 0o555), Ok(ModeChange::Nothing));
        assert_eq!(o.check_owner(Some(0), Some(0)), Ok(()));
        assert_eq!(o.check_owner(Some(1), None), Err(Errno::EPERM));
        assert_eq!(o.check_owner(None, Some(5)), Err(Errno::EPERM));
    }
}
