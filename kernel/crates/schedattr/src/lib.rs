//! Linux scheduling attributes, without hardware: what `sched_setscheduler`,
//! `sched_setparam`, `setpriority` and `sched_setaffinity` decide before a
//! scheduler acts on it.
//!
//! Role: [`SchedAttr`] is one thread's policy, real-time priority, nice
//! value and reset-on-fork flag, with Linux's checks for changing them
//! (`__sched_setscheduler`'s parameter and permission rules, `can_nice`,
//! `set_one_prio`'s owner rule) and what `fork` does to them
//! (`sched_fork`). [`weight`] is CFS's load weight of a nice value.
//! [`cpumask`] holds the affinity-mask rules of `sched_{get,set}affinity`
//! for a machine of `nr_cpus` CPUs.
//!
//! Invariants: a `SchedAttr` always holds a valid combination (an RT
//! policy has a priority in 1..=99, any other policy 0; nice in -20..=19);
//! every transition returns a new value or Linux's errno; no input panics.
//!
//! Depends on: `errno`, `creds` (capabilities and limits).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cpumask;

use creds::{Cap, Cred};
use errno::Errno;

pub const SCHED_OTHER: u32 = 0;
pub const SCHED_FIFO: u32 = 1;
pub const SCHED_RR: u32 = 2;
pub const SCHED_BATCH: u32 = 3;
pub const SCHED_IDLE: u32 = 5;
pub const SCHED_DEADLINE: u32 = 6;
/// Or-ed into the policy of sched_setscheduler / reported by sched_getscheduler.
pub const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;

/// Highest real-time priority (`MAX_RT_PRIO - 1`).
pub const MAX_RT_PRIO: u32 = 99;
pub const MIN_NICE: i32 = -20;
pub const MAX_NICE: i32 = 19;
/// `RR_TIMESLICE`: the quantum of SCHED_RR, in milliseconds.
pub const RR_TIMESLICE_MS: u64 = 100;

/// getpriority/setpriority `which`.
pub const PRIO_PROCESS: i32 = 0;
pub const PRIO_PGRP: i32 = 1;
pub const PRIO_USER: i32 = 2;

pub fn valid_policy(policy: u32) -> bool {
    matches!(policy, SCHED_OTHER | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE)
}

pub fn rt_policy(policy: u32) -> bool {
    matches!(policy, SCHED_FIFO | SCHED_RR)
}

