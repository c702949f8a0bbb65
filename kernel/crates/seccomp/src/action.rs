//! `SECCOMP_RET_*` values, their precedence, and filter stacks evaluated as
//! Linux's `seccomp_run_filters` does.

use alloc::sync::Arc;
use errno::Errno;

use crate::bpf::Program;
use crate::data::SeccompData;

pub const SECCOMP_RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const SECCOMP_RET_KILL_THREAD: u32 = 0x0000_0000;
pub const SECCOMP_RET_TRAP: u32 = 0x0003_0000;
pub const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
pub const SECCOMP_RET_USER_NOTIF: u32 = 0x7fc0_0000;
pub const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
pub const SECCOMP_RET_LOG: u32 = 0x7ffc_0000;
pub const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
/// The action part of a return value (with the sign bit).
pub const SECCOMP_RET_ACTION_FULL: u32 = 0xffff_0000;
/// The data part.
pub const SECCOMP_RET_DATA: u32 = 0x0000_ffff;
/// Linux's `MAX_ERRNO`: an `ERRNO` action's data is capped to it.
pub const MAX_ERRNO: u16 = 4095;
/// Instructions (plus 4 per filter) one thread's stack may hold
/// (`MAX_INSNS_PER_PATH`); more is `ENOMEM`.
pub const MAX_INSNS_PER_PATH: usize = (1 << 18) / crate::bpf::INSN_SIZE;

/// What a return value asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Also what any value that is not a known action means.
    KillProcess,
    KillThread,
    /// SIGSYS with the data in `si_errno`.
    Trap(u16),
    /// The call fails with this errno (capped at [`MAX_ERRNO`]) without running.
    Errno(u16),
    UserNotif,
    Trace(u16),
    Log,
    Allow,
}

impl Action {
    /// Decodes a filter's return value as `__seccomp_filter` does.
    pub fn from_ret(ret: u32) -> Action {
        let data = (ret & SECCOMP_RET_DATA) as u16;
        match ret & SECCOMP_RET_ACTION_FULL {
            SECCOMP_RET_KILL_THREAD => Action::KillThread,
            SECCOMP_RET_TRAP => Action::Trap(data),
            SECCOMP_RET_ERRNO => Action::Errno(data.min(MAX_ERRNO)),
            SECCOMP_RET_USER_NOTIF => Action::UserNotif,
            SECCOMP_RET_TRACE => Action::Trace(data),
            SECCOMP_RET_LOG => Action::Log,
            SECCOMP_RET_ALLOW => Action::Allow,
            _ => Action::KillProcess,
        }
    }

    /// The return value a filter gives for this action.
    pub fn to_ret(self) -> u32 {
        match self {
            Action::KillProcess => SECCOMP_RET_KILL_PROCESS,
            Action::KillThread => SECCOMP_RET_KILL_THREAD,
            Action::Trap(d) => SECCOMP_RET_TRAP | u32::from(d),
            Action::Errno(d) => SECCOMP_RET_ERRNO | u32::from(d),
            Action::UserNotif => SECCOMP_RET_USER_NOTIF,
            Action::Trace(d) => SECCOMP_RET_TRACE | u32::from(d),
            Action::Log => SECCOMP_RET_LOG,
            Action::Allow => SECCOMP_RET_ALLOW,
        }
    }
}

/// `ACTION_ONLY`: the action part as a signed number; smaller is more restrictive.
fn rank(ret: u32) -> i32 {
    (ret & SECCOMP_RET_ACTION_FULL) as i32
}

/// `SECCOMP_GET_ACTION_AVAIL`: whether this kernel knows `action` (no data bits).
pub fn action_available(action: u32) -> bool {
    matches!(
        action,
        SECCOMP_RET_KILL_PROCESS
            | SECCOMP_RET_KILL_THREAD
            | SECCOMP_RET_TRAP
            | SECCOMP_RET_ERRNO
            | SECCOMP_RET_USER_NOTIF
            | SECCOMP_RET_TRACE
            | SECCOMP_RET_LOG
            | SECCOMP_RET_ALLOW
    )
}

/// The syscalls `SECCOMP_MODE_STRICT` allows: read, write, exit, rt_sigreturn.
pub fn strict_allows(nr: u64) -> bool {
    use linux_abi::sysno::{SYS_EXIT, SYS_READ, SYS_RT_SIGRETURN, SYS_WRITE};
    [SYS_READ, SYS_WRITE, SYS_EXIT, SYS_RT_SIGRETURN].iter().any(|&n| n as u64 == nr)
}

/// One attached filter; filters are shared (fork, TSYNC) and never change.
#[derive(Debug)]
pub struct Filter {
    prog: Program,
    /// Installed with `SECCOMP_FILTER_FLAG_LOG`.
    log: bool,
    prev: Option<Arc<Filter>>,
}

impl Drop for Filter {
    /// Drops a chain of filters without recursing once per filter (a stack
    /// may hold thousands).
    fn drop(&mut self) {
        let mut next = self.prev.take();
        while let Some(f) = next {
            next = match Arc::try_unwrap(f) {
                Ok(mut only) => only.prev.take(),
                Err(_) => None,
            };
        }
    }
}

/// The outcome of running a stack for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The deciding return value (action and data).
    pub ret: u32,
    /// Whether the filter that decided asked for logging (`SECCOMP_FILTER_FLAG_LOG`).
    pub log: bool,
}

