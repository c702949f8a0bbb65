//! Changing one's own capabilities: capset(2), the capability prctl
//! operations (`PR_CAPBSET_*`, `PR_CAP_AMBIENT`, keepcaps, securebits) and
//! `PR_SET_NO_NEW_PRIVS`, with `security/commoncap.c`'s rules; and the
//! capget/capset user structures.

use errno::Errno;

use crate::caps::{Cap, CapSet};
use crate::cred::{Cred, SECURE_ALL_BITS, SECURE_ALL_LOCKS, SECURE_KEEP_CAPS, SECURE_NO_CAP_AMBIENT_RAISE};

/// `_LINUX_CAPABILITY_VERSION_1`: one 32-bit word per set.
pub const VERSION_1: u32 = 0x1998_0330;
/// `_LINUX_CAPABILITY_VERSION_2` (deprecated, same layout as 3).
pub const VERSION_2: u32 = 0x2007_1026;
/// `_LINUX_CAPABILITY_VERSION_3`: two words per set.
pub const VERSION_3: u32 = 0x2008_0522;

/// How many `__user_cap_data_struct`s (12 bytes each) a header version
/// takes; `None` for an unknown version (the kernel then writes
/// [`VERSION_3`] into the header and fails with `EINVAL`).
pub fn data_words(version: u32) -> Option<usize> {
    match version {
        VERSION_1 => Some(1),
        VERSION_2 | VERSION_3 => Some(2),
        _ => None,
    }
}

/// The three sets capget reports and capset takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapData {
    pub effective: CapSet,
    pub permitted: CapSet,
    pub inheritable: CapSet,
}

impl CapData {
    /// As `words` `__user_cap_data_struct`s {effective, permitted, inheritable}.
    pub fn encode(&self, words: usize, out: &mut [u8]) {
        for w in 0..words.min(2) {
            let shift = 32 * w;
            for (i, set) in [self.effective, self.permitted, self.inheritable].iter().enumerate() {
                let at = w * 12 + i * 4;
                if let Some(slot) = out.get_mut(at..at + 4) {
                    slot.copy_from_slice(&((set.bits() >> shift) as u32).to_le_bytes());
                }
            }
        }
    }

    /// From `words` structures; missing high words are zero, bits past
    /// `CAP_LAST_CAP` are dropped.
    pub fn decode(words: usize, raw: &[u8]) -> CapData {
        let mut sets = [0u64; 3];
        for w in 0..words.min(2) {
            for (i, set) in sets.iter_mut().enumerate() {
                let at = w * 12 + i * 4;
                let word = raw.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                *set |= u64::from(word) << (32 * w);
            }
        }
        CapData { effective: CapSet::from_bits(sets[0]), permitted: CapSet::from_bits(sets[1]), inheritable: CapSet::from_bits(sets[2]) }
    }
}

impl Cred {
    /// What capget(2) reports.
    pub fn cap_data(&self) -> CapData {
        CapData { effective: self.caps.effective, permitted: self.caps.permitted, inheritable: self.caps.inheritable }
    }

    /// capset(2) on oneself (`cap_capset`): new inheritable within old
    /// inheritable | permitted (unless `CAP_SETPCAP`) and within old
    /// inheritable | bounding; permitted may only shrink; effective within
    /// the new permitted. Ambient keeps what stays permitted and inheritable.
    pub fn capset(&self, d: CapData) -> Result<Cred, Errno> {
        let old = &self.caps;
        if !self.capable(Cap::SETPCAP) && !d.inheritable.is_subset_of(old.inheritable.union(old.permitted)) {
            return Err(Errno::EPERM);
        }
        if !d.inheritable.is_subset_of(old.inheritable.union(old.bounding)) {
            return Err(Errno::EPERM);
        }
        if !d.permitted.is_subset_of(old.permitted) || !d.effective.is_subset_of(d.permitted) {
            return Err(Errno::EPERM);
        }
        let mut new = self.clone();
        new.caps.effective = d.effective;
        new.caps.permitted = d.permitted;
        new.caps.inheritable = d.inheritable;
        new.caps.ambient = old.ambient.intersect(d.permitted.intersect(d.inheritable));
        Ok(new)
    }

    /// `PR_CAPBSET_DROP`: needs `CAP_SETPCAP` (`EPERM`); `EINVAL` for an
    /// unknown capability.
    pub fn capbset_drop(&self, cap: u64) -> Result<Cred, Errno> {
        if !self.capable(Cap::SETPCAP) {
            return Err(Errno::EPERM);
        }
        let cap = Cap::new(cap).ok_or(Errno::EINVAL)?;
        let mut new = self.clone();
        new.caps.bounding = new.caps.bounding.without(cap);
        Ok(new)
    }

