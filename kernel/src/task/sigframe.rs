//! The x86_64 rt_sigframe Linux builds on the user stack to run a signal
//! handler, and its undoing by rt_sigreturn (arch/x86/kernel/signal_64.c).
//!
//! Layout, from the frame's address up: `pretcode` (the restorer the handler
//! returns to), `struct ucontext` (flags, link, stack_t, sigcontext,
//! sigmask: 304 bytes), `siginfo_t` (128 bytes); the 512-byte fxsave image
//! sits above, 64-byte aligned, pointed to by `sigcontext.fpstate`.

use core::sync::atomic::Ordering;

use super::signal::{Action, SA_ONSTACK, SA_RESTORER};
use super::Task;
use crate::arch::usermode::{FpuState, TrapFrame, USER_CS, USER_SS};
use crate::sched;

const UC_SIZE: u64 = 304;
const FRAME_SIZE: u64 = 8 + UC_SIZE + 128;
const MCONTEXT: usize = 40;
const SIGMASK: usize = 296;
const RED_ZONE: u64 = 128;
/// RFLAGS bits user code may change through sigreturn (Linux FIX_EFLAGS).
const FIX_EFLAGS: u64 = 0x50dd5;
/// UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS.
const UC_FLAGS: u64 = 0x6;

fn put(buf: &mut [u8], at: usize, v: u64) {
    buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}

/// sigcontext general registers in their order (r8 first), as frame fields.
fn gregs(f: &TrapFrame) -> [u64; 18] {
    [f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rdi, f.rsi, f.rbp, f.rbx, f.rdx, f.rax, f.rcx, f.rsp, f.rip, f.rflags]
}

/// Builds the frame for `sig` and points `frame` at the handler.
pub fn push(task: &mut Task, sig: u32, si: &super::signal::Info, action: &Action, frame: &mut TrapFrame, old_mask: u64) -> Result<(), ()> {
    if action.flags & SA_RESTORER == 0 {
        return Err(()); // every x86_64 libc sets a restorer; Linux kills without one
    }
    let alt = task.altstack;
    let on_alt = alt.size != 0 && frame.rsp > alt.sp && frame.rsp <= alt.sp + alt.size;
    let mut sp = if action.flags & SA_ONSTACK != 0 && alt.size != 0 && !on_alt {
        alt.sp + alt.size
    } else {
        frame.rsp - RED_ZONE
    };
    sp = (sp - 512) & !63;
    let fp_addr = sp;
    sp -= FRAME_SIZE;
    sp = ((sp + 8) & !15) - 8;

    let mut fpu = FpuState::initial();
    fpu.save();
    let mut buf = alloc::vec![0u8; FRAME_SIZE as usize];
    put(&mut buf, 0, action.restorer);
    let uc = 8usize;
    put(&mut buf, uc, UC_FLAGS);
    put(&mut buf, uc + 16, alt.sp);
    buf[uc + 24..uc + 28].copy_from_slice(&(if alt.size == 0 { 2u32 } else if on_alt { 1 } else { 0 }).to_le_bytes());
    put(&mut buf, uc + 32, alt.size);
    let mc = uc + MCONTEXT;
    for (i, v) in gregs(frame).iter().enumerate() {
        put(&mut buf, mc + 8 * i, *v);
    }
    // cs, gs, fs, ss as four u16s.
    let segs = (USER_CS & 0xffff) | ((USER_SS & 0xffff) << 48);
    put(&mut buf, mc + 144, segs);
    put(&mut buf, mc + 168, old_mask); // oldmask
    put(&mut buf, mc + 184, fp_addr); // fpstate
    put(&mut buf, uc + SIGMASK, old_mask);
    let info = 8 + UC_SIZE as usize;
    buf[info..info + 4].copy_from_slice(&(sig as i32).to_le_bytes());
    buf[info + 8..info + 12].copy_from_slice(&si.code.to_le_bytes());
    buf[info + 16..info + 20].copy_from_slice(&si.pid.to_le_bytes());
    buf[info + 20..info + 24].copy_from_slice(&si.uid.to_le_bytes());
    if sig == super::signal::SIGCHLD {
        buf[info + 24..info + 28].copy_from_slice(&si.status.to_le_bytes());
    }

    task.space.copy_out(fp_addr, &fpu.0).map_err(|_| ())?;
    task.space.copy_out(sp, &buf).map_err(|_| ())?;

    frame.rsp = sp;
    frame.rip = action.handler;
    frame.rdi = u64::from(sig);
    frame.rsi = sp + info as u64;
    frame.rdx = sp + uc as u64;
    frame.rax = 0;
    frame.cs = USER_CS;
    frame.ss = USER_SS;
    frame.rflags &= !(0x100 | 0x400); // TF, DF
    Ok(())
}

/// rt_sigreturn: restores the registers, mask and FPU state saved by [`push`].
/// The frame's `pretcode` was popped by the handler's `ret`, so the
/// ucontext starts at the current RSP.
pub fn restore(task: &mut Task, frame: &mut TrapFrame) -> Result<(), ()> {
    let uc = frame.rsp;
    let mut buf = alloc::vec![0u8; UC_SIZE as usize];
    task.space.copy_in(uc, &mut buf).map_err(|_| ())?;
    let mc = MCONTEXT;
    let r = |i: usize| get(&buf, mc + 8 * i);
    let mut f = TrapFrame {
        r8: r(0),
        r9: r(1),
        r10: r(2),
        r11: r(3),
        r12: r(4),
        r13: r(5),
        r14: r(6),
        r15: r(7),
        rdi: r(8),
        rsi: r(9),
        rbp: r(10),
        rbx: r(11),
        rdx: r(12),
        rax: r(13),
        rcx: r(14),
        rsp: r(15),
        rip: r(16),
        rflags: (frame.rflags & !FIX_EFLAGS) | (r(17) & FIX_EFLAGS) | 0x200,
        cs: USER_CS,
        ss: USER_SS,
        orig_rax: u64::MAX,
    };
    if f.rip >= crate::mm::user::USER_END {
        f.rip = 0; // faults in user mode, not in the kernel
    }
    let fp_addr = get(&buf, mc + 184);
    if fp_addr != 0 {
        let mut fpu = FpuState::initial();
        task.space.copy_in(fp_addr, &mut fpu.0).map_err(|_| ())?;
        fpu.restore();
    }
    let mask = get(&buf, SIGMASK) & !super::signal::UNBLOCKABLE;
    sched::current().sig_mask.store(mask, Ordering::Release);
    *frame = f;
    Ok(())
}
