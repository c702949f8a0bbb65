//! [`Cred`]: what a thread is, in Linux's terms (`struct cred`): real,
//! effective, saved and filesystem user and group ids, supplementary
//! groups, the five capability sets, securebits and `no_new_privs`.

use alloc::vec::Vec;

use crate::caps::{Cap, CapSet};

/// `SECURE_NOROOT`: uid 0 gets no capabilities from execve.
pub const SECURE_NOROOT: u32 = 1 << 0;
/// `SECURE_NO_SETUID_FIXUP`: uid changes leave the capability sets alone.
pub const SECURE_NO_SETUID_FIXUP: u32 = 1 << 2;
/// `SECURE_KEEP_CAPS`: leaving uid 0 keeps the permitted set (cleared on execve).
pub const SECURE_KEEP_CAPS: u32 = 1 << 4;
/// `SECURE_NO_CAP_AMBIENT_RAISE`: `PR_CAP_AMBIENT_RAISE` is refused.
pub const SECURE_NO_CAP_AMBIENT_RAISE: u32 = 1 << 6;
/// The four flags (`SECURE_ALL_BITS`); each has a lock bit just above it.
pub const SECURE_ALL_BITS: u32 = 0x55;
pub const SECURE_ALL_LOCKS: u32 = SECURE_ALL_BITS << 1;

/// The five capability sets of a thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    /// What the kernel checks (`CapEff`).
    pub effective: CapSet,
    /// The most the thread may make effective (`CapPrm`).
    pub permitted: CapSet,
    /// What may pass an execve (`CapInh`).
    pub inheritable: CapSet,
    /// The most any execve may grant (`CapBnd`).
    pub bounding: CapSet,
    /// Kept across execve of a non-privileged program (`CapAmb`).
    pub ambient: CapSet,
}

impl Caps {
    /// A root process's sets: everything but inheritable and ambient.
    pub const fn full() -> Caps {
        Caps {
            effective: CapSet::FULL,
            permitted: CapSet::FULL,
            inheritable: CapSet::EMPTY,
            bounding: CapSet::FULL,
            ambient: CapSet::EMPTY,
        }
    }

    /// No capabilities at all, a full bounding set (an ordinary user's process).
    pub const fn none() -> Caps {
        Caps {
            effective: CapSet::EMPTY,
            permitted: CapSet::EMPTY,
            inheritable: CapSet::EMPTY,
            bounding: CapSet::FULL,
            ambient: CapSet::EMPTY,
        }
    }
}

/// A thread's credentials. Permission checks use the filesystem ids
/// (`fsuid`/`fsgid`, which follow the effective ones unless `setfsuid` moved
/// them) and the effective capability set; signals and the set*id calls
/// use the real, effective and saved ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cred {
    pub ruid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    /// Supplementary groups, sorted (as Linux keeps them).
    pub groups: Vec<u32>,
    pub caps: Caps,
    /// `SECURE_*` bits and their locks (`PR_SET_SECUREBITS`).
    pub securebits: u32,
    /// `PR_SET_NO_NEW_PRIVS`: execve grants nothing new; never cleared.
    pub no_new_privs: bool,
}

impl Cred {
    /// uid 0, gid 0, every capability: the kernel's own processes.
    pub fn root() -> Cred {
        Cred::new(0, 0, Vec::new())
    }

    /// All four uids `uid`, all four gids `gid`; the capabilities an execve
    /// gives such a process (all for uid 0, none otherwise).
    pub fn new(uid: u32, gid: u32, mut groups: Vec<u32>) -> Cred {
        groups.sort_unstable();
        groups.dedup();
        let caps = if uid == 0 { Caps::full() } else { Caps::none() };
        Cred {
            ruid: uid,
            euid: uid,
            suid: uid,
            fsuid: uid,
            rgid: gid,
            egid: gid,
            sgid: gid,
            fsgid: gid,
            groups,
            caps,
            securebits: 0,
            no_new_privs: false,
        }
    }

    /// Whether `cap` is in the effective set (`capable()`).
    pub fn capable(&self, cap: Cap) -> bool {
        self.caps.effective.has(cap)
    }

    /// Whether `gid` is the filesystem gid or a supplementary group
    /// (`in_group_p`).
    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups.binary_search(&gid).is_ok()
    }

    /// The same thread judged by its real ids, as `access(2)` without
    /// `AT_EACCESS` does: fsuid/fsgid become the real ids and, unless
    /// `SECURE_NO_SETUID_FIXUP`, a non-root real uid loses the effective
    /// capabilities and a root one gets the permitted ones
    /// (`access_override_creds`).
    pub fn with_real_ids(&self) -> Cred {
        let mut c = self.clone();
        c.fsuid = self.ruid;
        c.fsgid = self.rgid;
        if self.securebits & SECURE_NO_SETUID_FIXUP == 0 {
            c.caps.effective = if self.ruid == 0 { self.caps.permitted } else { CapSet::EMPTY };
        }
        c
    }

    pub fn has_securebit(&self, bit: u32) -> bool {
        self.securebits & bit != 0
    }

    /// Whether the ambient set respects its invariant (a subset of
    /// permitted and inheritable).
    pub fn ambient_ok(&self) -> bool {
        self.caps.ambient.is_subset_of(self.caps.permitted.intersect(self.caps.inheritable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_user() {
        let r = Cred::root();
        assert!(r.capable(Cap::SYS_ADMIN) && r.capable(Cap::CHECKPOINT_RESTORE));
        let u = Cred::new(1000, 100, alloc::vec![20, 10, 20]);
        assert!(!u.capable(Cap::KILL));
        assert_eq!(u.groups, [10, 20]);
        assert!(u.in_group(100) && u.in_group(10) && !u.in_group(0));
        assert_eq!(u.caps.bounding, CapSet::FULL);
    }

    #[test]
    fn access_uses_real_ids() {
        let mut c = Cred::new(0, 0, Vec::new());
        c.ruid = 1000;
        c.rgid = 1000;
        let real = c.with_real_ids();
        assert_eq!((real.fsuid, real.fsgid), (1000, 1000));
        assert!(!real.capable(Cap::DAC_OVERRIDE));
        let mut s = Cred::new(1000, 1000, Vec::new());
        s.ruid = 0;
        s.caps.permitted = CapSet::of(&[Cap::DAC_OVERRIDE]);
        assert!(s.with_real_ids().capable(Cap::DAC_OVERRIDE));
    }
}
