//! The set*id family (`kernel/sys.c`) and what a uid change does to the
//! capability sets (`cap_task_fix_setuid`). Each call takes the current
//! credentials and returns the new ones, or the errno Linux gives; the
//! caller commits them. `KEEP` (-1) leaves an id unchanged.

use alloc::vec::Vec;

use errno::Errno;

use crate::caps::{Cap, CapSet};
use crate::cred::{Cred, SECURE_KEEP_CAPS, SECURE_NO_SETUID_FIXUP};

/// `-1` as an id argument: leave that id unchanged (and never a valid id).
pub const KEEP: u32 = u32::MAX;
/// Most supplementary groups (`NGROUPS_MAX`).
pub const NGROUPS_MAX: usize = 65536;

/// Real, effective, saved and filesystem ids of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ids {
    real: u32,
    effective: u32,
    saved: u32,
    fs: u32,
}

impl Ids {
    fn holds(&self, id: u32) -> bool {
        id == self.real || id == self.effective || id == self.saved
    }

    /// setuid(2)/setgid(2): privileged sets real, effective, saved (and fs);
    /// otherwise only effective (and fs), to the real or saved id.
    fn set_one(self, privileged: bool, id: u32) -> Result<Ids, Errno> {
        if id == KEEP {
            return Err(Errno::EINVAL);
        }
        if privileged {
            Ok(Ids { real: id, effective: id, saved: id, fs: id })
        } else if id == self.real || id == self.saved {
            Ok(Ids { effective: id, fs: id, ..self })
        } else {
            Err(Errno::EPERM)
        }
    }

    /// setreuid(2): the real id may become the effective one; the effective
    /// one any held id. Setting the real id, or an effective id other than
    /// the old real one, makes the saved id the new effective one.
    fn set_re(self, privileged: bool, r: u32, e: u32) -> Result<Ids, Errno> {
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
        next.fs = next.effective;
        Ok(next)
    }

    /// setresuid(2): each given id must be one already held, unless privileged.
    fn set_res(self, privileged: bool, r: u32, e: u32, s: u32) -> Result<Ids, Errno> {
        if !privileged && [r, e, s].iter().any(|&id| id != KEEP && !self.holds(id)) {
            return Err(Errno::EPERM);
        }
        let pick = |new: u32, old: u32| if new == KEEP { old } else { new };
        let effective = pick(e, self.effective);
        Ok(Ids { real: pick(r, self.real), effective, saved: pick(s, self.saved), fs: effective })
    }

    /// setfsuid(2): the new fs id if allowed (one held, the current fs id,
    /// or privileged); `None` leaves it. The call always returns the old one.
    fn set_fs(self, privileged: bool, id: u32) -> Option<Ids> {
        if id == KEEP || id == self.fs {
            return None;
        }
        (privileged || self.holds(id)).then_some(Ids { fs: id, ..self })
    }
}

fn uids(c: &Cred) -> Ids {
    Ids { real: c.ruid, effective: c.euid, saved: c.suid, fs: c.fsuid }
}

fn gids(c: &Cred) -> Ids {
    Ids { real: c.rgid, effective: c.egid, saved: c.sgid, fs: c.fsgid }
}

fn with_uids(old: &Cred, ids: Ids) -> Cred {
    let mut new = old.clone();
    (new.ruid, new.euid, new.suid, new.fsuid) = (ids.real, ids.effective, ids.saved, ids.fs);
    fix_caps_after_setuid(old, &mut new);
    new
}

fn with_gids(old: &Cred, ids: Ids) -> Cred {
    let mut new = old.clone();
    (new.rgid, new.egid, new.sgid, new.fsgid) = (ids.real, ids.effective, ids.saved, ids.fs);
    new
}

