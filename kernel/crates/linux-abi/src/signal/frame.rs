//! The x86_64 signal frame: [`build_rt_sigframe`] lays out what Linux's
//! `x64_setup_rt_frame` writes on the user stack; [`parse_rt_sigframe`]
//! reads it back for rt_sigreturn (`restore_sigcontext`).
//!
//! Layout, from the interrupted rsp down (arch/x86/kernel/signal.c
//! `get_sigframe`, fpu/signal.c `fpu__alloc_mathframe`):
//! 1. skip the 128-byte red zone, or start at the top of the alternate
//!    stack (SA_ONSTACK, not already on it);
//! 2. the FPU state: the 512-byte fxsave image at `round_down(sp - 512, 64)`
//!    (`sigcontext.fpstate` points at it);
//! 3. the 440-byte [`RtSigframe`] at `align_sigframe(fpstate - 440)`, so the
//!    handler starts with `(rsp + 8) % 16 == 0`, as after a `call`.
//!
//! The handler runs with rsp = frame, rip = handler, rdi = signo,
//! rsi = &frame.info, rdx = &frame.uc, rax = 0, DF/TF/RF clear, and returns
//! into `frame.pretcode` = `sa_restorer`, which calls rt_sigreturn.
//!
//! FPU: the frame carries either a plain fxsave image (no xsave header;
//! uc_flags without UC_FP_XSTATE and the software-reserved bytes zeroed),
//! what Linux writes on a CPU without XSAVE, or the xsave area with its
//! magics built by [`super::xstate`] (then `fpstate` points at an area of
//! `xsave size + 4` bytes). libcs accept both.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::flags::{SaFlags, SigSet};
use crate::structs::{
    align_sigframe, Abi, RtSigframe, Sigcontext, Siginfo, StackT, Ucontext, FPSTATE_ALIGN,
    RED_ZONE, RT_SIGFRAME_INFO_OFFSET, RT_SIGFRAME_UC_OFFSET, UC_FP_XSTATE, UC_SIGCONTEXT_SS,
    UC_STRICT_RESTORE_SS,
};
use crate::user::USER_END;

use super::{AltStack, Handler, SigAction};

/// Size of the fxsave image (`struct _fpstate` / `fxregs_state`).
pub const FXSAVE_SIZE: usize = 512;
/// Offset of MXCSR and MXCSR_MASK in the fxsave image.
const MXCSR: usize = 24;
const MXCSR_MASK: usize = 28;
/// Bytes 464..512 of the image are for software; Linux puts its xsave
/// magic there, which a plain fxsave frame must not carry.
const SW_RESERVED: usize = 464;
/// MXCSR bits valid when the CPU reports a MXCSR_MASK of 0 (no DAZ).
pub const MXCSR_DEFAULT_MASK: u32 = 0xffbf;

/// The FPU state after `fninit` with MXCSR's reset value: what a process
/// starts with, and what rt_sigreturn installs for `fpstate == 0`.
pub const FXSAVE_INIT: [u8; FXSAVE_SIZE] = {
    let mut image = [0u8; FXSAVE_SIZE];
    image[0] = 0x7f; // FCW 0x037f
    image[1] = 0x03;
    image[MXCSR] = 0x80; // MXCSR 0x1f80
    image[MXCSR + 1] = 0x1f;
    image
};

const RFLAGS_CF: u64 = 1 << 0;
const RFLAGS_FIXED1: u64 = 1 << 1;
const RFLAGS_PF: u64 = 1 << 2;
const RFLAGS_AF: u64 = 1 << 4;
const RFLAGS_ZF: u64 = 1 << 6;
const RFLAGS_SF: u64 = 1 << 7;
const RFLAGS_TF: u64 = 1 << 8;
const RFLAGS_IF: u64 = 1 << 9;
const RFLAGS_DF: u64 = 1 << 10;
const RFLAGS_OF: u64 = 1 << 11;
const RFLAGS_RF: u64 = 1 << 16;
const RFLAGS_AC: u64 = 1 << 18;
const RFLAGS_ID: u64 = 1 << 21;

/// The rflags bits rt_sigreturn takes from the frame: the ones user code
/// can change itself (Linux's FIX_EFLAGS, with ID instead of RF). IOPL, NT,
/// VM, VIF... never come from user memory; IF is always set.
pub const RFLAGS_USER_BITS: u64 = RFLAGS_CF
    | RFLAGS_PF
    | RFLAGS_AF
    | RFLAGS_ZF
    | RFLAGS_SF
    | RFLAGS_TF
    | RFLAGS_DF
    | RFLAGS_OF
    | RFLAGS_AC
    | RFLAGS_ID;

