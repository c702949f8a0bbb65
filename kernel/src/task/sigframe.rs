//! Glue between the kernel's trap frame and `linux_abi::signal`'s rt_sigframe
//! (built and parsed there, checked against Linux): delivering a signal to a
//! handler, and rt_sigreturn.

use alloc::vec;
use linux_abi::signal::{
    build_rt_sigframe, fpstate_frame, fpstate_read_len, parse_rt_sigframe, restore_fpstate, AltStack, Delivery,
    FpuConfig, FrameConfig, RtSigframe, SigAction, SigSet, Siginfo, UserRegs, FXSAVE_SIZE, MINSIGSTKSZ,
};

use linux_abi::structs::Abi;
use linux_abi::UserSlice;

use super::Task;
use crate::arch::usermode::{FpuState, TrapFrame, USER_CS, USER_SS};
use crate::sched;

fn config() -> FrameConfig {
    FrameConfig { user_cs: USER_CS as u16, user_ss: USER_SS as u16, mxcsr_mask: fpu_config().mxcsr_mask }
}

/// How this CPU's FPU state goes into signal frames (xsave or fxsave).
pub fn fpu_config() -> FpuConfig {
    let f = crate::arch::cpu::fpu_features();
    FpuConfig { xsave: f.xsave, xfeatures: f.xcr0, size: f.size, mxcsr_mask: f.mxcsr_mask }
}

fn user_regs(f: &TrapFrame) -> UserRegs {
    UserRegs {
        r15: f.r15,
        r14: f.r14,
        r13: f.r13,
        r12: f.r12,
        r11: f.r11,
        r10: f.r10,
        r9: f.r9,
        r8: f.r8,
        rbp: f.rbp,
        rbx: f.rbx,
        rax: f.rax,
        rcx: f.rcx,
        rdx: f.rdx,
        rsi: f.rsi,
        rdi: f.rdi,
        rip: f.rip,
        rflags: f.rflags,
        rsp: f.rsp,
        cs: f.cs,
        ss: f.ss,
    }
}

/// A trap frame that returns to `r` (with iretq: not a syscall any more).
fn trap_frame(r: &UserRegs) -> TrapFrame {
    TrapFrame {
        r15: r.r15,
        r14: r.r14,
        r13: r.r13,
        r12: r.r12,
        rbp: r.rbp,
        rbx: r.rbx,
        r11: r.r11,
        r10: r.r10,
        r9: r.r9,
        r8: r.r8,
        rcx: r.rcx,
        rdx: r.rdx,
        rsi: r.rsi,
        rdi: r.rdi,
        rax: r.rax,
        orig_rax: u64::MAX,
        rip: r.rip,
        cs: r.cs,
        rflags: r.rflags,
        rsp: r.rsp,
        ss: r.ss,
    }
}

/// Builds the frame for `info` on the user stack (or the alternate stack)
/// and points `frame` at the handler; the sigcontext carries the thread's
/// last fault (`task.trap`), as Linux's does. Err: no frame could be
/// written (the caller forces SIGSEGV).
pub fn push(task: &mut Task, info: &Siginfo, action: &SigAction, frame: &mut TrapFrame, old_mask: SigSet) -> Result<(), ()> {
    // Saved into an init image, so components the CPU skips as unused read as init.
    let mut fpu = FpuState::initial();
    fpu.save();
    let area = fpstate_frame(fpu.bytes(), &fpu_config());
    let delivery = Delivery {
        regs: &user_regs(frame),
        fpu: &area,
        blocked: old_mask,
        info,
        action,
        altstack: &task.altstack,
        trap: task.trap,
    };
    let built = build_rt_sigframe(&delivery, &config()).map_err(|_| ())?;
    let at = UserSlice::checked(built.addr, built.bytes.len()).map_err(|_| ())?;
    task.space.copy_out(at, &built.bytes).map_err(|_| ())?;
    if built.disarm_altstack {
        task.altstack = AltStack::DISABLED;
    }
    *frame = trap_frame(&built.regs);
    // The handler starts with a clean FPU (Linux's fpu__clear_user_states):
    // no pending x87 exception of the interrupted code, default MXCSR.
    FpuState::initial().restore();
    Ok(())
}

/// rt_sigreturn: restores the registers, mask, FPU state and alternate
/// stack saved by [`push`]. The handler's `ret` popped `pretcode`, so the
/// frame starts 8 bytes below the current RSP.
pub fn restore(task: &mut Task, frame: &mut TrapFrame) -> Result<(), ()> {
    let mut raw = [0u8; <RtSigframe as Abi>::SIZE];
    let at = UserSlice::checked(frame.rsp.wrapping_sub(8), raw.len()).map_err(|_| ())?;
    task.space.copy_in(at, &mut raw).map_err(|_| ())?;
    let back = parse_rt_sigframe(&raw, &config()).map_err(|_| ())?;
    let mut fpu = if back.fpstate != 0 {
        match read_fpstate(task, back.fpstate) {
            Ok(fpu) => fpu,
            Err(()) => {
                // Linux resets the FPU before the SIGSEGV (fpu__clear_user_states).
                FpuState::initial().restore();
                return Err(());
            }
        }
    } else {
        FpuState::initial()
    };
    fpu.restore();
    if let Ok(alt) = task.altstack.set(&back.altstack, back.regs.rsp, MINSIGSTKSZ as u64) {
        task.altstack = alt;
    }
    super::signal::set_blocked(&sched::current(), back.blocked);
    *frame = trap_frame(&back.regs);
    Ok(())
}

/// The FPU state saved at user address `at` by [`push`] (or written by the
/// program), checked as Linux checks it; Err: SIGSEGV.
fn read_fpstate(task: &mut Task, at: u64) -> Result<FpuState, ()> {
    let cfg = fpu_config();
    let mut legacy = [0u8; FXSAVE_SIZE];
    task.space.copy_in(UserSlice::checked(at, FXSAVE_SIZE).map_err(|_| ())?, &mut legacy).map_err(|_| ())?;
    let mut area = vec![0u8; fpstate_read_len(&legacy, &cfg).max(FXSAVE_SIZE)];
    area[..FXSAVE_SIZE].copy_from_slice(&legacy);
    let rest = UserSlice::checked(at, area.len()).and_then(|whole| whole.skip(FXSAVE_SIZE)).map_err(|_| ())?;
    task.space.copy_in(rest, &mut area[FXSAVE_SIZE..]).map_err(|_| ())?;
    let image = restore_fpstate(&area, at, &cfg).map_err(|e| log::debug!("rt_sigreturn: {e}"))?;
    Ok(FpuState::from_image(&image))
}