/// `cap_emulate_setxuid` and its filesystem-uid part: leaving uid 0 in all
/// of real, effective and saved drops permitted, effective and ambient
/// (permitted and effective survive with `SECURE_KEEP_CAPS`); an effective
/// uid leaving 0 drops the effective set, one becoming 0 raises it to the
/// permitted set; a filesystem uid leaving or becoming 0 drops or raises the
/// filesystem capabilities. Nothing happens with `SECURE_NO_SETUID_FIXUP`.
fn fix_caps_after_setuid(old: &Cred, new: &mut Cred) {
    if old.has_securebit(SECURE_NO_SETUID_FIXUP) {
        return;
    }
    let had_root = old.ruid == 0 || old.euid == 0 || old.suid == 0;
    let has_root = new.ruid == 0 || new.euid == 0 || new.suid == 0;
    if had_root && !has_root {
        if !old.has_securebit(SECURE_KEEP_CAPS) {
            new.caps.permitted = CapSet::EMPTY;
            new.caps.effective = CapSet::EMPTY;
        }
        new.caps.ambient = CapSet::EMPTY;
    }
    if old.euid == 0 && new.euid != 0 {
        new.caps.effective = CapSet::EMPTY;
    }
    if old.euid != 0 && new.euid == 0 {
        new.caps.effective = new.caps.permitted;
    }
    fix_caps_after_setfsuid(old, new);
}

fn fix_caps_after_setfsuid(old: &Cred, new: &mut Cred) {
    if old.has_securebit(SECURE_NO_SETUID_FIXUP) {
        return;
    }
    if old.fsuid == 0 && new.fsuid != 0 {
        new.caps.effective = new.caps.effective.minus(CapSet::FS_MASK);
    }
    if old.fsuid != 0 && new.fsuid == 0 {
        new.caps.effective = new.caps.effective.union(new.caps.permitted.intersect(CapSet::FS_MASK));
    }
}

impl Cred {
    pub fn setuid(&self, uid: u32) -> Result<Cred, Errno> {
        Ok(with_uids(self, uids(self).set_one(self.capable(Cap::SETUID), uid)?))
    }

    pub fn setreuid(&self, r: u32, e: u32) -> Result<Cred, Errno> {
        Ok(with_uids(self, uids(self).set_re(self.capable(Cap::SETUID), r, e)?))
    }

    pub fn setresuid(&self, r: u32, e: u32, s: u32) -> Result<Cred, Errno> {
        Ok(with_uids(self, uids(self).set_res(self.capable(Cap::SETUID), r, e, s)?))
    }

    pub fn setgid(&self, gid: u32) -> Result<Cred, Errno> {
        Ok(with_gids(self, gids(self).set_one(self.capable(Cap::SETGID), gid)?))
    }

    pub fn setregid(&self, r: u32, e: u32) -> Result<Cred, Errno> {
        Ok(with_gids(self, gids(self).set_re(self.capable(Cap::SETGID), r, e)?))
    }

    pub fn setresgid(&self, r: u32, e: u32, s: u32) -> Result<Cred, Errno> {
        Ok(with_gids(self, gids(self).set_res(self.capable(Cap::SETGID), r, e, s)?))
    }

    /// setfsuid(2): the new credentials if the fs uid changes (the call
    /// returns the old fs uid either way).
    pub fn setfsuid(&self, uid: u32) -> Option<Cred> {
        let ids = uids(self).set_fs(self.capable(Cap::SETUID), uid)?;
        let mut new = self.clone();
        new.fsuid = ids.fs;
        fix_caps_after_setfsuid(self, &mut new);
        Some(new)
    }

    pub fn setfsgid(&self, gid: u32) -> Option<Cred> {
        let ids = gids(self).set_fs(self.capable(Cap::SETGID), gid)?;
        let mut new = self.clone();
        new.fsgid = ids.fs;
        Some(new)
    }