/// The user-mode registers a signal saves and rt_sigreturn restores: the
/// kernel copies its trap or syscall frame into this and back. For a
/// syscall, `rcx` and `r11` hold what the `syscall` instruction left there
/// (the return rip and rflags), as in Linux's `pt_regs`.
///
/// fs_base/gs_base are not part of it: signals leave them alone on Linux.
/// Returning to user mode after either direction must restore *every*
/// register (iretq), not take the sysret path that clobbers rcx/r11.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct UserRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rip: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub cs: u64,
    pub ss: u64,
}

/// The kernel's fixed facts the frame code needs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FrameConfig {
    /// Ring-3 code and stack selectors of the kernel's GDT (RPL 3
    /// included): the handler runs with them, rt_sigreturn forces them.
    pub user_cs: u16,
    pub user_ss: u16,
    /// MXCSR bits the CPU accepts ([`mxcsr_mask_from_fxsave`]); others in a
    /// user-supplied image would make fxrstor fault in the kernel.
    pub mxcsr_mask: u32,
}

/// Fault details saved in the sigcontext (`trapno`, `err`, `cr2`); all
/// zero for signals not caused by an exception.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TrapInfo {
    /// Exception vector (14 for a page fault).
    pub trapno: u64,
    /// The exception's error code.
    pub err: u64,
    /// The faulting address of a page fault.
    pub cr2: u64,
}

/// Everything delivering one signal to a handler depends on.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    /// The interrupted user registers.
    pub regs: &'a UserRegs,
    /// The thread's FPU state as the frame carries it: a 512-byte fxsave
    /// image (its software-reserved bytes are zeroed here), or a longer
    /// xsave area from [`super::xstate::fpstate_frame`], copied as it is
    /// (the frame then says UC_FP_XSTATE).
    pub fpu: &'a [u8],
    /// The blocked set *before* the handler's mask is applied: what
    /// rt_sigreturn restores (`uc_sigmask`, `oldmask`).
    pub blocked: SigSet,
    /// The signal's info; `si_signo` is the handler's first argument.
    pub info: &'a Siginfo,
    /// The action being run; its handler must be [`Handler::Catch`].
    pub action: &'a SigAction,
    /// The thread's alternate stack (SA_ONSTACK).
    pub altstack: &'a AltStack,
    pub trap: TrapInfo,
}

/// Why no frame could be built or read. In every case Linux kills the
/// process with SIGSEGV (`force_sigsegv`/`badframe`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FrameError {
    /// The action has no SA_RESTORER: x86_64 has no other way back.
    NoRestorer,
    /// The action does not catch the signal (SIG_DFL or SIG_IGN).
    NotCaught,
    /// The frame would run off the bottom of the alternate stack.
    AltStackOverflow,
    /// The frame would not lie in user space (stack pointer near 0 or
    /// above USER_END).
    BadStack,
    /// rt_sigreturn: `fpstate` is not 16-aligned or not in user space.
    BadFpState,
    /// rt_sigreturn: fewer than `RtSigframe::SIZE` bytes were given.
    ShortFrame,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FrameError::NoRestorer => "signal action without SA_RESTORER",
            FrameError::NotCaught => "signal action has no handler",
            FrameError::AltStackOverflow => "signal frame overflows the alternate stack",
            FrameError::BadStack => "signal frame outside user space",
            FrameError::BadFpState => "bad fpstate pointer in signal frame",
            FrameError::ShortFrame => "signal frame too short",
        })
    }
}

/// A frame ready to be copied to the user stack.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SigFrame {
    /// Copy these bytes to user memory at [`Self::addr`]: the `RtSigframe`,
    /// then zero padding, then the fxsave image at its 64-aligned address.
    pub bytes: Vec<u8>,
    /// User address of the frame (the handler's rsp).
    pub addr: u64,
    /// The registers to enter the handler with.
    pub regs: UserRegs,
    /// SS_AUTODISARM: after a successful copy the thread's alternate stack
    /// becomes [`AltStack::DISABLED`] until the handler returns.
    pub disarm_altstack: bool,
}

