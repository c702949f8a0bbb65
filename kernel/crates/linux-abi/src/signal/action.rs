//! [`SigAction`]: a signal's disposition as rt_sigaction(2) sets it, and
//! what delivery does with it (kernel/signal.c: `do_sigaction`,
//! `signal_delivered`, `get_signal`).

use errno::{Errno, KResult};

use crate::flags::{DefaultAction, SaFlags, SigSet, Signal, SIG_DFL, SIG_IGN};
use crate::structs::KernelSigaction;

/// The `sa_handler` field, typed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Handler {
    /// `SIG_DFL`: the signal's [`DefaultAction`].
    Default,
    /// `SIG_IGN`.
    Ignore,
    /// A user handler at this address.
    Catch(u64),
}

impl Handler {
    pub const fn from_raw(raw: u64) -> Handler {
        match raw {
            SIG_DFL => Handler::Default,
            SIG_IGN => Handler::Ignore,
            addr => Handler::Catch(addr),
        }
    }

    pub const fn to_raw(self) -> u64 {
        match self {
            Handler::Default => SIG_DFL,
            Handler::Ignore => SIG_IGN,
            Handler::Catch(addr) => addr,
        }
    }
}

/// What delivering a signal does, given its action.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Disposition {
    /// Discard it (SIG_IGN, or SIG_DFL of a signal whose default is to ignore).
    Ignore,
    /// Kill the process; `core`: the wait status gets 0x80 (WCOREDUMP) and
    /// SIGCHLD's code is CLD_DUMPED. No core file is written.
    Terminate { core: bool },
    /// Stop the process (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU under SIG_DFL).
    Stop,
    /// SIGCONT under SIG_DFL: nothing more to do at delivery. (Resuming a
    /// stopped process happens when SIGCONT is *sent*, whatever its action.)
    Continue,
    /// Run the user handler: build a frame with [`super::build_rt_sigframe`].
    Catch(u64),
}

/// A decoded `struct kernel_sigaction`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SigAction {
    pub handler: Handler,
    pub flags: SaFlags,
    /// `sa_restorer`: where the handler returns (it calls rt_sigreturn).
    pub restorer: u64,
    /// Signals blocked while the handler runs (never SIGKILL or SIGSTOP).
    pub mask: SigSet,
}

impl Default for SigAction {
    fn default() -> Self {
        SigAction::DEFAULT
    }
}

impl SigAction {
    /// `SIG_DFL`, no flags: every signal's action at boot and after execve
    /// for caught signals.
    pub const DEFAULT: SigAction =
        SigAction { handler: Handler::Default, flags: SaFlags::empty(), restorer: 0, mask: SigSet::EMPTY };

    /// From the struct rt_sigaction(2) reads. The mask loses SIGKILL and
    /// SIGSTOP and the flags lose unknown bits and SA_UNSUPPORTED, as in
    /// Linux's `do_sigaction` (so user space can detect unsupported flags
    /// by reading the action back).
    pub fn from_kernel(raw: &KernelSigaction) -> SigAction {
        SigAction {
            handler: Handler::from_raw(raw.sa_handler),
            flags: SaFlags::from_bits_truncate(raw.sa_flags).difference(SaFlags::SA_UNSUPPORTED),
            restorer: raw.sa_restorer,
            mask: raw.mask().blockable(),
        }
    }

    /// Decodes the 32-byte user image (EINVAL for another length).
    pub fn decode(bytes: &[u8]) -> KResult<SigAction> {
        KernelSigaction::from_bytes(bytes).map(|raw| SigAction::from_kernel(&raw))
    }

    pub fn to_kernel(&self) -> KernelSigaction {
        KernelSigaction {
            sa_handler: self.handler.to_raw(),
            sa_flags: self.flags.bits(),
            sa_restorer: self.restorer,
            sa_mask: self.mask.0,
        }
    }

    /// The 32-byte image rt_sigaction(2) returns as the old action.
    pub fn encode(&self) -> [u8; 32] {
        self.to_kernel().to_bytes()
    }

    /// rt_sigaction(2)'s check before installing a new action for `signal`:
    /// SIGKILL and SIGSTOP cannot be changed at all (EINVAL, even to SIG_DFL).
    pub fn check_settable(signal: Signal) -> KResult<()> {
        if signal.is_unblockable() {
            Err(Errno::EINVAL)
        } else {
            Ok(())
        }
    }

    /// What delivering `signal` under this action does.
    pub fn disposition(&self, signal: Signal) -> Disposition {
        match self.handler {
            Handler::Catch(addr) if !signal.is_unblockable() => Disposition::Catch(addr),
            Handler::Ignore if !signal.is_unblockable() => Disposition::Ignore,
            _ => match signal.default_action() {
                DefaultAction::Term => Disposition::Terminate { core: false },
                DefaultAction::Core => Disposition::Terminate { core: true },
                DefaultAction::Ignore => Disposition::Ignore,
                DefaultAction::Stop => Disposition::Stop,
                DefaultAction::Cont => Disposition::Continue,
            },
        }
    }

    /// The blocked set while the handler for `signal` runs: the current
    /// `blocked` plus `sa_mask`, plus `signal` itself unless SA_NODEFER.
    pub fn handler_mask(&self, blocked: SigSet, signal: Signal) -> SigSet {
        let mut set = SigSet(blocked.0 | self.mask.0);
        if !self.flags.contains(SaFlags::SA_NODEFER) {
            set = set.with(signal);
        }
        set.blockable()
    }