    /// setgroups(2): `CAP_SETGID` only (`EPERM`), at most `NGROUPS_MAX`
    /// (`EINVAL`); kept sorted.
    pub fn setgroups(&self, mut groups: Vec<u32>) -> Result<Cred, Errno> {
        if groups.len() > NGROUPS_MAX {
            return Err(Errno::EINVAL);
        }
        if !self.capable(Cap::SETGID) {
            return Err(Errno::EPERM);
        }
        groups.sort_unstable();
        let mut new = self.clone();
        new.groups = groups;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caps::CapSet;
    use crate::cred::Caps;

    fn user(uid: u32) -> Cred {
        Cred::new(uid, uid, Vec::new())
    }

    #[test]
    fn root_setuid_drops_every_capability() {
        let c = Cred::root().setuid(1000).unwrap();
        assert_eq!((c.ruid, c.euid, c.suid, c.fsuid), (1000, 1000, 1000, 1000));
        assert!(c.caps.permitted.is_empty() && c.caps.effective.is_empty());
        assert_eq!(c.caps.bounding, CapSet::FULL);
        // And cannot come back.
        assert_eq!(c.setuid(0), Err(Errno::EPERM));
    }

    #[test]
    fn keep_caps_keeps_permitted_but_not_effective() {
        let mut root = Cred::root();
        root.securebits |= SECURE_KEEP_CAPS;
        let c = root.setresuid(1000, 1000, 1000).unwrap();
        assert_eq!(c.caps.permitted, CapSet::FULL);
        assert!(c.caps.effective.is_empty());
    }

    #[test]
    fn seteuid_round_trip_restores_effective() {
        let c = Cred::root().setresuid(KEEP, 1000, KEEP).unwrap();
        assert_eq!((c.ruid, c.euid, c.suid), (0, 1000, 0));
        assert!(c.caps.effective.is_empty() && c.caps.permitted == CapSet::FULL);
        let back = c.setresuid(KEEP, 0, KEEP).unwrap();
        assert_eq!(back.caps.effective, CapSet::FULL);
    }

    #[test]
    fn unprivileged_rules() {
        let mut c = user(1000);
        c.suid = 2000;
        assert_eq!(c.setuid(3000), Err(Errno::EPERM));
        let s = c.setuid(2000).unwrap();
        assert_eq!((s.ruid, s.euid, s.suid), (1000, 2000, 2000));
        assert_eq!(c.setresuid(KEEP, 2000, 1000).map(|n| (n.euid, n.suid)), Ok((2000, 1000)));
        assert_eq!(c.setresuid(3000, KEEP, KEEP), Err(Errno::EPERM));
        assert_eq!(c.setuid(KEEP), Err(Errno::EINVAL));
        // setreuid: real may become effective; saved follows a new effective.
        let r = c.setreuid(KEEP, 2000).unwrap();
        assert_eq!((r.ruid, r.euid, r.suid), (1000, 2000, 2000));
        assert_eq!(c.setreuid(2000, KEEP), Err(Errno::EPERM));
    }

    #[test]
    fn capability_not_uid_decides() {
        // uid 0 without CAP_SETUID is an ordinary user for setuid.
        let mut c = Cred::root();
        c.caps = Caps { effective: CapSet::EMPTY, ..c.caps };
        assert_eq!(c.setuid(1000), Err(Errno::EPERM));
        // uid 1000 with CAP_SETUID may become anyone.
        let mut u = user(1000);
        u.caps.effective = CapSet::of(&[Cap::SETUID]);
        u.caps.permitted = u.caps.effective;
        assert_eq!(u.setuid(5).map(|n| n.ruid), Ok(5));
        assert_eq!(user(1000).setgroups(alloc::vec![1]), Err(Errno::EPERM));
        assert_eq!(Cred::root().setgroups(alloc::vec![3, 1]).map(|n| n.groups), Ok(alloc::vec![1, 3]));
    }

    #[test]
    fn setfsuid_moves_filesystem_capabilities() {
        let c = Cred::root().setfsuid(1000).unwrap();
        assert_eq!(c.fsuid, 1000);
        assert!(!c.capable(Cap::DAC_OVERRIDE) && !c.capable(Cap::CHOWN) && c.capable(Cap::KILL));
        let back = c.setfsuid(0).unwrap();
        assert!(back.capable(Cap::DAC_OVERRIDE));
        assert!(user(1000).setfsuid(0).is_none());
        assert!(user(1000).setfsuid(KEEP).is_none());
        // A set*uid call resets fsuid to the effective uid.
        assert_eq!(c.setresuid(KEEP, KEEP, KEEP).map(|n| n.fsuid), Ok(0));
    }

    #[test]
    fn no_setuid_fixup_keeps_sets() {
        let mut root = Cred::root();
        root.securebits |= SECURE_NO_SETUID_FIXUP;
        let c = root.setuid(1000).unwrap();
        assert_eq!(c.caps.effective, CapSet::FULL);
    }
}
