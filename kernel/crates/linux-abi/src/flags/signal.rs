//! Signals: numbers 1..=64 with names and default actions, signal sets,
//! `SA_*` flags and the small constants of the signal syscalls.

use errno::{Errno, KResult};

/// A valid Linux signal number, 1..=64 (`_NSIG` is 64 on x86_64).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(u8);

/// What a signal does when its disposition is `SIG_DFL`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DefaultAction {
    /// Terminate the process.
    Term,
    /// Terminate and dump core (the wait status has 0x80 set).
    Core,
    /// Discard the signal.
    Ignore,
    /// Stop the process.
    Stop,
    /// Continue a stopped process (otherwise ignore).
    Cont,
}

/// Highest signal number.
pub const NSIG: u8 = 64;
/// First real-time signal the kernel knows; glibc/musl reserve 32 and 33.
pub const SIGRTMIN: u8 = 32;

const NAMES: [&str; 64] = [
    "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
    "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
    "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
    "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS", "SIGRT_0",
    "SIGRT_1", "SIGRT_2", "SIGRT_3", "SIGRT_4", "SIGRT_5", "SIGRT_6", "SIGRT_7", "SIGRT_8",
    "SIGRT_9", "SIGRT_10", "SIGRT_11", "SIGRT_12", "SIGRT_13", "SIGRT_14", "SIGRT_15",
    "SIGRT_16", "SIGRT_17", "SIGRT_18", "SIGRT_19", "SIGRT_20", "SIGRT_21", "SIGRT_22",
    "SIGRT_23", "SIGRT_24", "SIGRT_25", "SIGRT_26", "SIGRT_27", "SIGRT_28", "SIGRT_29",
    "SIGRT_30", "SIGRT_31", "SIGRT_32",
];

impl Signal {
    pub const SIGHUP: Signal = Signal(1);
    pub const SIGINT: Signal = Signal(2);
    pub const SIGQUIT: Signal = Signal(3);
    pub const SIGILL: Signal = Signal(4);
    pub const SIGTRAP: Signal = Signal(5);
    pub const SIGABRT: Signal = Signal(6);
    pub const SIGIOT: Signal = Signal(6);
    pub const SIGBUS: Signal = Signal(7);
    pub const SIGFPE: Signal = Signal(8);
    pub const SIGKILL: Signal = Signal(9);
    pub const SIGUSR1: Signal = Signal(10);
    pub const SIGSEGV: Signal = Signal(11);
    pub const SIGUSR2: Signal = Signal(12);
    pub const SIGPIPE: Signal = Signal(13);
    pub const SIGALRM: Signal = Signal(14);
    pub const SIGTERM: Signal = Signal(15);
    pub const SIGSTKFLT: Signal = Signal(16);
    pub const SIGCHLD: Signal = Signal(17);
    pub const SIGCONT: Signal = Signal(18);
    pub const SIGSTOP: Signal = Signal(19);
    pub const SIGTSTP: Signal = Signal(20);
    pub const SIGTTIN: Signal = Signal(21);
    pub const SIGTTOU: Signal = Signal(22);
    pub const SIGURG: Signal = Signal(23);
    pub const SIGXCPU: Signal = Signal(24);
    pub const SIGXFSZ: Signal = Signal(25);
    pub const SIGVTALRM: Signal = Signal(26);
    pub const SIGPROF: Signal = Signal(27);
    pub const SIGWINCH: Signal = Signal(28);
    pub const SIGIO: Signal = Signal(29);
    pub const SIGPOLL: Signal = Signal(29);
    pub const SIGPWR: Signal = Signal(30);
    pub const SIGSYS: Signal = Signal(31);

    /// `Some` for 1..=64.
    pub const fn new(number: i32) -> Option<Signal> {
        if number >= 1 && number <= NSIG as i32 {
            Some(Signal(number as u8))
        } else {
            None
        }
    }

    /// A signal argument of kill/tgkill/rt_sigaction...: EINVAL outside 1..=64.
    /// (Signal 0, "check only", is the caller's business.)
    pub fn from_arg(number: i32) -> KResult<Signal> {
        Signal::new(number).ok_or(Errno::EINVAL)
    }

