//! [`AltStack`]: a thread's alternate signal stack (sigaltstack(2)), with
//! Linux's rules (kernel/signal.c `do_sigaltstack`, include/linux/sched/signal.h
//! `on_sig_stack`, `sas_ss_flags`).

use errno::{Errno, KResult};

use crate::flags::{SS_AUTODISARM, SS_DISABLE, SS_ONSTACK};
use crate::structs::StackT;

/// The sigaltstack state of a thread: Linux's `sas_ss_sp`, `sas_ss_size`
/// and `sas_ss_flags` (the flags as last set, e.g. 0, `SS_AUTODISARM` or
/// `SS_DISABLE`). A size of 0 means no alternate stack.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    pub flags: u32,
}

impl AltStack {
    /// After SS_DISABLE, an SS_AUTODISARM delivery, or for a new thread
    /// (`sas_ss_reset`). A process starts with all zeros ([`Default`]).
    pub const DISABLED: AltStack = AltStack { sp: 0, size: 0, flags: SS_DISABLE as u32 };

    pub const fn is_enabled(&self) -> bool {
        self.size != 0
    }

    /// `sp` lies inside the stack (`__on_sig_stack`: above its base, at most
    /// at its top).
    pub const fn contains(&self, sp: u64) -> bool {
        sp > self.sp && sp - self.sp <= self.size
    }

    /// `on_sig_stack`: running on it. Always false with SS_AUTODISARM,
    /// which lets a handler on the stack be interrupted by another signal
    /// that starts over at the top.
    pub const fn on_stack(&self, sp: u64) -> bool {
        self.flags & SS_AUTODISARM == 0 && self.contains(sp)
    }

    /// `sas_ss_flags(sp)`: SS_DISABLE without a stack, SS_ONSTACK while
    /// running on it, else 0.
    pub const fn mode(&self, sp: u64) -> i32 {
        if !self.is_enabled() {
            SS_DISABLE
        } else if self.on_stack(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }

    /// The `old_ss` sigaltstack(2) reports to a thread running at `sp`.
    pub const fn query(&self, sp: u64) -> StackT {
        StackT {
            ss_sp: self.sp,
            ss_flags: self.mode(sp) | (self.flags & SS_AUTODISARM) as i32,
            ss_size: self.size,
        }
    }

    /// The `uc_stack` saved in a signal frame: the state as stored.
    pub const fn saved(&self) -> StackT {
        StackT { ss_sp: self.sp, ss_flags: self.flags as i32, ss_size: self.size }
    }

    /// sigaltstack(2) with a new `ss` for a thread running at `sp`:
    /// EPERM while on the current stack; EINVAL for a mode other than 0,
    /// SS_ONSTACK or SS_DISABLE (SS_AUTODISARM may be or-ed in); ENOMEM
    /// below `min_size` (MINSIGSTKSZ). SS_DISABLE clears address and size.
    pub fn set(&self, ss: &StackT, sp: u64, min_size: u64) -> KResult<AltStack> {
        if self.on_stack(sp) {
            return Err(Errno::EPERM);
        }
        let flags = ss.ss_flags as u32;
        let mode = (flags & !SS_AUTODISARM) as i32;
        if mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE {
            return Err(Errno::EINVAL);
        }
        if mode == SS_DISABLE {
            return Ok(AltStack { sp: 0, size: 0, flags });
        }
        if ss.ss_size < min_size {
            return Err(Errno::ENOMEM);
        }
        Ok(AltStack { sp: ss.ss_sp, size: ss.ss_size, flags })
    }
}