/// Builds the frame for running `d.action`'s handler. On success the caller
/// copies `bytes` to `addr` (a failed copy also means SIGSEGV), loads
/// `regs`, sets the blocked set to `d.action.handler_mask(d.blocked, signal)`
/// and applies [`SigAction::after_delivery`] and `disarm_altstack`.
pub fn build_rt_sigframe(d: &Delivery<'_>, config: &FrameConfig) -> Result<SigFrame, FrameError> {
    if !d.action.flags.contains(SaFlags::SA_RESTORER) {
        return Err(FrameError::NoRestorer);
    }
    let Handler::Catch(handler) = d.action.handler else {
        return Err(FrameError::NotCaught);
    };
    let regs = d.regs;
    let alt = d.altstack;
    let on_stack = d.action.flags.contains(SaFlags::SA_ONSTACK);
    let xstate = d.fpu.len() > FXSAVE_SIZE;
    let fpu_size = if xstate { d.fpu.len() } else { FXSAVE_SIZE };
    let FrameLayout { frame, fpstate } = sigframe_layout(regs.rsp, on_stack, alt, fpu_size as u64)?;
    let end = fpstate + fpu_size as u64;

    let image = RtSigframe {
        pretcode: d.action.restorer,
        uc: Ucontext {
            uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | if xstate { UC_FP_XSTATE } else { 0 },
            uc_link: 0,
            uc_stack: alt.saved(),
            uc_mcontext: sigcontext(regs, d, fpstate),
            uc_sigmask: d.blocked.0,
        },
        info: *d.info,
    };
    // The whole span fits in a few KiB: end - frame < 440 + 16 + 64 + fpu_size.
    let mut bytes = vec![0u8; (end - frame) as usize];
    image.write_to(&mut bytes);
    let fp_at = (fpstate - frame) as usize;
    let copied = if xstate { fpu_size } else { d.fpu.len().min(SW_RESERVED) };
    bytes[fp_at..fp_at + copied].copy_from_slice(&d.fpu[..copied]);

    let mut entry = *regs;
    entry.rip = handler;
    entry.rsp = frame;
    entry.rdi = d.info.si_signo as u32 as u64;
    entry.rsi = frame + RT_SIGFRAME_INFO_OFFSET;
    entry.rdx = frame + RT_SIGFRAME_UC_OFFSET;
    entry.rax = 0;
    entry.cs = u64::from(config.user_cs);
    entry.ss = u64::from(config.user_ss);
    entry.rflags &= !(RFLAGS_DF | RFLAGS_RF | RFLAGS_TF);

    Ok(SigFrame {
        bytes,
        addr: frame,
        regs: entry,
        disarm_altstack: alt.flags & crate::flags::SS_AUTODISARM != 0,
    })
}

/// Where a signal frame goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FrameLayout {
    /// Address of the `RtSigframe` (the handler's rsp).
    pub frame: u64,
    /// Address of the FPU state area (`sigcontext.fpstate`).
    pub fpstate: u64,
}

/// Linux's `get_sigframe` for a thread interrupted at `rsp`, whose action
/// has SA_ONSTACK if `on_stack`, with an FPU area of `fpu_size` bytes (512
/// for fxsave; Linux with XSAVE uses the xsave size + 4). Checks that the
/// frame stays in user space and on the alternate stack when it uses it.
pub fn sigframe_layout(rsp: u64, on_stack: bool, alt: &AltStack, fpu_size: u64) -> Result<FrameLayout, FrameError> {
    let nested = alt.on_stack(rsp);
    let mut sp = rsp.checked_sub(RED_ZONE).ok_or(FrameError::BadStack)?;
    let mut entering = false;
    if on_stack && alt.mode(sp) == 0 {
        sp = alt.sp.checked_add(alt.size).ok_or(FrameError::BadStack)?;
        entering = true;
    }
    let fpstate = sp.checked_sub(fpu_size).ok_or(FrameError::BadStack)? & !(FPSTATE_ALIGN - 1);
    let frame = fpstate
        .checked_sub(RtSigframe::SIZE as u64)
        .and_then(align_sigframe)
        .filter(|&frame| frame > 0)
        .ok_or(FrameError::BadStack)?;
    if (nested || entering) && !alt.contains(frame) {
        return Err(FrameError::AltStackOverflow);
    }
    match fpstate.checked_add(fpu_size) {
        Some(end) if end <= USER_END => Ok(FrameLayout { frame, fpstate }),
        _ => Err(FrameError::BadStack),
    }
}