    pub const fn number(self) -> u8 {
        self.0
    }

    /// `SIGSEGV`; real-time signals are named like strace does (`SIGRT_2` = 34).
    pub fn name(self) -> &'static str {
        NAMES.get(usize::from(self.0).wrapping_sub(1)).copied().unwrap_or("SIG?")
    }

    pub const fn is_realtime(self) -> bool {
        self.0 >= SIGRTMIN
    }

    /// SIGKILL and SIGSTOP can be neither caught, blocked nor ignored.
    pub const fn is_unblockable(self) -> bool {
        self.0 == 9 || self.0 == 19
    }

    /// The bit of this signal in a [`SigSet`].
    pub const fn mask(self) -> u64 {
        1u64 << (self.0 - 1)
    }

    pub const fn default_action(self) -> DefaultAction {
        match self.0 {
            3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => DefaultAction::Core,
            17 | 23 | 28 => DefaultAction::Ignore,
            19..=22 => DefaultAction::Stop,
            18 => DefaultAction::Cont,
            _ => DefaultAction::Term,
        }
    }
}

impl core::fmt::Debug for Signal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A kernel signal set (`sigset_t` of the syscalls: 64 bits, bit n-1 = signal n).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct SigSet(pub u64);

impl SigSet {
    pub const EMPTY: SigSet = SigSet(0);
    /// Size the rt_sig* syscalls require as `sigsetsize` (EINVAL otherwise).
    pub const SIZE: usize = 8;

    pub const fn contains(self, signal: Signal) -> bool {
        self.0 & signal.mask() != 0
    }

    pub const fn with(self, signal: Signal) -> SigSet {
        SigSet(self.0 | signal.mask())
    }

    pub const fn without(self, signal: Signal) -> SigSet {
        SigSet(self.0 & !signal.mask())
    }

    /// The set with SIGKILL and SIGSTOP removed, as sigprocmask stores it.
    pub const fn blockable(self) -> SigSet {
        SigSet(self.0 & !(Signal::SIGKILL.mask() | Signal::SIGSTOP.mask()))
    }

    /// Lowest-numbered member (the one Linux delivers first among standard signals).
    pub fn first(self) -> Option<Signal> {
        if self.0 == 0 {
            return None;
        }
        Signal::new(self.0.trailing_zeros() as i32 + 1)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn union(self, other: SigSet) -> SigSet {
        SigSet(self.0 | other.0)
    }

    pub const fn intersection(self, other: SigSet) -> SigSet {
        SigSet(self.0 & other.0)
    }

    /// Members of `self` not in `other` (e.g. pending minus blocked).
    pub const fn difference(self, other: SigSet) -> SigSet {
        SigSet(self.0 & !other.0)
    }

    /// The members in ascending order.
    pub fn iter(self) -> impl Iterator<Item = Signal> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            let signal = SigSet(rest).first()?;
            rest &= !signal.mask();
            Some(signal)
        })
    }
}

linux_flags! {
    /// `sa_flags` of `struct kernel_sigaction` (an `unsigned long`).
    /// rt_sigaction accepts unknown bits and drops them.
    pub struct SaFlags: u64, unknown = Ignore {
        SA_NOCLDSTOP = 0x1;
        SA_NOCLDWAIT = 0x2;
        SA_SIGINFO = 0x4;
        SA_UNSUPPORTED = 0x400;
        SA_EXPOSE_TAGBITS = 0x800;
        SA_RESTORER = 0x0400_0000;
        SA_ONSTACK = 0x0800_0000;
        SA_RESTART = 0x1000_0000;
        SA_NODEFER = 0x4000_0000;
        SA_RESETHAND = 0x8000_0000;
    }
}

impl SaFlags {
    pub const SA_NOMASK: SaFlags = SaFlags::SA_NODEFER;
    pub const SA_ONESHOT: SaFlags = SaFlags::SA_RESETHAND;
}

/// Handler values of `sa_handler`.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
pub const SIG_ERR: u64 = u64::MAX;

