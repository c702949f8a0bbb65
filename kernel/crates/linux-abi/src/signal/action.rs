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