fn sigcontext(r: &UserRegs, d: &Delivery<'_>, fpstate: u64) -> Sigcontext {
    Sigcontext {
        r8: r.r8,
        r9: r.r9,
        r10: r.r10,
        r11: r.r11,
        r12: r.r12,
        r13: r.r13,
        r14: r.r14,
        r15: r.r15,
        rdi: r.rdi,
        rsi: r.rsi,
        rbp: r.rbp,
        rbx: r.rbx,
        rdx: r.rdx,
        rax: r.rax,
        rcx: r.rcx,
        rsp: r.rsp,
        rip: r.rip,
        eflags: r.rflags,
        cs: r.cs as u16,
        gs: 0,
        fs: 0,
        ss: r.ss as u16,
        err: d.trap.err,
        trapno: d.trap.trapno,
        oldmask: d.blocked.0,
        cr2: d.trap.cr2,
        fpstate,
        reserved1: [0; 8],
    }
}

/// What rt_sigreturn restores, read from the frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SigReturn {
    /// The registers to return to user mode with (sanitized: user
    /// selectors, only user-changeable rflags plus IF). rt_sigreturn's
    /// return value is `regs.rax`, so the syscall exit must not change it.
    pub regs: UserRegs,
    /// The new blocked set (SIGKILL and SIGSTOP removed).
    pub blocked: SigSet,
    /// User address of the saved fxsave image: read [`FXSAVE_SIZE`] bytes
    /// there and pass them through [`sanitize_fxsave`]. 0: no FPU state was
    /// saved; install [`FXSAVE_INIT`]. Checked: 16-aligned, in user space.
    pub fpstate: u64,
    /// `uc_stack`: apply with `altstack.set(&stack, regs.rsp, MINSIGSTKSZ)`,
    /// ignoring its errors as Linux's `restore_altstack` does.
    pub altstack: StackT,
}

/// Reads the frame for rt_sigreturn. `frame` is `RtSigframe::SIZE` bytes
/// copied from user address `rsp - 8` (the handler's `ret` popped
/// `pretcode`); a failed copy is a SIGSEGV like any error here.
pub fn parse_rt_sigframe(frame: &[u8], config: &FrameConfig) -> Result<SigReturn, FrameError> {
    if frame.len() < RtSigframe::SIZE {
        return Err(FrameError::ShortFrame);
    }
    let image = RtSigframe::read_from(frame);
    let sc = &image.uc.uc_mcontext;
    if sc.fpstate != 0
        && (sc.fpstate % 16 != 0 || crate::user::check_user_range(sc.fpstate, FXSAVE_SIZE).is_err())
    {
        return Err(FrameError::BadFpState);
    }
    let regs = UserRegs {
        r15: sc.r15,
        r14: sc.r14,
        r13: sc.r13,
        r12: sc.r12,
        r11: sc.r11,
        r10: sc.r10,
        r9: sc.r9,
        r8: sc.r8,
        rbp: sc.rbp,
        rbx: sc.rbx,
        rax: sc.rax,
        rcx: sc.rcx,
        rdx: sc.rdx,
        rsi: sc.rsi,
        rdi: sc.rdi,
        rip: sc.rip,
        rflags: (sc.eflags & RFLAGS_USER_BITS) | RFLAGS_IF | RFLAGS_FIXED1,
        rsp: sc.rsp,
        cs: u64::from(config.user_cs),
        ss: u64::from(config.user_ss),
    };
    Ok(SigReturn {
        regs,
        blocked: SigSet(image.uc.uc_sigmask).blockable(),
        fpstate: sc.fpstate,
        altstack: image.uc.uc_stack,
    })
}

/// A user-supplied fxsave image made safe for fxrstor: MXCSR bits the CPU
/// does not support are cleared (Linux masks them the same way) and the
/// software-reserved bytes are zeroed.
pub fn sanitize_fxsave(image: &[u8; FXSAVE_SIZE], mxcsr_mask: u32) -> [u8; FXSAVE_SIZE] {
    let mut out = *image;
    let mxcsr = u32::from_le_bytes([out[MXCSR], out[MXCSR + 1], out[MXCSR + 2], out[MXCSR + 3]]) & mxcsr_mask;
    out[MXCSR..MXCSR + 4].copy_from_slice(&mxcsr.to_le_bytes());
    out[SW_RESERVED..].fill(0);
    out
}

/// The CPU's MXCSR mask from an image the kernel saved with fxsave itself
/// (the MXCSR_MASK field; 0 there means [`MXCSR_DEFAULT_MASK`]).
pub fn mxcsr_mask_from_fxsave(image: &[u8; FXSAVE_SIZE]) -> u32 {
    let mask = u32::from_le_bytes([
        image[MXCSR_MASK],
        image[MXCSR_MASK + 1],
        image[MXCSR_MASK + 2],
        image[MXCSR_MASK + 3],
    ]);
    if mask == 0 {
        MXCSR_DEFAULT_MASK
    } else {
        mask
    }
}