/// sched_get_priority_max(2).
pub fn priority_max(policy: i32) -> Result<u32, Errno> {
    match u32::try_from(policy) {
        Ok(SCHED_FIFO | SCHED_RR) => Ok(MAX_RT_PRIO),
        Ok(SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE) => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// sched_get_priority_min(2).
pub fn priority_min(policy: i32) -> Result<u32, Errno> {
    match u32::try_from(policy) {
        Ok(SCHED_FIFO | SCHED_RR) => Ok(1),
        Ok(SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE) => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// `nice_to_rlimit`: the 1..=40 scale getpriority returns and RLIMIT_NICE uses.
pub fn nice_to_rlimit(nice: i32) -> u64 {
    (MAX_NICE - nice.clamp(MIN_NICE, MAX_NICE) + 1) as u64
}

/// `sched_prio_to_weight`: CFS's load weight of each nice value (-20..=19).
const WEIGHTS: [u32; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121, 2501,
    1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
];
/// The weight of SCHED_IDLE threads (`WEIGHT_IDLEPRIO`).
pub const WEIGHT_IDLE: u32 = 3;
/// The weight of nice 0.
pub const NICE_0_WEIGHT: u32 = 1024;

/// CFS's load weight of a nice value.
pub fn weight(nice: i32) -> u32 {
    WEIGHTS[(nice.clamp(MIN_NICE, MAX_NICE) - MIN_NICE) as usize]
}

/// What a permission check knows about the thread being changed.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub cred: &'a Cred,
    /// Its soft RLIMIT_NICE and RLIMIT_RTPRIO.
    pub rlimit_nice: u64,
    pub rlimit_rtprio: u64,
}

/// `check_same_owner` / `set_one_prio_perm`: the caller's effective uid is
/// the target's real or effective uid.
pub fn same_owner(caller: &Cred, target: &Cred) -> bool {
    caller.euid == target.euid || caller.euid == target.ruid
}

/// `can_nice`: a nice value of `nice` is within the target's RLIMIT_NICE,
/// or the caller has CAP_SYS_NICE.
pub fn can_nice(caller: &Cred, target: &Target<'_>, nice: i32) -> bool {
    nice_to_rlimit(nice) <= target.rlimit_nice || caller.capable(Cap::SYS_NICE)
}

/// One thread's scheduling attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedAttr {
    policy: u32,
    rt_priority: u32,
    nice: i32,
    reset_on_fork: bool,
}

impl Default for SchedAttr {
    fn default() -> Self {
        SchedAttr { policy: SCHED_OTHER, rt_priority: 0, nice: 0, reset_on_fork: false }
    }
}

impl SchedAttr {
    pub fn policy(&self) -> u32 {
        self.policy
    }

    pub fn rt_priority(&self) -> u32 {
        self.rt_priority
    }

    pub fn nice(&self) -> i32 {
        self.nice
    }

    pub fn reset_on_fork(&self) -> bool {
        self.reset_on_fork
    }

    /// What sched_getscheduler returns.
    pub fn getscheduler(&self) -> i32 {
        self.policy as i32 | if self.reset_on_fork { SCHED_RESET_ON_FORK } else { 0 }
    }

    /// The load weight the scheduler should give the thread.
    pub fn weight(&self) -> u32 {
        match self.policy {
            SCHED_IDLE => WEIGHT_IDLE,
            _ => weight(self.nice),
        }
    }

    /// sched_setscheduler (`policy` as passed, `SCHED_RESET_ON_FORK` may be
    /// or-ed in) and sched_setparam (`policy` -1: keep the current one),
    /// with Linux's checks in Linux's order: EINVAL for a bad policy or
    /// priority, EPERM for what needs CAP_SYS_NICE (`user_check_sched_setscheduler`).
    pub fn setscheduler(&self, caller: &Cred, target: &Target<'_>, policy: i32, priority: i32) -> Result<SchedAttr, Errno> {
        let (policy, reset_on_fork) = if policy < 0 {
            (self.policy, self.reset_on_fork)
        } else {
            let reset = policy & SCHED_RESET_ON_FORK != 0;
            let p = (policy & !SCHED_RESET_ON_FORK) as u32;
            if !valid_policy(p) {
                return Err(Errno::EINVAL);
            }
            (p, reset)
        };
        // The C `int` priority is stored into an unsigned field: negative is huge.
        let priority = priority as u32;
        if priority > MAX_RT_PRIO {
            return Err(Errno::EINVAL);
        }
        // SCHED_DEADLINE through this call carries no runtime/deadline/period: invalid.
        if policy == SCHED_DEADLINE || rt_policy(policy) != (priority != 0) {
            return Err(Errno::EINVAL);
        }
        if !caller.capable(Cap::SYS_NICE) {
            if rt_policy(policy) {
                if policy != self.policy && target.rlimit_rtprio == 0 {
                    return Err(Errno::EPERM);
                }
                if priority > self.rt_priority && u64::from(priority) > target.rlimit_rtprio {
                    return Err(Errno::EPERM);
                }
            }
            if self.policy == SCHED_IDLE && policy != SCHED_IDLE && !can_nice(caller, target, self.nice) {
                return Err(Errno::EPERM);
            }
            if !same_owner(caller, target.cred) {
                return Err(Errno::EPERM);
            }
            if self.reset_on_fork && !reset_on_fork {
                return Err(Errno::EPERM);
            }
        }
        Ok(SchedAttr { policy, rt_priority: priority, nice: self.nice, reset_on_fork })
    }

    /// setpriority on this thread (`set_one_prio`): `nice` already clamped
    /// to -20..=19; EPERM if the caller does not own it, EACCES to lower the
    /// nice value past RLIMIT_NICE without CAP_SYS_NICE.
    pub fn setpriority(&self, caller: &Cred, target: &Target<'_>, nice: i32) -> Result<SchedAttr, Errno> {
        if !same_owner(caller, target.cred) && !caller.capable(Cap::SYS_NICE) {
            return Err(Errno::EPERM);
        }
        if nice < self.nice && !can_nice(caller, target, nice) {
            return Err(Errno::EACCES);
        }
        Ok(SchedAttr { nice: nice.clamp(MIN_NICE, MAX_NICE), ..*self })
    }

    /// The attributes of a child of fork/clone (`sched_fork`): with
    /// reset-on-fork, an RT policy becomes SCHED_OTHER at nice 0, a
    /// negative nice becomes 0, and the flag is cleared.
    pub fn on_fork(&self) -> SchedAttr {
        if !self.reset_on_fork {
            return *self;
        }
        if rt_policy(self.policy) || self.policy == SCHED_DEADLINE {
            SchedAttr::default()
        } else {
            SchedAttr { nice: self.nice.max(0), reset_on_fork: false, ..*self }
        }
    }

    /// The time slice sched_rr_get_interval reports and the round-robin
    /// scheduler gives (ms): RR's quantum, none for FIFO (0), and for the
    /// others `base_ms` scaled by the weight (at least 1 ms, at most 20x).
    pub fn slice_ms(&self, base_ms: u64) -> u64 {
        match self.policy {
            SCHED_RR => RR_TIMESLICE_MS,
            SCHED_FIFO => 0,
            _ => (base_ms * u64::from(self.weight()) / u64::from(NICE_0_WEIGHT)).clamp(1, base_ms * 20),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn root() -> Cred {
        Cred::new(0, 0, Vec::new())
    }

    fn user(uid: u32) -> Cred {
        Cred::new(uid, uid, Vec::new())
    }

    fn target(cred: &Cred) -> Target<'_> {
        Target { cred, rlimit_nice: 0, rlimit_rtprio: 0 }
    }

    #[test]
    fn priority_ranges() {
        assert_eq!(priority_max(SCHED_FIFO as i32), Ok(99));
        assert_eq!(priority_min(SCHED_RR as i32), Ok(1));
        assert_eq!(priority_max(SCHED_OTHER as i32), Ok(0));
        assert_eq!(priority_min(SCHED_DEADLINE as i32), Ok(0));
        assert_eq!(priority_max(4), Err(Errno::EINVAL));
        assert_eq!(priority_min(-1), Err(Errno::EINVAL));
    }

    #[test]
    fn setscheduler_parameters() {
        let a = SchedAttr::default();
        let r = root();
        let t = target(&r);
        assert_eq!(a.setscheduler(&r, &t, 7, 0), Err(Errno::EINVAL));
        assert_eq!(a.setscheduler(&r, &t, SCHED_FIFO as i32, 0), Err(Errno::EINVAL));
        assert_eq!(a.setscheduler(&r, &t, SCHED_FIFO as i32, 100), Err(Errno::EINVAL));
        assert_eq!(a.setscheduler(&r, &t, SCHED_FIFO as i32, -1), Err(Errno::EINVAL));
        assert_eq!(a.setscheduler(&r, &t, SCHED_OTHER as i32, 1), Err(Errno::EINVAL));
        assert_eq!(a.setscheduler(&r, &t, SCHED_DEADLINE as i32, 0), Err(Errno::EINVAL));
        let fifo = a.setscheduler(&r, &t, SCHED_FIFO as i32, 10).unwrap();
        assert_eq!((fifo.policy(), fifo.rt_priority()), (SCHED_FIFO, 10));
        // setparam keeps the policy.
        let fifo2 = fifo.setscheduler(&r, &t, -1, 20).unwrap();
        assert_eq!((fifo2.policy(), fifo2.rt_priority()), (SCHED_FIFO, 20));
        assert_eq!(fifo.setscheduler(&r, &t, -1, 0), Err(Errno::EINVAL));
        let reset = a.setscheduler(&r, &t, SCHED_BATCH as i32 | SCHED_RESET_ON_FORK, 0).unwrap();
        assert_eq!(reset.getscheduler(), SCHED_BATCH as i32 | SCHED_RESET_ON_FORK);
    }

    #[test]
    fn setscheduler_permissions() {
        let u = user(1000);
        let other = user(1001);
        let a = SchedAttr::default();
        let mut t = target(&u);
        assert_eq!(a.setscheduler(&u, &t, SCHED_FIFO as i32, 1), Err(Errno::EPERM));
        assert_eq!(a.setscheduler(&u, &t, SCHED_BATCH as i32, 0).map(|x| x.policy()), Ok(SCHED_BATCH));
        assert_eq!(a.setscheduler(&u, &target(&other), SCHED_BATCH as i32, 0), Err(Errno::EPERM));
        t.rlimit_rtprio = 5;
        let rr = a.setscheduler(&u, &t, SCHED_RR as i32, 5).unwrap();
        assert_eq!(a.setscheduler(&u, &t, SCHED_RR as i32, 6), Err(Errno::EPERM));
        assert_eq!(rr.setscheduler(&u, &t, -1, 3).map(|x| x.rt_priority()), Ok(3));
        // Reset-on-fork cannot be cleared without the capability.
        let reset = a.setscheduler(&u, &t, SCHED_OTHER as i32 | SCHED_RESET_ON_FORK, 0).unwrap();
        assert_eq!(reset.setscheduler(&u, &t, SCHED_OTHER as i32, 0), Err(Errno::EPERM));
        assert!(reset.setscheduler(&root(), &t, SCHED_OTHER as i32, 0).is_ok());
        // Leaving SCHED_IDLE needs the nice limit.
        let idle = a.setscheduler(&u, &t, SCHED_IDLE as i32, 0).unwrap();
        assert_eq!(idle.setscheduler(&u, &t, SCHED_OTHER as i32, 0), Err(Errno::EPERM));
        t.rlimit_nice = 20;
        assert!(idle.setscheduler(&u, &t, SCHED_OTHER as i32, 0).is_ok());
    }

    #[test]
    fn nice_rules() {
        let u = user(1000);
        let mut t = target(&u);
        let a = SchedAttr::default();
        let n5 = a.setpriority(&u, &t, 5).unwrap();
        assert_eq!(n5.nice(), 5);
        assert_eq!(n5.setpriority(&u, &t, 4), Err(Errno::EACCES));
        t.rlimit_nice = 20 - 2 + 0; // allows nice >= 2
        assert_eq!(n5.setpriority(&u, &t, 2).map(|x| x.nice()), Ok(2));
        assert_eq!(n5.setpriority(&u, &t, 1), Err(Errno::EACCES));
        assert_eq!(n5.setpriority(&user(7), &t, 10), Err(Errno::EPERM));
        assert_eq!(n5.setpriority(&root(), &t, -20).map(|x| x.nice()), Ok(-20));
        assert_eq!(nice_to_rlimit(-20), 40);
        assert_eq!(nice_to_rlimit(19), 1);
        assert_eq!(weight(0), 1024);
        assert_eq!(weight(19), 15);
        assert_eq!(weight(-20), 88761);
    }

    #[test]
    fn fork_resets() {
        let r = root();
        let t = target(&r);
        let rr = SchedAttr::default().setscheduler(&r, &t, SCHED_RR as i32 | SCHED_RESET_ON_FORK, 50).unwrap();
        assert_eq!(rr.on_fork(), SchedAttr::default());
        let neg = SchedAttr::default().setpriority(&r, &t, -5).unwrap();
        let neg = neg.setscheduler(&r, &t, SCHED_OTHER as i32 | SCHED_RESET_ON_FORK, 0).unwrap();
        assert_eq!(neg.on_fork().nice(), 0);
        assert!(!neg.on_fork().reset_on_fork());
        let plain = SchedAttr::default().setpriority(&r, &t, 3).unwrap();
        assert_eq!(plain.on_fork(), plain);
    }

    #[test]
    fn slices() {
        let r = root();
        let t = target(&r);
        let a = SchedAttr::default();
        assert_eq!(a.slice_ms(10), 10);
        assert_eq!(a.setpriority(&r, &t, 19).unwrap().slice_ms(10), 1);
        assert_eq!(a.setpriority(&r, &t, -20).unwrap().slice_ms(10), 200);
        assert_eq!(a.setscheduler(&r, &t, SCHED_RR as i32, 1).unwrap().slice_ms(10), 100);
        assert_eq!(a.setscheduler(&r, &t, SCHED_FIFO as i32, 1).unwrap().slice_ms(10), 0);
    }
}
