//! What execve does to credentials (`bprm_fill_uid` and
//! `cap_bprm_creds_from_file` without file capabilities): set-user-ID and
//! set-group-ID bits, root's capabilities, ambient capabilities, and
//! `no_new_privs`, which forbids every gain.

use crate::caps::CapSet;
use crate::cred::{Cred, SECURE_KEEP_CAPS, SECURE_NOROOT};

/// `S_ISUID`, `S_ISGID`, `S_IXGRP`.
const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_IXGRP: u32 = 0o010;

/// The file being executed, as the credential change sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecFile {
    /// Mode bits (permissions with the set-ID bits).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Its mount has `nosuid`: set-ID bits are ignored.
    pub nosuid: bool,
}

/// The credentials after execve, and whether the exec is "secure"
/// (`AT_SECURE`: privileges were gained, so the new program must not trust
/// its environment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecCreds {
    pub cred: Cred,
    pub secure: bool,
}

impl Cred {
    /// The credentials a successful execve of `file` gives.
    pub fn after_exec(&self, file: &ExecFile) -> ExecCreds {
        let old = self;
        let mut new = self.clone();
        // bprm_fill_uid: set-ID bits, unless nosuid or no_new_privs.
        if !file.nosuid && !old.no_new_privs {
            if file.mode & S_ISUID != 0 {
                new.euid = file.uid;
            }
            if file.mode & (S_ISGID | S_IXGRP) == (S_ISGID | S_IXGRP) {
                new.egid = file.gid;
            }
        }
        // No file capabilities: pP' starts empty; root gets its bounding
        // and inheritable sets, and an effective set if the effective uid is 0.
        new.caps.permitted = CapSet::EMPTY;
        let mut effective = false;
        if !old.has_securebit(SECURE_NOROOT) {
            if new.euid == 0 || new.ruid == 0 {
                new.caps.permitted = old.caps.bounding.union(old.caps.inheritable);
            }
            effective = new.euid == 0;
        }
        let is_setid = new.euid != old.ruid || new.egid != old.rgid;
        let gained = !new.caps.permitted.is_subset_of(old.caps.permitted);
        if (is_setid || gained) && old.no_new_privs {
            // Downgrade: no more than before, and the ids stay the real ones.
            new.euid = new.ruid;
            new.egid = new.rgid;
            new.caps.permitted = new.caps.permitted.intersect(old.caps.permitted);
        }
        new.suid = new.euid;
        new.fsuid = new.euid;
        new.sgid = new.egid;
        new.fsgid = new.egid;
        if is_setid {
            new.caps.ambient = CapSet::EMPTY;
        }
        new.caps.permitted = new.caps.permitted.union(new.caps.ambient);
        new.caps.effective = if effective { new.caps.permitted } else { new.caps.ambient };
        new.securebits &= !SECURE_KEEP_CAPS;
        let grew = !new.caps.permitted.is_subset_of(new.caps.ambient);
        let secure = is_setid || (new.ruid != 0 && (effective || grew));
        ExecCreds { cred: new, secure }
    }

}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caps::Cap;
    use crate::cred::Caps;

    const PLAIN: ExecFile = ExecFile { mode: 0o755, uid: 0, gid: 0, nosuid: false };
    const SUID_ROOT: ExecFile = ExecFile { mode: 0o4755, uid: 0, gid: 0, nosuid: false };

    #[test]
    fn root_keeps_bounding_set() {
        let mut root = Cred::root();
        root.caps.bounding = CapSet::of(&[Cap::KILL, Cap::CHOWN]);
        root.caps.effective = CapSet::of(&[Cap::KILL]);
        let e = root.after_exec(&PLAIN);
        assert_eq!(e.cred.caps.permitted, CapSet::of(&[Cap::KILL, Cap::CHOWN]));
        assert_eq!(e.cred.caps.effective, e.cred.caps.permitted);
        assert!(!e.secure);
    }

    #[test]
    fn user_loses_everything_but_ambient() {
        let kill = CapSet::of(&[Cap::KILL]);
        let mut u = Cred::new(1000, 1000, alloc::vec::Vec::new());
        u.caps = Caps { effective: kill.with(Cap::CHOWN), permitted: kill.with(Cap::CHOWN), inheritable: kill, ambient: kill, ..Caps::none() };
        let e = u.after_exec(&PLAIN);
        assert_eq!(e.cred.caps.permitted, kill);
        assert_eq!(e.cred.caps.effective, kill);
        assert_eq!(e.cred.caps.ambient, kill);
        assert!(!e.secure);
        u.caps.ambient = CapSet::EMPTY;
        assert!(u.after_exec(&PLAIN).cred.caps.permitted.is_empty());
    }

    #[test]
    fn setuid_root_binary() {
        let u = Cred::new(1000, 1000, alloc::vec::Vec::new());
        let e = u.after_exec(&SUID_ROOT);
        assert_eq!((e.cred.ruid, e.cred.euid, e.cred.suid, e.cred.fsuid), (1000, 0, 0, 0));
        assert_eq!(e.cred.caps.effective, CapSet::FULL);
        assert!(e.secure);
        // nosuid mount: nothing.
        let e = u.after_exec(&ExecFile { nosuid: true, ..SUID_ROOT });
        assert_eq!((e.cred.euid, e.cred.caps.permitted), (1000, CapSet::EMPTY));
        // set-group-ID needs group execute.
        let g = ExecFile { mode: 0o2755, uid: 0, gid: 50, nosuid: false };
        assert_eq!(u.after_exec(&g).cred.egid, 50);
        assert_eq!(u.after_exec(&ExecFile { mode: 0o2745, ..g }).cred.egid, 1000);
    }

    #[test]
    fn no_new_privs_blocks_gains() {
        let mut u = Cred::new(1000, 1000, alloc::vec::Vec::new());
        u.no_new_privs = true;
        let e = u.after_exec(&SUID_ROOT);
        assert_eq!((e.cred.euid, e.cred.suid), (1000, 1000));
        assert!(e.cred.caps.permitted.is_empty() && e.cred.no_new_privs);
        // Root under no_new_privs keeps what it had, gets nothing new.
        let mut root = Cred::root();
        root.no_new_privs = true;
        root.caps.permitted = CapSet::of(&[Cap::KILL]);
        root.caps.effective = CapSet::of(&[Cap::KILL]);
        let e = root.after_exec(&PLAIN);
        assert_eq!(e.cred.caps.permitted, CapSet::of(&[Cap::KILL]));
    }

    #[test]
    fn keepcaps_cleared_and_ambient_dropped_on_setid() {
        let mut u = Cred::new(1000, 1000, alloc::vec::Vec::new());
        u.securebits = SECURE_KEEP_CAPS;
        let kill = CapSet::of(&[Cap::KILL]);
        u.caps = Caps { effective: kill, permitted: kill, inheritable: kill, ambient: kill, ..Caps::none() };
        let e = u.after_exec(&ExecFile { mode: 0o4755, uid: 5, gid: 0, nosuid: false });
        assert_eq!(e.cred.securebits, 0);
        assert!(e.cred.caps.ambient.is_empty() && e.cred.caps.permitted.is_empty());
        assert_eq!(e.cred.euid, 5);
    }

    #[test]
    fn noroot_securebit() {
        let mut root = Cred::root();
        root.securebits = SECURE_NOROOT;
        assert!(root.after_exec(&PLAIN).cred.caps.permitted.is_empty());
    }
}
