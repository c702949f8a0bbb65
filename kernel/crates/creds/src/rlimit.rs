//! Resource limits (getrlimit(2)): the sixteen `RLIMIT_*` resources, their
//! Linux defaults, and the rules for changing them (`do_prlimit`).

use errno::Errno;

/// `RLIM_INFINITY`.
pub const INFINITY: u64 = u64::MAX;

/// A resource number (`RLIMIT_CPU` is 0, `RLIMIT_NOFILE` 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Resource(u8);

const NAMES: [&str; 16] = [
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
];

impl Resource {
    pub const CPU: Resource = Resource(0);
    pub const FSIZE: Resource = Resource(1);
    pub const DATA: Resource = Resource(2);
    pub const STACK: Resource = Resource(3);
    pub const CORE: Resource = Resource(4);
    pub const RSS: Resource = Resource(5);
    pub const NPROC: Resource = Resource(6);
    pub const NOFILE: Resource = Resource(7);
    pub const MEMLOCK: Resource = Resource(8);
    pub const AS: Resource = Resource(9);
    pub const LOCKS: Resource = Resource(10);
    pub const SIGPENDING: Resource = Resource(11);
    pub const MSGQUEUE: Resource = Resource(12);
    pub const NICE: Resource = Resource(13);
    pub const RTPRIO: Resource = Resource(14);
    pub const RTTIME: Resource = Resource(15);
    /// `RLIM_NLIMITS`.
    pub const COUNT: usize = 16;

    /// The resource numbered `n` (`EINVAL` past `RLIM_NLIMITS`).
    pub fn new(n: u64) -> Result<Resource, Errno> {
        (n < Resource::COUNT as u64).then_some(Resource(n as u8)).ok_or(Errno::EINVAL)
    }

    /// By config.json's name (`RLIMIT_NOFILE`).
    pub fn from_name(name: &str) -> Option<Resource> {
        NAMES.iter().position(|n| *n == name).map(|i| Resource(i as u8))
    }

    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0)]
    }

    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// One limit: the soft value enforced and the hard ceiling for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

impl Rlimit {
    pub const UNLIMITED: Rlimit = Rlimit { cur: INFINITY, max: INFINITY };

    pub const fn new(cur: u64, max: u64) -> Rlimit {
        Rlimit { cur, max }
    }

    /// `struct rlimit64` (two little-endian u64s).
    pub fn to_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.cur.to_le_bytes());
        out[8..].copy_from_slice(&self.max.to_le_bytes());
        out
    }

    pub fn from_bytes(raw: &[u8; 16]) -> Rlimit {
        let word = |i: usize| u64::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3], raw[i + 4], raw[i + 5], raw[i + 6], raw[i + 7]]);
        Rlimit { cur: word(0), max: word(8) }
    }

    pub fn is_unlimited(self) -> bool {
        self.cur == INFINITY
    }
}

/// `fs.nr_open`: the most RLIMIT_NOFILE's hard limit may be.
pub const NR_OPEN: u64 = 1024 * 1024;

/// A process's limits (shared by its threads, inherited by children).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimits([Rlimit; Resource::COUNT]);

impl Rlimits {
    /// What Linux's init starts with (`INIT_RLIMITS`) on a machine that
    /// allows `max_threads` threads: 8 MiB stack, no core files, 1024/4096
    /// descriptors, 8 MiB locked memory, `max_threads / 2` processes and
    /// pending signals, everything else unlimited.
    pub fn linux_defaults(max_threads: u64) -> Rlimits {
        let mut l = [Rlimit::UNLIMITED; Resource::COUNT];
        let half = Rlimit::new(max_threads / 2, max_threads / 2);
        l[Resource::STACK.index()] = Rlimit::new(8 * 1024 * 1024, INFINITY);
        l[Resource::CORE.index()] = Rlimit::new(0, INFINITY);
        l[Resource::NPROC.index()] = half;
        l[Resource::NOFILE.index()] = Rlimit::new(1024, 4096);
        l[Resource::MEMLOCK.index()] = Rlimit::new(8 * 1024 * 1024, 8 * 1024 * 1024);
        l[Resource::SIGPENDING.index()] = half;
        l[Resource::MSGQUEUE.index()] = Rlimit::new(819_200, 819_200);
        l[Resource::NICE.index()] = Rlimit::new(0, 0);
        l[Resource::RTPRIO.index()] = Rlimit::new(0, 0);
        Rlimits(l)
    }

    pub fn get(&self, r: Resource) -> Rlimit {
        self.0[r.index()]
    }

    /// The soft limit of `r`.
    pub fn cur(&self, r: Resource) -> u64 {
        self.get(r).cur
    }

    /// Sets `r` as setrlimit/prlimit do: `EINVAL` if soft > hard, `EPERM`
    /// for a hard limit above the current one without `CAP_SYS_RESOURCE`
    /// (`can_raise`) or a descriptor limit above `NR_OPEN`. Returns the old value.
    pub fn set(&mut self, r: Resource, new: Rlimit, can_raise: bool) -> Result<Rlimit, Errno> {
        if new.cur > new.max {
            return Err(Errno::EINVAL);
        }
        if r == Resource::NOFILE && new.max > NR_OPEN {
            return Err(Errno::EPERM);
        }
        let old = self.get(r);
        if new.max > old.max && !can_raise {
            return Err(Errno::EPERM);
        }
        self.0[r.index()] = new;
        Ok(old)
    }

