//! Capabilities (capabilities(7)): the numbers and names Linux 6.1 knows,
//! and [`CapSet`], a set of them as the kernel keeps it (one bit each).

use core::fmt;

/// One capability, by its Linux number (`CAP_CHOWN` is 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cap(u8);

/// The names in number order (`CAP_LAST_CAP` is the last).
const NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

impl Cap {
    pub const CHOWN: Cap = Cap(0);
    pub const DAC_OVERRIDE: Cap = Cap(1);
    pub const DAC_READ_SEARCH: Cap = Cap(2);
    pub const FOWNER: Cap = Cap(3);
    pub const FSETID: Cap = Cap(4);
    pub const KILL: Cap = Cap(5);
    pub const SETGID: Cap = Cap(6);
    pub const SETUID: Cap = Cap(7);
    pub const SETPCAP: Cap = Cap(8);
    pub const LINUX_IMMUTABLE: Cap = Cap(9);
    pub const NET_BIND_SERVICE: Cap = Cap(10);
    pub const NET_BROADCAST: Cap = Cap(11);
    pub const NET_ADMIN: Cap = Cap(12);
    pub const NET_RAW: Cap = Cap(13);
    pub const IPC_LOCK: Cap = Cap(14);
    pub const IPC_OWNER: Cap = Cap(15);
    pub const SYS_MODULE: Cap = Cap(16);
    pub const SYS_RAWIO: Cap = Cap(17);
    pub const SYS_CHROOT: Cap = Cap(18);
    pub const SYS_PTRACE: Cap = Cap(19);
    pub const SYS_PACCT: Cap = Cap(20);
    pub const SYS_ADMIN: Cap = Cap(21);
    pub const SYS_BOOT: Cap = Cap(22);
    pub const SYS_NICE: Cap = Cap(23);
    pub const SYS_RESOURCE: Cap = Cap(24);
    pub const SYS_TIME: Cap = Cap(25);
    pub const SYS_TTY_CONFIG: Cap = Cap(26);
    pub const MKNOD: Cap = Cap(27);
    pub const LEASE: Cap = Cap(28);
    pub const AUDIT_WRITE: Cap = Cap(29);
    pub const AUDIT_CONTROL: Cap = Cap(30);
    pub const SETFCAP: Cap = Cap(31);
    pub const MAC_OVERRIDE: Cap = Cap(32);
    pub const MAC_ADMIN: Cap = Cap(33);
    pub const SYSLOG: Cap = Cap(34);
    pub const WAKE_ALARM: Cap = Cap(35);
    pub const BLOCK_SUSPEND: Cap = Cap(36);
    pub const AUDIT_READ: Cap = Cap(37);
    pub const PERFMON: Cap = Cap(38);
    pub const BPF: Cap = Cap(39);
    pub const CHECKPOINT_RESTORE: Cap = Cap(40);

    /// `CAP_LAST_CAP` (`/proc/sys/kernel/cap_last_cap`).
    pub const LAST: Cap = Cap(40);

    /// The capability numbered `n`, if Linux has one (`cap_valid`).
    pub fn new(n: u64) -> Option<Cap> {
        (n <= u64::from(Cap::LAST.0)).then_some(Cap(n as u8))
    }

    /// By name, as config.json and libcap write it: `CAP_KILL`; case-insensitive,
    /// the `CAP_` prefix optional (`kill`, as setpriv takes it).
    pub fn from_name(name: &str) -> Option<Cap> {
        let bare = name.get(..4).filter(|p| p.eq_ignore_ascii_case("cap_")).map_or(name, |_| &name[4..]);
        NAMES.iter().position(|n| n[4..].eq_ignore_ascii_case(bare)).map(|i| Cap(i as u8))
    }

    pub fn number(self) -> u8 {
        self.0
    }

    /// `CAP_KILL`.
    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0)]
    }

    /// Every capability, in number order.
    pub fn all() -> impl Iterator<Item = Cap> {
        (0..=Cap::LAST.0).map(Cap)
    }

    const fn bit(self) -> u64 {
        1 << self.0
    }
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of capabilities (`kernel_cap_t`): bit `n` is capability `n`; bits
/// past [`Cap::LAST`] are never set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CapSet(u64);

