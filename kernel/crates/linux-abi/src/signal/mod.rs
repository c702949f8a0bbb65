//! Signals for the process model, in one place: the facts (numbers, names,
//! default actions, sets, `SA_*`, `si_code`s, wait statuses, re-exported from
//! [`flags`](crate::flags) and [`structs`](crate::structs)), and the logic
//! built on them that needs no kernel state:
//!
//! - [`SigAction`]: a decoded `struct kernel_sigaction` (rt_sigaction(2)),
//!   its [`Disposition`] for a signal, the mask while its handler runs and
//!   SA_RESETHAND; [`SigActions`]: a process's table of them (exec reset,
//!   forcing a fault's signal).
//! - [`Pending`]: pending signals with their queued `siginfo_t`s (standard
//!   signals coalesce, real-time ones queue, bounded), and [`next_signal`].
//! - [`CpuFault`]: a user-mode CPU exception as the signal, `si_code`,
//!   `si_addr` and sigcontext `trapno`/`err`/`cr2` Linux gives it.
//! - [`AltStack`]: a thread's sigaltstack(2) state and Linux's rules for it.
//! - [`ChildStatus`]: a child's exit/kill/stop/continue as a wait(2) status
//!   word, a waitid(2) `siginfo_t` and a SIGCHLD `siginfo_t`.
//! - [`build_rt_sigframe`] / [`parse_rt_sigframe`]: the x86_64 signal frame
//!   as Linux builds it on the user stack, and its reading by rt_sigreturn.
//! - [`fpstate_frame`] / [`restore_fpstate`]: the frame's FPU area with
//!   XSAVE (xsave image, `_fpx_sw_bytes`, magics) and its checks on return.
//!
//! Invariants: no `unsafe`, no panics; layouts are those of `structs`
//! (checked against the C headers); the frame's geometry is checked against
//! the host Linux by `tests/signal_linux.rs`.

mod action;
mod altstack;
mod child;
pub mod fault;
mod frame;
mod pending;
mod xstate;

pub use action::{Disposition, Handler, SigAction, SigActions};
pub use altstack::AltStack;
pub use child::ChildStatus;
pub use fault::{fpu_exception_code, CpuFault, FaultSignal};
pub use pending::{next_signal, Pending, Sent, SIGQUEUE_MAX, SYNCHRONOUS};
pub use frame::{
    build_rt_sigframe, mxcsr_mask_from_fxsave, parse_rt_sigframe, sanitize_fxsave, sigframe_layout, Delivery,
    FrameConfig, FrameError, FrameLayout, SigFrame, SigReturn, TrapInfo, UserRegs, FXSAVE_INIT, FXSAVE_SIZE,
    MXCSR_DEFAULT_MASK, RFLAGS_USER_BITS,
};

pub use xstate::{
    fpstate_frame, fpstate_read_len, restore_fpstate, FpStateError, FpuConfig, FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2,
    FP_XSTATE_MAGIC2_SIZE, XFEATURE_MASK_FPSSE,
};
pub use crate::flags::{
    si_code_name, wait_status_exited, wait_status_signaled,
    wait_status_stopped, DefaultAction, SaFlags, SigSet, Signal, BUS_ADRALN, BUS_ADRERR,
    CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_TRAPPED, FPE_FLTDIV,
    FPE_FLTINV, FPE_FLTOVF, FPE_FLTRES, FPE_FLTUND, FPE_INTDIV, FPE_INTOVF, ILL_ILLOPC,
    ILL_ILLOPN, MINSIGSTKSZ, SEGV_CPERR, TRAP_TRACE, NSIG, SEGV_ACCERR, SEGV_MAPERR, SIGRTMIN, SIGSTKSZ, SIG_BLOCK,
    SIG_DFL, SIG_ERR, SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SI_ASYNCIO, SI_KERNEL, SI_MESGQ,
    SI_QUEUE, SI_SIGIO, SI_TIMER, SI_TKILL, SI_USER, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK,
    TRAP_BRKPT, WAIT_STATUS_CONTINUED,
};
pub use crate::structs::{
    align_sigframe, KernelSigaction, RtSigframe, Sigcontext, Siginfo, StackT, Ucontext,
    FPSTATE_ALIGN, RED_ZONE, RT_SIGFRAME_INFO_OFFSET, RT_SIGFRAME_UC_OFFSET, UC_FP_XSTATE,
    UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS,
};