    /// Sets `r` without the raise check (the runtime applying config.json).
    pub fn set_initial(&mut self, r: Resource, new: Rlimit) {
        self.0[r.index()] = new;
    }

    /// RLIMIT_CPU: the CPU time (in ticks of `hz` per second) at which a
    /// process that has used `used` ticks must next be looked at, as Linux
    /// signals: SIGXCPU at the soft limit and at each further second,
    /// SIGKILL at the hard limit. `u64::MAX` when there is no soft limit.
    pub fn cpu_check_at(&self, used: u64, hz: u64) -> u64 {
        let l = self.get(Resource::CPU);
        if l.cur == INFINITY {
            return u64::MAX;
        }
        let soft = l.cur.saturating_mul(hz);
        let next = if used < soft { soft } else { (used / hz + 1).saturating_mul(hz) };
        if l.max == INFINITY { next } else { next.min(l.max.saturating_mul(hz)) }
    }

    /// What RLIMIT_CPU does to a process that has used `used` ticks.
    pub fn cpu_verdict(&self, used: u64, hz: u64) -> CpuVerdict {
        let l = self.get(Resource::CPU);
        if l.max != INFINITY && used >= l.max.saturating_mul(hz) {
            CpuVerdict::Kill
        } else if l.cur != INFINITY && used >= l.cur.saturating_mul(hz) {
            CpuVerdict::Signal
        } else {
            CpuVerdict::Nothing
        }
    }
}

/// RLIMIT_CPU's decision for a process's CPU time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuVerdict {
    Nothing,
    /// SIGXCPU (past the soft limit).
    Signal,
    /// SIGKILL (at the hard limit).
    Kill,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(Resource::from_name("RLIMIT_NOFILE"), Some(Resource::NOFILE));
        assert_eq!(Resource::NOFILE.index(), 7);
        assert_eq!(Resource::new(15).map(Resource::name), Ok("RLIMIT_RTTIME"));
        assert_eq!(Resource::new(16), Err(Errno::EINVAL));
        assert_eq!(Resource::from_name("RLIMIT_BOGUS"), None);
    }

    #[test]
    fn defaults_match_linux_init() {
        let l = Rlimits::linux_defaults(4096);
        assert_eq!(l.get(Resource::NOFILE), Rlimit::new(1024, 4096));
        assert_eq!(l.get(Resource::STACK), Rlimit::new(8 << 20, INFINITY));
        assert_eq!(l.get(Resource::CORE), Rlimit::new(0, INFINITY));
        assert_eq!(l.get(Resource::NPROC), Rlimit::new(2048, 2048));
        assert!(l.get(Resource::AS).is_unlimited());
    }

    #[test]
    fn set_rules() {
        let mut l = Rlimits::linux_defaults(4096);
        assert_eq!(l.set(Resource::NOFILE, Rlimit::new(10, 5), true), Err(Errno::EINVAL));
        assert_eq!(l.set(Resource::NOFILE, Rlimit::new(10, NR_OPEN + 1), true), Err(Errno::EPERM));
        assert_eq!(l.set(Resource::NOFILE, Rlimit::new(10, 8192), false), Err(Errno::EPERM));
        assert_eq!(l.set(Resource::NOFILE, Rlimit::new(10, 100), false), Ok(Rlimit::new(1024, 4096)));
        // Lowered hard limits stay lowered without the capability.
        assert_eq!(l.set(Resource::NOFILE, Rlimit::new(10, 101), false), Err(Errno::EPERM));
        assert_eq!(l.set(Resource::NOFILE, Rlimit::new(100, 100), false), Ok(Rlimit::new(10, 100)));
        assert!(l.set(Resource::NOFILE, Rlimit::new(10, 8192), true).is_ok());
    }

    #[test]
    fn cpu_limit_points() {
        let mut l = Rlimits::linux_defaults(4096);
        assert_eq!(l.cpu_check_at(0, 100), u64::MAX);
        l.set_initial(Resource::CPU, Rlimit::new(1, 3));
        assert_eq!(l.cpu_check_at(0, 100), 100);
        assert_eq!(l.cpu_verdict(99, 100), CpuVerdict::Nothing);
        assert_eq!(l.cpu_verdict(100, 100), CpuVerdict::Signal);
        // Then once a second past the soft limit, the hard limit at the latest.
        assert_eq!(l.cpu_check_at(100, 100), 200);
        assert_eq!(l.cpu_check_at(250, 100), 300);
        assert_eq!(l.cpu_verdict(300, 100), CpuVerdict::Kill);
        l.set_initial(Resource::CPU, Rlimit::new(1, INFINITY));
        assert_eq!(l.cpu_check_at(5000, 100), 5100);
        assert_eq!(l.cpu_verdict(5000, 100), CpuVerdict::Signal);
    }

    #[test]
    fn bytes_round_trip() {
        let r = Rlimit::new(1024, INFINITY);
        assert_eq!(Rlimit::from_bytes(&r.to_bytes()), r);
    }
}