impl CapSet {
    pub const EMPTY: CapSet = CapSet(0);
    /// Every capability Linux knows (`CAP_FULL_SET`).
    pub const FULL: CapSet = CapSet((1 << (Cap::LAST.0 as u64 + 1)) - 1);
    /// The capabilities a change of the filesystem uid from/to 0 drops/raises
    /// (`CAP_FS_MASK`).
    pub const FS_MASK: CapSet = CapSet(
        Cap::CHOWN.bit()
            | Cap::MKNOD.bit()
            | Cap::DAC_OVERRIDE.bit()
            | Cap::DAC_READ_SEARCH.bit()
            | Cap::FOWNER.bit()
            | Cap::FSETID.bit()
            | Cap::MAC_OVERRIDE.bit(),
    );

    /// From raw bits; bits of unknown capabilities are dropped.
    pub const fn from_bits(bits: u64) -> CapSet {
        CapSet(bits & CapSet::FULL.0)
    }

    pub const fn bits(self) -> u64 {
        self.0
    }

    pub fn of(caps: &[Cap]) -> CapSet {
        caps.iter().fold(CapSet::EMPTY, |s, &c| s.with(c))
    }

    pub fn has(self, cap: Cap) -> bool {
        self.0 & cap.bit() != 0
    }

    #[must_use]
    pub fn with(self, cap: Cap) -> CapSet {
        CapSet(self.0 | cap.bit())
    }

    #[must_use]
    pub fn without(self, cap: Cap) -> CapSet {
        CapSet(self.0 & !cap.bit())
    }

    #[must_use]
    pub fn union(self, other: CapSet) -> CapSet {
        CapSet(self.0 | other.0)
    }

    #[must_use]
    pub fn intersect(self, other: CapSet) -> CapSet {
        CapSet(self.0 & other.0)
    }

    #[must_use]
    pub fn minus(self, other: CapSet) -> CapSet {
        CapSet(self.0 & !other.0)
    }

    pub fn is_subset_of(self, other: CapSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Cap> {
        Cap::all().filter(move |c| self.has(*c))
    }

    /// A set from config.json-style names. Unknown names are returned
    /// apart (runc warns about them and goes on).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> (CapSet, alloc::vec::Vec<&'a str>) {
        let mut set = CapSet::EMPTY;
        let mut unknown = alloc::vec::Vec::new();
        for name in names {
            match Cap::from_name(name) {
                Some(c) => set = set.with(c),
                None => unknown.push(name),
            }
        }
        (set, unknown)
    }
}

impl fmt::Debug for CapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CapSet({:#x})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(Cap::from_name("CAP_KILL"), Some(Cap::KILL));
        assert_eq!(Cap::from_name("cap_net_bind_service"), Some(Cap::NET_BIND_SERVICE));
        assert_eq!(Cap::from_name("sys_admin"), Some(Cap::SYS_ADMIN));
        assert_eq!(Cap::from_name("CAP_NOPE"), None);
        assert_eq!(Cap::from_name("CAP_"), None);
        assert_eq!(Cap::CHECKPOINT_RESTORE.name(), "CAP_CHECKPOINT_RESTORE");
        assert_eq!(Cap::new(40), Some(Cap::LAST));
        assert_eq!(Cap::new(41), None);
        for c in Cap::all() {
            assert_eq!(Cap::from_name(c.name()), Some(c));
        }
    }

    #[test]
    fn full_set_is_cap_last_cap_bits() {
        // /proc/self/status of a root process on Linux 6.1: CapBnd 000001ffffffffff.
        assert_eq!(CapSet::FULL.bits(), 0x1ff_ffff_ffff);
        assert_eq!(CapSet::from_bits(u64::MAX), CapSet::FULL);
        assert_eq!(CapSet::FS_MASK.bits(), 0x1_0800_001f);
    }

    #[test]
    fn set_algebra() {
        let a = CapSet::of(&[Cap::KILL, Cap::CHOWN]);
        assert!(a.has(Cap::KILL) && !a.has(Cap::SETUID));
        assert!(CapSet::of(&[Cap::KILL]).is_subset_of(a));
        assert!(!a.is_subset_of(CapSet::of(&[Cap::KILL])));
        assert_eq!(a.without(Cap::KILL), CapSet::of(&[Cap::CHOWN]));
        assert_eq!(a.iter().collect::<alloc::vec::Vec<_>>(), [Cap::CHOWN, Cap::KILL]);
        let (set, unknown) = CapSet::from_names(["CAP_KILL", "CAP_BOGUS"]);
        assert_eq!((set, unknown), (CapSet::of(&[Cap::KILL]), alloc::vec!["CAP_BOGUS"]));
    }
}