impl Verdict {
    pub fn action(self) -> Action {
        Action::from_ret(self.ret)
    }
}

/// A thread's filters, newest first; cloning shares them (fork, TSYNC).
#[derive(Debug, Clone, Default)]
pub struct FilterStack {
    top: Option<Arc<Filter>>,
    count: usize,
    /// Instructions on the path, with Linux's 4-instruction penalty per filter.
    insns: usize,
}

impl FilterStack {
    pub const fn new() -> FilterStack {
        FilterStack { top: None, count: 0, insns: 0 }
    }

    /// Attaches `prog` on top (`seccomp_attach_filter`); `ENOMEM` when the
    /// path would exceed [`MAX_INSNS_PER_PATH`].
    pub fn push(&mut self, prog: Program, log: bool) -> Result<(), Errno> {
        let total = if self.count == 0 { prog.len() } else { self.insns + prog.len() + 4 };
        if total > MAX_INSNS_PER_PATH {
            return Err(Errno::ENOMEM);
        }
        self.top = Some(Arc::new(Filter { prog, log, prev: self.top.take() }));
        self.count += 1;
        self.insns = total;
        Ok(())
    }

    /// How many filters are attached (`Seccomp_filters:`).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether `other` is this stack or one it grew from (TSYNC's
    /// `is_ancestor`): the threads may be synchronised to this one.
    pub fn extends(&self, other: &FilterStack) -> bool {
        let Some(target) = &other.top else { return true };
        let mut walk = self.top.as_ref();
        while let Some(f) = walk {
            if Arc::ptr_eq(f, target) {
                return true;
            }
            walk = f.prev.as_ref();
        }
        false
    }

    /// Runs every filter, newest first; the most restrictive action wins,
    /// and among equals the newest filter's value (`seccomp_run_filters`).
    /// An empty stack allows.
    pub fn evaluate(&self, data: &SeccompData) -> Verdict {
        let mut best = Verdict { ret: SECCOMP_RET_ALLOW, log: false };
        let mut walk = self.top.as_ref();
        while let Some(f) = walk {
            let ret = f.prog.run(data);
            if rank(ret) < rank(best.ret) {
                best = Verdict { ret, log: f.log };
            }
            walk = f.prev.as_ref();
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bpf::{Insn, BPF_K, BPF_RET};
    use alloc::vec;

    fn returning(ret: u32) -> Program {
        Program::new(vec![Insn::stmt(BPF_RET | BPF_K, ret)]).unwrap()
    }

    #[test]
    fn decode() {
        assert_eq!(Action::from_ret(0x0005_0016), Action::Errno(22));
        assert_eq!(Action::from_ret(0x0005_ffff), Action::Errno(4095));
        assert_eq!(Action::from_ret(0x0003_0007), Action::Trap(7));
        assert_eq!(Action::from_ret(0x7fff_1234), Action::Allow);
        assert_eq!(Action::from_ret(0x0001_0000), Action::KillProcess);
        assert_eq!(Action::from_ret(0x8000_0000), Action::KillProcess);
        assert_eq!(Action::from_ret(0), Action::KillThread);
        assert!(action_available(SECCOMP_RET_LOG));
        assert!(!action_available(SECCOMP_RET_ERRNO | 1));
        assert!(strict_allows(60) && !strict_allows(231));
    }

    #[test]
    fn most_restrictive_wins_newest_breaks_ties() {
        let d = SeccompData::x86_64(39, [0; 6], 0);
        let mut s = FilterStack::new();
        assert_eq!(s.evaluate(&d).ret, SECCOMP_RET_ALLOW);
        s.push(returning(SECCOMP_RET_ERRNO | 1), false).unwrap();
        s.push(returning(SECCOMP_RET_LOG), true).unwrap();
        s.push(returning(SECCOMP_RET_ERRNO | 2), true).unwrap();
        assert_eq!(s.evaluate(&d), Verdict { ret: SECCOMP_RET_ERRNO | 2, log: true });
        let mut child = s.clone();
        child.push(returning(SECCOMP_RET_TRAP | 5), false).unwrap();
        assert_eq!(child.evaluate(&d).action(), Action::Trap(5));
        assert_eq!(s.evaluate(&d).action(), Action::Errno(2));
        child.push(returning(SECCOMP_RET_KILL_PROCESS), false).unwrap();
        child.push(returning(SECCOMP_RET_KILL_THREAD), false).unwrap();
        assert_eq!(child.evaluate(&d).action(), Action::KillProcess);
        assert_eq!((s.len(), child.len()), (3, 6));
        assert!(child.extends(&s) && !s.extends(&child) && s.extends(&FilterStack::new()));
    }

    #[test]
    fn path_length_limit() {
        let mut s = FilterStack::new();
        let big = Program::new(vec![Insn::stmt(BPF_RET | BPF_K, 0); 4096]).unwrap();
        // 4096 + 7 * (4096 + 4) = 32796 > 32768: the 8th is refused.
        for _ in 0..7 {
            s.push(big.clone(), false).unwrap();
        }
        assert_eq!(s.push(big, false), Err(Errno::ENOMEM));
        assert_eq!(s.len(), 7);
        // Deep stacks drop without recursion.
        let mut deep = FilterStack::new();
        for _ in 0..6000 {
            deep.push(returning(SECCOMP_RET_ALLOW), false).unwrap();
        }
        drop(deep);
    }
}