/// rt_sigprocmask `how`.
pub const SIG_BLOCK: i32 = 0;
pub const SIG_UNBLOCK: i32 = 1;
pub const SIG_SETMASK: i32 = 2;

/// sigaltstack `ss_flags`.
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: u32 = 1 << 31;
pub const MINSIGSTKSZ: usize = 2048;
pub const SIGSTKSZ: usize = 8192;

linux_consts! {
    /// Name of a `si_code` value that is not signal-specific.
    pub fn si_code_name(i32);
    SI_USER = 0;
    SI_KERNEL = 0x80;
    SI_QUEUE = -1;
    SI_TIMER = -2;
    SI_MESGQ = -3;
    SI_ASYNCIO = -4;
    SI_SIGIO = -5;
    SI_TKILL = -6;
}

/// `si_code` values for SIGCHLD.
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;
/// `si_code` values for SIGSEGV.
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
/// Control-protection fault (Linux 6.6; newer than the host headers).
pub const SEGV_CPERR: i32 = 10;
/// `si_code` values for SIGBUS, SIGILL, SIGFPE, SIGTRAP (most common ones).
pub const BUS_ADRALN: i32 = 1;
pub const BUS_ADRERR: i32 = 2;
pub const ILL_ILLOPC: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const FPE_INTDIV: i32 = 1;
pub const FPE_INTOVF: i32 = 2;
pub const FPE_FLTDIV: i32 = 3;
pub const FPE_FLTOVF: i32 = 4;
pub const FPE_FLTUND: i32 = 5;
pub const FPE_FLTRES: i32 = 6;
pub const FPE_FLTINV: i32 = 7;
pub const TRAP_BRKPT: i32 = 1;
pub const TRAP_TRACE: i32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_actions() {
        assert_eq!(Signal::SIGSEGV.name(), "SIGSEGV");
        assert_eq!(Signal::new(34).map(Signal::name), Some("SIGRT_2"));
        assert_eq!(Signal::new(64).map(Signal::name), Some("SIGRT_32"));
        assert_eq!(Signal::new(0), None);
        assert_eq!(Signal::new(65), None);
        assert_eq!(Signal::from_arg(-1), Err(Errno::EINVAL));
        assert_eq!(Signal::SIGCHLD.default_action(), DefaultAction::Ignore);
        assert_eq!(Signal::SIGQUIT.default_action(), DefaultAction::Core);
        assert_eq!(Signal::SIGTTOU.default_action(), DefaultAction::Stop);
        assert_eq!(Signal::SIGCONT.default_action(), DefaultAction::Cont);
        assert_eq!(Signal::SIGPIPE.default_action(), DefaultAction::Term);
        assert_eq!(Signal::new(40).map(Signal::default_action), Some(DefaultAction::Term));
        assert!(Signal::SIGKILL.is_unblockable() && !Signal::SIGTERM.is_unblockable());
    }

    #[test]
    fn sigsets() {
        let set = SigSet::EMPTY.with(Signal::SIGKILL).with(Signal::SIGINT);
        assert_eq!(set.0, (1 << 8) | (1 << 1));
        assert!(set.contains(Signal::SIGINT));
        assert_eq!(set.blockable(), SigSet::EMPTY.with(Signal::SIGINT));
        assert_eq!(set.first(), Some(Signal::SIGINT));
        assert_eq!(set.without(Signal::SIGINT).first(), Some(Signal::SIGKILL));
        assert_eq!(SigSet(1 << 63).first(), Signal::new(64));
        assert_eq!(SigSet::EMPTY.first(), None);
        let other = SigSet::EMPTY.with(Signal::SIGINT).with(Signal::SIGTERM);
        assert_eq!(set.union(other).iter().collect::<std::vec::Vec<_>>(), [Signal::SIGINT, Signal::SIGKILL, Signal::SIGTERM]);
        assert_eq!(set.intersection(other), SigSet::EMPTY.with(Signal::SIGINT));
        assert_eq!(set.difference(other), SigSet::EMPTY.with(Signal::SIGKILL));
        assert!(SigSet::EMPTY.is_empty() && !set.is_empty());
        assert_eq!(SigSet(u64::MAX).iter().count(), 64);
    }
}