    /// The action left installed after a delivery: SA_RESETHAND (SA_ONESHOT)
    /// resets the handler to SIG_DFL; otherwise unchanged.
    pub fn after_delivery(&self) -> SigAction {
        if self.flags.contains(SaFlags::SA_RESETHAND) {
            SigAction { handler: Handler::Default, ..*self }
        } else {
            *self
        }
    }

    /// An interrupted syscall that asked for a restart is restarted
    /// (instead of failing with EINTR) when the handler has SA_RESTART.
    pub fn restarts_syscalls(&self) -> bool {
        self.flags.contains(SaFlags::SA_RESTART)
    }
}

/// A process's 64 actions (`struct sighand_struct`), index = signal - 1.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SigActions([SigAction; 64]);

impl Default for SigActions {
    fn default() -> Self {
        SigActions::new()
    }
}

impl SigActions {
    /// Every signal at SIG_DFL.
    pub const fn new() -> SigActions {
        SigActions([SigAction::DEFAULT; 64])
    }

    pub fn get(&self, signal: Signal) -> SigAction {
        self.0[usize::from(signal.number() - 1)]
    }

    /// Installs `action`; returns the previous one. The caller has checked
    /// [`SigAction::check_settable`].
    pub fn set(&mut self, signal: Signal, action: SigAction) -> SigAction {
        core::mem::replace(&mut self.0[usize::from(signal.number() - 1)], action)
    }

    pub fn disposition(&self, signal: Signal) -> Disposition {
        self.get(signal).disposition(signal)
    }

    /// Linux's `sig_handler_ignored`: sending `signal` now discards it
    /// (unless the receiving thread blocks it, the caller's check).
    pub fn ignores(&self, signal: Signal) -> bool {
        self.disposition(signal) == Disposition::Ignore
    }

    /// True if a handler runs for `signal` (not SIG_DFL or SIG_IGN).
    pub fn catches(&self, signal: Signal) -> bool {
        matches!(self.disposition(signal), Disposition::Catch(_))
    }

    /// execve (`flush_signal_handlers`): handlers become SIG_DFL, SIG_IGN
    /// stays; flags, restorer and mask are cleared for every signal.
    pub fn reset_for_exec(&mut self) {
        for action in self.0.iter_mut() {
            let handler = if action.handler == Handler::Ignore { Handler::Ignore } else { Handler::Default };
            *action = SigAction { handler, ..SigAction::DEFAULT };
        }
    }

    /// A fault the process cannot take (Linux's `force_sig_info_to_task`):
    /// if `signal` is ignored or `blocked`, its action becomes SIG_DFL.
    /// Returns the action that will run.
    pub fn force(&mut self, signal: Signal, blocked: bool) -> SigAction {
        let index = usize::from(signal.number() - 1);
        if blocked || self.0[index].handler == Handler::Ignore {
            self.0[index].handler = Handler::Default;
        }
        self.0[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catching(addr: u64, flags: SaFlags) -> SigAction {
        SigAction { handler: Handler::Catch(addr), flags, restorer: 0x1000, mask: SigSet(1 << 3) }
    }

    #[test]
    fn table_get_set_and_ignores() {
        let mut t = SigActions::new();
        assert!(t.ignores(Signal::SIGCHLD) && !t.ignores(Signal::SIGTERM));
        assert_eq!(t.set(Signal::SIGTERM, SigAction { handler: Handler::Ignore, ..SigAction::DEFAULT }), SigAction::DEFAULT);
        assert!(t.ignores(Signal::SIGTERM));
        t.set(Signal::SIGCHLD, catching(0x400000, SaFlags::SA_RESTART));
        assert!(!t.ignores(Signal::SIGCHLD) && t.catches(Signal::SIGCHLD));
    }

    #[test]
    fn exec_keeps_only_ignore() {
        let mut t = SigActions::new();
        t.set(Signal::SIGUSR1, catching(0x400000, SaFlags::SA_RESTART));
        t.set(
            Signal::SIGCHLD,
            SigAction { handler: Handler::Ignore, flags: SaFlags::SA_NOCLDWAIT, restorer: 1, mask: SigSet(2) },
        );
        t.reset_for_exec();
        assert_eq!(t.get(Signal::SIGUSR1), SigAction::DEFAULT);
        assert_eq!(t.get(Signal::SIGCHLD), SigAction { handler: Handler::Ignore, ..SigAction::DEFAULT });
    }

    #[test]
    fn forcing_resets_blocked_or_ignored_faults() {
        let mut t = SigActions::new();
        t.set(Signal::SIGSEGV, catching(0x400000, SaFlags::SA_SIGINFO));
        assert_eq!(t.force(Signal::SIGSEGV, false).handler, Handler::Catch(0x400000));
        assert_eq!(t.force(Signal::SIGSEGV, true).handler, Handler::Default);
        t.set(Signal::SIGFPE, SigAction { handler: Handler::Ignore, ..SigAction::DEFAULT });
        assert_eq!(t.force(Signal::SIGFPE, false).disposition(Signal::SIGFPE), Disposition::Terminate { core: true });
    }
}
