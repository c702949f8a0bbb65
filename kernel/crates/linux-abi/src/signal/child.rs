//! [`ChildStatus`]: what happened to a child, in the three encodings the
//! parent sees: the wait4(2) status word, waitid(2)'s `siginfo_t` and the
//! SIGCHLD `siginfo_t` (kernel/exit.c `wait_task_*`, kernel/signal.c
//! `do_notify_parent`, `do_notify_parent_cldstop`).

use crate::flags::{
    wait_status_exited, wait_status_signaled, wait_status_stopped, Signal, CLD_CONTINUED,
    CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, WAIT_STATUS_CONTINUED,
};
use crate::structs::Siginfo;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChildStatus {
    /// exit(2)/exit_group(2) with this code (its low 8 bits).
    Exited(u8),
    /// Killed by a signal; `core` for the CoreDump default actions.
    Killed { signal: Signal, core: bool },
    /// Stopped by this signal.
    Stopped(Signal),
    /// Resumed by SIGCONT.
    Continued,
}

impl ChildStatus {
    /// The wait4(2) status word (`WIFEXITED`, `WTERMSIG`, ...).
    pub const fn wait_status(self) -> i32 {
        match self {
            ChildStatus::Exited(code) => wait_status_exited(code),
            ChildStatus::Killed { signal, core } => wait_status_signaled(signal.number(), core),
            ChildStatus::Stopped(signal) => wait_status_stopped(signal.number()),
            ChildStatus::Continued => WAIT_STATUS_CONTINUED,
        }
    }

    /// Decodes a status word (what a shell does with `$?`); `None` for
    /// words no child can produce.
    pub fn from_wait_status(status: i32) -> Option<ChildStatus> {
        let low = status & 0x7f;
        if status == WAIT_STATUS_CONTINUED {
            Some(ChildStatus::Continued)
        } else if status & !0xffff != 0 {
            None
        } else if low == 0 {
            (status & 0xff == 0).then_some(ChildStatus::Exited((status >> 8) as u8))
        } else if low == 0x7f {
            (status & 0x80 == 0).then(|| Signal::new((status >> 8) & 0xff).map(ChildStatus::Stopped)).flatten()
        } else {
            (status >> 8 == 0)
                .then(|| Signal::new(low).map(|signal| ChildStatus::Killed { signal, core: status & 0x80 != 0 }))
                .flatten()
        }
    }

    /// `si_code`: CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED or CLD_CONTINUED.
    pub const fn cld_code(self) -> i32 {
        match self {
            ChildStatus::Exited(_) => CLD_EXITED,
            ChildStatus::Killed { core: false, .. } => CLD_KILLED,
            ChildStatus::Killed { core: true, .. } => CLD_DUMPED,
            ChildStatus::Stopped(_) => CLD_STOPPED,
            ChildStatus::Continued => CLD_CONTINUED,
        }
    }

    /// `si_status`: the exit code, or the signal (SIGCONT for Continued).
    pub const fn si_status(self) -> i32 {
        match self {
            ChildStatus::Exited(code) => code as i32,
            ChildStatus::Killed { signal, .. } | ChildStatus::Stopped(signal) => signal.number() as i32,
            ChildStatus::Continued => Signal::SIGCONT.number() as i32,
        }
    }

    /// The `siginfo_t` of the SIGCHLD sent to the parent, which is also what
    /// waitid(2) fills in: child `pid` and real `uid`, user and system time
    /// in clock ticks (USER_HZ = 100). waitid(2) on Linux writes only
    /// signo, errno, code, pid, uid and status (pass 0 for the times), and
    /// with WNOHANG and no child to report it writes all of them as 0.
    pub fn siginfo(self, pid: i32, uid: u32, utime: i64, stime: i64) -> Siginfo {
        Siginfo::child(self.cld_code(), pid, uid, self.si_status(), utime, stime)
    }
}