    /// `PR_CAPBSET_READ`.
    pub fn capbset_read(&self, cap: u64) -> Result<bool, Errno> {
        Ok(self.caps.bounding.has(Cap::new(cap).ok_or(Errno::EINVAL)?))
    }

    /// `PR_CAP_AMBIENT` with its sub-operation and arguments 3-5: the
    /// value to return and, for a change, the new credentials.
    pub fn cap_ambient(&self, op: u64, arg3: u64, arg4: u64, arg5: u64) -> Result<(usize, Option<Cred>), Errno> {
        const IS_SET: u64 = 1;
        const RAISE: u64 = 2;
        const LOWER: u64 = 3;
        const CLEAR_ALL: u64 = 4;
        if op == CLEAR_ALL {
            if arg3 | arg4 | arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            let mut new = self.clone();
            new.caps.ambient = CapSet::EMPTY;
            return Ok((0, Some(new)));
        }
        let cap = Cap::new(arg3).filter(|_| arg4 | arg5 == 0).ok_or(Errno::EINVAL)?;
        match op {
            IS_SET => Ok((usize::from(self.caps.ambient.has(cap)), None)),
            RAISE => {
                let c = &self.caps;
                if !c.permitted.has(cap) || !c.inheritable.has(cap) || self.has_securebit(SECURE_NO_CAP_AMBIENT_RAISE) {
                    return Err(Errno::EPERM);
                }
                let mut new = self.clone();
                new.caps.ambient = c.ambient.with(cap);
                Ok((0, Some(new)))
            }
            LOWER => {
                let mut new = self.clone();
                new.caps.ambient = self.caps.ambient.without(cap);
                Ok((0, Some(new)))
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// `PR_SET_KEEPCAPS`: 0 or 1 (`EINVAL`); `EPERM` when locked.
    pub fn set_keepcaps(&self, on: u64) -> Result<Cred, Errno> {
        if on > 1 {
            return Err(Errno::EINVAL);
        }
        if self.has_securebit(SECURE_KEEP_CAPS << 1) {
            return Err(Errno::EPERM);
        }
        let mut new = self.clone();
        new.securebits = if on == 1 { new.securebits | SECURE_KEEP_CAPS } else { new.securebits & !SECURE_KEEP_CAPS };
        Ok(new)
    }

    /// `PR_SET_SECUREBITS`: needs `CAP_SETPCAP`; a locked bit cannot
    /// change, a lock cannot be released, unknown bits are refused (all `EPERM`).
    pub fn set_securebits(&self, bits: u64) -> Result<Cred, Errno> {
        let old = u64::from(self.securebits);
        let locks = u64::from(SECURE_ALL_LOCKS);
        let changes_locked = ((old & locks) >> 1) & (old ^ bits) != 0;
        let unlocks = old & locks & !bits != 0;
        let unknown = bits & !u64::from(SECURE_ALL_LOCKS | SECURE_ALL_BITS) != 0;
        if changes_locked || unlocks || unknown || !self.capable(Cap::SETPCAP) {
            return Err(Errno::EPERM);
        }
        let mut new = self.clone();
        new.securebits = bits as u32;
        Ok(new)
    }

    /// `PR_SET_NO_NEW_PRIVS`: arguments must be exactly (1, 0, 0, 0).
    pub fn set_no_new_privs(&self, args: [u64; 4]) -> Result<Cred, Errno> {
        if args != [1, 0, 0, 0] {
            return Err(Errno::EINVAL);
        }
        let mut new = self.clone();
        new.no_new_privs = true;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cred::Caps;

    fn with_caps(p: CapSet, i: CapSet) -> Cred {
        let mut c = Cred::new(1000, 1000, alloc::vec::Vec::new());
        c.caps = Caps { effective: p, permitted: p, inheritable: i, ..Caps::none() };
        c
    }

    #[test]
    fn capset_rules() {
        let kill = CapSet::of(&[Cap::KILL]);
        let two = kill.with(Cap::CHOWN);
        let c = with_caps(two, CapSet::EMPTY);
        // Permitted may shrink, never grow; effective within the new permitted.
        assert!(c.capset(CapData { effective: kill, permitted: kill, inheritable: CapSet::EMPTY }).is_ok());
        let grow = CapData { effective: kill, permitted: two.with(Cap::SETUID), inheritable: CapSet::EMPTY };
        assert_eq!(c.capset(grow), Err(Errno::EPERM));
        assert_eq!(c.capset(CapData { effective: two, permitted: kill, inheritable: CapSet::EMPTY }), Err(Errno::EPERM));
        // Inheritable from permitted is fine; from nowhere needs CAP_SETPCAP.
        assert!(c.capset(CapData { effective: two, permitted: two, inheritable: kill }).is_ok());
        let other = CapSet::of(&[Cap::SYS_ADMIN]);
        assert_eq!(c.capset(CapData { effective: two, permitted: two, inheritable: other }), Err(Errno::EPERM));
        let mut setpcap = with_caps(two.with(Cap::SETPCAP), CapSet::EMPTY);
        assert!(setpcap.capset(CapData { effective: CapSet::EMPTY, permitted: CapSet::EMPTY, inheritable: other }).is_ok());
        // ... but never outside the bounding set.
        setpcap.caps.bounding = setpcap.caps.bounding.without(Cap::SYS_ADMIN);
        assert_eq!(setpcap.capset(CapData { effective: CapSet::EMPTY, permitted: CapSet::EMPTY, inheritable: other }), Err(Errno::EPERM));
    }

    #[test]
    fn ambient_needs_permitted_and_inheritable() {
        let kill = CapSet::of(&[Cap::KILL]);
        let c = with_caps(kill, CapSet::EMPTY);
        assert_eq!(c.cap_ambient(2, 5, 0, 0).err(), Some(Errno::EPERM));
        let c = with_caps(kill, kill);
        let (_, raised) = c.cap_ambient(2, 5, 0, 0).unwrap();
        let raised = raised.unwrap();
        assert_eq!(raised.cap_ambient(1, 5, 0, 0).map(|r| r.0), Ok(1));
        assert_eq!(raised.cap_ambient(1, 41, 0, 0).err(), Some(Errno::EINVAL));
        assert_eq!(raised.cap_ambient(4, 1, 0, 0).err(), Some(Errno::EINVAL));
        assert_eq!(raised.cap_ambient(9, 5, 0, 0).err(), Some(Errno::EINVAL));
        // Dropping it from permitted drops it from ambient.
        let dropped = raised.capset(CapData::default()).unwrap();
        assert!(dropped.caps.ambient.is_empty());
        let mut locked = raised.clone();
        locked.securebits = SECURE_NO_CAP_AMBIENT_RAISE;
        assert_eq!(locked.cap_ambient(2, 5, 0, 0).err(), Some(Errno::EPERM));
    }

    #[test]
    fn bounding_set() {
        let root = Cred::root();
        let c = root.capbset_drop(Cap::NET_RAW.number().into()).unwrap();
        assert_eq!(c.capbset_read(13), Ok(false));
        assert_eq!(c.capbset_read(41), Err(Errno::EINVAL));
        assert_eq!(root.capbset_drop(41), Err(Errno::EINVAL));
        assert_eq!(with_caps(CapSet::EMPTY, CapSet::EMPTY).capbset_drop(13), Err(Errno::EPERM));
    }

    #[test]
    fn securebits_and_keepcaps() {
        let root = Cred::root();
        let locked = root.set_securebits(u64::from(SECURE_KEEP_CAPS | SECURE_KEEP_CAPS << 1)).unwrap();
        assert_eq!(locked.set_keepcaps(0), Err(Errno::EPERM));
        assert_eq!(locked.set_securebits(0), Err(Errno::EPERM));
        assert_eq!(root.set_securebits(0x100), Err(Errno::EPERM));
        assert_eq!(root.set_keepcaps(2), Err(Errno::EINVAL));
        assert!(root.set_keepcaps(1).unwrap().has_securebit(SECURE_KEEP_CAPS));
        assert_eq!(root.set_no_new_privs([1, 0, 0, 0]).map(|c| c.no_new_privs), Ok(true));
        assert_eq!(root.set_no_new_privs([2, 0, 0, 0]), Err(Errno::EINVAL));
    }

    #[test]
    fn user_structs_round_trip() {
        let d = CapData { effective: CapSet::FULL, permitted: CapSet::of(&[Cap::KILL]), inheritable: CapSet::EMPTY };
        let mut raw = [0u8; 24];
        d.encode(2, &mut raw);
        assert_eq!(&raw[0..4], &[0xff; 4]);
        assert_eq!(&raw[12..16], &[0xff, 0x01, 0, 0]);
        assert_eq!(CapData::decode(2, &raw), d);
        let mut v1 = [0u8; 12];
        d.encode(1, &mut v1);
        assert_eq!(CapData::decode(1, &v1).effective.bits(), 0xffff_ffff);
        assert_eq!(data_words(0x1234), None);
    }
}
