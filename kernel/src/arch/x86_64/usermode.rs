//! Ring 3: the `syscall` instruction's entry point, the timer's and the CPU
//! exceptions' trap entries, and the one way back to user mode ([`TrapFrame`] + `iretq`, or `sysretq`
//! when the frame allows it).
//!
//! Conventions: one CPU. The entry code finds the running thread's kernel
//! stack top in [`KERNEL_RSP`] (also TSS.rsp0, set by [`set_kernel_stack`] on
//! every thread switch); GS is never touched, so the user's GS stays the
//! user's. An entry from ring 3 (syscall or interrupt) leaves a complete
//! [`TrapFrame`] at the top of the thread's kernel stack: `fork` copies it,
//! `execve` and signal delivery rewrite it.
//! Invariants: `sysretq` is used only when RCX/R11 in the frame equal RIP/RFLAGS
//! and RIP is a canonical user address; anything else returns with `iretq`.

use core::arch::global_asm;
use x86_64::registers::control::Cr2;
use x86_64::registers::model_specific::{Efer, EferFlags, FsBase, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;
use x86_64::VirtAddr;

use super::cpu::{fpu_features, FPU_AREA_MAX};
use super::gdt;

/// User code and data selectors (GDT layout, see `gdt`).
pub const USER_CS: u64 = 0x23;
pub const USER_SS: u64 = 0x1b;

/// Registers of a user context as the entry code saved them (lowest address
/// first); the last five are the `iretq` frame.
#[repr(C)]
#[derive(Debug, Default, Clone)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    /// The syscall's return value on the way out.
    pub rax: u64,
    /// The syscall number (-1 for an interrupt), kept for restarts.
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Size of [`TrapFrame`]: it sits at `kernel stack top - TRAP_FRAME_SIZE`.
pub const TRAP_FRAME_SIZE: u64 = core::mem::size_of::<TrapFrame>() as u64;

impl TrapFrame {
    /// A fresh user context entering at `rip` with stack `rsp`.
    pub fn user(rip: u64, rsp: u64) -> TrapFrame {
        TrapFrame { rip, rsp, cs: USER_CS, ss: USER_SS, rflags: 0x202, orig_rax: u64::MAX, ..TrapFrame::default() }
    }

    pub fn nr(&self) -> u64 {
        self.orig_rax
    }

    pub fn args(&self) -> [u64; 6] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }

    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }

    /// True if `sysretq` restores this frame exactly.
    fn sysret_ok(&self) -> bool {
        self.rcx == self.rip
            && self.r11 == self.rflags
            && self.rip < crate::mm::user::USER_END
            && self.cs == USER_CS
            && self.ss == USER_SS
    }
}

/// Kernel stack top of the running thread (read by the syscall entry).
#[unsafe(no_mangle)]
static mut CYRIUS_KERNEL_RSP: u64 = 0;
/// The user RSP during the first instructions of the syscall entry.
#[unsafe(no_mangle)]
static mut CYRIUS_USER_RSP: u64 = 0;

global_asm!(
    r#"
    // The general registers of a TrapFrame, above orig_rax (see TrapFrame).
    .macro cyrius_push_regs
        push rax
        push rdi
        push rsi
        push rdx
        push rcx
        push r8
        push r9
        push r10
        push r11
        push rbx
        push rbp
        push r12
        push r13
        push r14
        push r15
    .endm

    .global cyrius_syscall_entry
    cyrius_syscall_entry:
        mov [rip + CYRIUS_USER_RSP], rsp
        mov rsp, [rip + CYRIUS_KERNEL_RSP]
        push {user_ss}
        push qword ptr [rip + CYRIUS_USER_RSP]
        push r11
        push {user_cs}
        push rcx
        push rax                // orig_rax: the syscall number
        cyrius_push_regs
        mov rdi, rsp
        sub rsp, 8
        call {syscall}
        add rsp, 8
        test rax, rax
        jmp 2f

    // Pops a TrapFrame into user mode with iretq (ZF clear), or with
    // sysretq (ZF set: only the syscall path above). Pops keep the flags.
    .global cyrius_ret_to_user
    cyrius_ret_to_user:
        or eax, 1
    2:
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbp
        pop rbx
        pop r11
        pop r10
        pop r9
        pop r8
        pop rcx
        pop rdx
        pop rsi
        pop rdi
        pop rax
        lea rsp, [rsp + 8]
        jnz 3f
        mov rcx, [rsp]
        mov r11, [rsp + 16]
        mov rsp, [rsp + 24]
        sysretq
    3:
        iretq

    .global cyrius_timer_entry
    cyrius_timer_entry:
        push -1                 // orig_rax: not a syscall
        cyrius_push_regs
        cld
        mov rdi, rsp
        mov rbx, rsp
        and rsp, -16
        call {timer}
        mov rsp, rbx
        jmp cyrius_ret_to_user

    .global cyrius_user_thread_start
    cyrius_user_thread_start:
        mov rdi, rsp
        sub rsp, 8
        call {first}
        add rsp, 8
        jmp cyrius_ret_to_user

    // CPU exception entries. From ring 3 the CPU's frame sits at the top of
    // the thread's kernel stack: the error code (or -1 pushed here) fills
    // the orig_rax slot, the pushes complete a TrapFrame, and the way out is
    // the shared iretq exit. From ring 0 the CPU's frame goes unchanged to
    // the fatal x86-interrupt handler `kernel` (report, backtrace, panic).
    .macro cyrius_exception vector, kernel, has_error
    .global cyrius_exception_\vector
    cyrius_exception_\vector:
        .if \has_error == 0
        push -1
        .endif
        test byte ptr [rsp + 16], 3
        jz 1f
        cyrius_push_regs
        cld
        mov rdi, rsp
        mov esi, \vector
        mov rbx, rsp
        and rsp, -16
        call {exception}
        mov rsp, rbx
        jmp cyrius_ret_to_user
    1:
        .if \has_error == 0
        add rsp, 8
        .endif
        jmp \kernel
    .endm

    cyrius_exception 0, {de}, 0
    cyrius_exception 1, {db}, 0
    cyrius_exception 3, {bp}, 0
    cyrius_exception 4, {of}, 0
    cyrius_exception 5, {br}, 0
    cyrius_exception 6, {ud}, 0
    cyrius_exception 7, {nm}, 0
    cyrius_exception 10, {ts}, 1
    cyrius_exception 11, {np}, 1
    cyrius_exception 12, {ss}, 1
    cyrius_exception 13, {gp}, 1
    cyrius_exception 14, {pf}, 1
    cyrius_exception 16, {mf}, 0
    cyrius_exception 17, {ac}, 1
    cyrius_exception 19, {xm}, 0
    cyrius_exception 20, {ve}, 0
    cyrius_exception 21, {cp}, 1
    cyrius_exception 28, {hv}, 0
    cyrius_exception 29, {vc}, 1
    cyrius_exception 30, {sx}, 1
    "#,
    syscall = sym syscall_trampoline,
    timer = sym timer_trampoline,
    first = sym first_entry_trampoline,
    exception = sym exception_trampoline,
    de = sym super::idt::divide_error,
    db = sym super::idt::debug,
    bp = sym super::idt::breakpoint,
    of = sym super::idt::overflow,
    br = sym super::idt::bound_range,
    ud = sym super::idt::invalid_opcode,
    nm = sym super::idt::device_not_available,
    ts = sym super::idt::invalid_tss,
    np = sym super::idt::segment_not_present,
    ss = sym super::idt::stack_segment,
    gp = sym super::idt::general_protection,
    pf = sym super::idt::page_fault,
    mf = sym super::idt::x87_floating_point,
    ac = sym super::idt::alignment_check,
    xm = sym super::idt::simd_floating_point,
    ve = sym super::idt::virtualization,
    cp = sym super::idt::control_protection,
    hv = sym super::idt::hv_injection,
    vc = sym super::idt::vmm_communication,
    sx = sym super::idt::security,
    user_ss = const USER_SS,
    user_cs = const USER_CS,
);

unsafe extern "C" {
    fn cyrius_syscall_entry();
    fn cyrius_timer_entry();
    fn cyrius_user_thread_start();
    fn cyrius_exception_0();
    fn cyrius_exception_1();
    fn cyrius_exception_3();
    fn cyrius_exception_4();
    fn cyrius_exception_5();
    fn cyrius_exception_6();
    fn cyrius_exception_7();
    fn cyrius_exception_10();
    fn cyrius_exception_11();
    fn cyrius_exception_12();
    fn cyrius_exception_13();
    fn cyrius_exception_14();
    fn cyrius_exception_16();
    fn cyrius_exception_17();
    fn cyrius_exception_19();
    fn cyrius_exception_20();
    fn cyrius_exception_21();
    fn cyrius_exception_28();
    fn cyrius_exception_29();
    fn cyrius_exception_30();
}

/// The full-frame entry of exception `vector` (None: NMI, #DF and #MC keep
/// their own handlers, and the reserved vectors).
pub fn exception_entry(vector: u8) -> Option<VirtAddr> {
    let entry: unsafe extern "C" fn() = match vector {
        0 => cyrius_exception_0,
        1 => cyrius_exception_1,
        3 => cyrius_exception_3,
        4 => cyrius_exception_4,
        5 => cyrius_exception_5,
        6 => cyrius_exception_6,
        7 => cyrius_exception_7,
        10 => cyrius_exception_10,
        11 => cyrius_exception_11,
        12 => cyrius_exception_12,
        13 => cyrius_exception_13,
        14 => cyrius_exception_14,
        16 => cyrius_exception_16,
        17 => cyrius_exception_17,
        19 => cyrius_exception_19,
        20 => cyrius_exception_20,
        21 => cyrius_exception_21,
        28 => cyrius_exception_28,
        29 => cyrius_exception_29,
        30 => cyrius_exception_30,
        _ => return None,
    };
    Some(VirtAddr::new(entry as *const () as u64))
}

/// An exception from ring 3 (interrupts off, as the gate left them): the
/// error code comes out of the orig_rax slot (which becomes -1: no syscall
/// to restart), the fault is turned into a signal, and the way back to user
/// mode delivers it.
extern "C" fn exception_trampoline(frame: &mut TrapFrame, vector: u64) {
    crate::sched::watchdog::progress();
    let vector = vector as u8;
    let error_code = if linux_abi::signal::fault::has_error_code(vector) { frame.orig_rax } else { 0 };
    frame.orig_rax = u64::MAX;
    let cr2 = if vector == linux_abi::signal::fault::PF { Cr2::read_raw() } else { 0 };
    let extra = match vector {
        linux_abi::signal::fault::MF | linux_abi::signal::fault::XM => fpu_exception_code(vector),
        linux_abi::signal::fault::DB => take_dr6(),
        _ => 0,
    };
    crate::task::fault::user_exception(frame, vector, error_code, cr2, extra);
    crate::task::return_to_user(frame);
    x86_64::instructions::interrupts::disable();
}

/// The `si_code` of the user's pending x87 (#MF) or SIMD (#XM) exception,
/// from its control/status words and MXCSR (still in the CPU).
fn fpu_exception_code(vector: u8) -> u64 {
    let (mut cwd, mut swd, mut mxcsr) = (0u16, 0u16, 0u32);
    // SAFETY: stores of the x87 control/status words and MXCSR into locals;
    // the no-wait forms raise no pending exception, and SSE is enabled.
    unsafe {
        core::arch::asm!(
            "fnstcw [{cw}]",
            "fnstsw [{sw}]",
            "stmxcsr [{mx}]",
            cw = in(reg) &mut cwd,
            sw = in(reg) &mut swd,
            mx = in(reg) &mut mxcsr,
            options(nostack),
        );
    }
    linux_abi::signal::fpu_exception_code(vector, cwd, swd, mxcsr) as i64 as u64
}

/// DR6 after a debug exception, reset for the next one.
fn take_dr6() -> u64 {
    let dr6: u64;
    // SAFETY: ring 0 reads and resets the debug status register; nothing
    // else in the kernel uses it.
    unsafe {
        core::arch::asm!("mov {}, dr6", out(reg) dr6, options(nomem, nostack));
        core::arch::asm!("mov dr6, {}", in(reg) 0xffff_0ff0u64, options(nomem, nostack));
    }
    dr6
}

/// Returns nonzero if the frame must be restored with `iretq`.
extern "C" fn syscall_trampoline(frame: &mut TrapFrame) -> u64 {
    crate::sched::watchdog::progress();
    crate::abi::syscall(frame);
    crate::task::return_to_user(frame);
    x86_64::instructions::interrupts::disable();
    u64::from(!frame.sysret_ok())
}

extern "C" fn timer_trampoline(frame: &mut TrapFrame) {
    if frame.from_user() {
        crate::sched::watchdog::progress();
    } else {
        crate::sched::watchdog::check(frame.rip, frame.rbp);
    }
    super::pic::dispatch(super::pic::TIMER_IRQ);
    if frame.from_user() {
        crate::task::return_to_user(frame);
        x86_64::instructions::interrupts::disable();
    }
}

extern "C" fn first_entry_trampoline(frame: &mut TrapFrame) {
    crate::sched::finish_switch();
    crate::task::return_to_user(frame);
    x86_64::instructions::interrupts::disable();
}

/// The address a new user thread's kernel stack "returns" to on its first
/// switch: it pops the [`TrapFrame`] above it into user mode.
pub fn user_thread_start() -> u64 {
    cyrius_user_thread_start as *const () as u64
}

/// The timer's IDT entry (a full-frame stub, so preemption and signals can
/// rewrite the interrupted user context).
pub fn timer_entry() -> VirtAddr {
    VirtAddr::new(cyrius_timer_entry as *const () as u64)
}

/// Turns on SSE (and XSAVE/AVX when the CPU has them) for user code and
/// sets up the `syscall` MSRs.
pub fn init() {
    let fpu = super::cpu::init_fpu();
    log::info!(
        "fpu: {} xcr0={:#x} area={} bytes{}",
        if fpu.xsave { "xsave" } else { "fxsave" },
        fpu.xcr0,
        fpu.size,
        if fpu.xsaveopt { " xsaveopt" } else { "" }
    );
    let sel = gdt::selectors();
    // SAFETY: the selectors follow the layout SYSCALL/SYSRET require (checked
    // by `Star::write`), and the entry point is the assembly above.
    unsafe {
        Efer::update(|f| f.insert(EferFlags::SYSTEM_CALL_EXTENSIONS | EferFlags::NO_EXECUTE_ENABLE));
    }
    Star::write(sel.user_code, sel.user_data, sel.kernel_code, sel.kernel_data).expect("GDT layout fits SYSRET");
    LStar::write(VirtAddr::new(cyrius_syscall_entry as *const () as u64));
    SFMask::write(RFlags::INTERRUPT_FLAG | RFlags::DIRECTION_FLAG | RFlags::TRAP_FLAG | RFlags::ALIGNMENT_CHECK);
}

/// Sets the kernel stack used by syscalls and by interrupts from user mode.
pub fn set_kernel_stack(top: u64) {
    // SAFETY: one CPU; the entry code reads this only when entering from user
    // mode, which cannot happen while the scheduler (interrupts off) writes it.
    unsafe { *(&raw mut CYRIUS_KERNEL_RSP) = top };
    gdt::set_rsp0(top);
}

pub fn set_fs_base(addr: u64) {
    FsBase::write(VirtAddr::new_truncate(addr));
}

/// A thread's FPU/SSE/AVX register file, as `xsave` (or `fxsave` on a CPU
/// without XSAVE) stores it: the legacy 512-byte image, then the 64-byte
/// xsave header, then the extended components (AVX: ymm upper halves at 576).
/// Only the first `cpu::fpu_features().size` bytes are used.
///
/// Invariant: the running thread's own area is written only by [`FpuState::save`]
/// (at a switch), never while its contents are live in the CPU, which is
/// what XSAVEOPT's modified-state tracking assumes.
#[repr(C, align(64))]
#[derive(Clone)]
pub struct FpuState([u8; FPU_AREA_MAX]);

/// Offsets in the image.
const FCW: usize = 0;
const MXCSR: usize = 24;
const MXCSR_MASK: usize = 28;
const XSTATE_BV: usize = 512;

impl FpuState {
    /// The architectural init state: x87 after `fninit` (FCW 0x37f), MXCSR
    /// 0x1f80, xmm/ymm zero (xstate_bv = 0: xrstor initializes every component
    /// except MXCSR, which it always loads). What exec and new threads get.
    pub fn initial() -> FpuState {
        let mut s = [0u8; FPU_AREA_MAX];
        s[FCW..FCW + 2].copy_from_slice(&0x037fu16.to_le_bytes());
        s[MXCSR..MXCSR + 4].copy_from_slice(&0x1f80u32.to_le_bytes());
        s[MXCSR_MASK..MXCSR_MASK + 4].copy_from_slice(&fpu_features().mxcsr_mask.to_le_bytes());
        FpuState(s)
    }

    /// The used part of the area (`fpu_features().size` bytes).
    pub fn bytes(&self) -> &[u8] {
        &self.0[..fpu_features().size]
    }

    /// An area holding `image` (at most `size` bytes; the rest init-zero).
    /// The image must come from a validated source (see `restore`).
    pub fn from_image(image: &[u8]) -> FpuState {
        let mut s = FpuState::initial();
        let n = image.len().min(fpu_features().size);
        s.0[..n].copy_from_slice(&image[..n]);
        s
    }

    /// Saves the CPU's user FPU state into `self` (the components in their
    /// init state may be left unwritten: xstate_bv then says so).
    pub fn save(&mut self) {
        let f = fpu_features();
        let (lo, hi) = (f.xcr0 as u32, (f.xcr0 >> 32) as u32);
        let at = self.0.as_mut_ptr();
        // SAFETY: `self` is FPU_AREA_MAX >= f.size bytes, 64-byte aligned;
        // xsave/xsaveopt are used only when CR4.OSXSAVE is set (init_fpu).
        unsafe {
            if f.xsaveopt {
                core::arch::asm!("xsaveopt64 [{}]", in(reg) at, in("eax") lo, in("edx") hi, options(nostack));
            } else if f.xsave {
                core::arch::asm!("xsave64 [{}]", in(reg) at, in("eax") lo, in("edx") hi, options(nostack));
            } else {
                core::arch::asm!("fxsave64 [{}]", in(reg) at, options(nostack));
            }
        }
    }

    /// Loads `self` into the CPU. Bits the CPU would refuse with a #GP in
    /// the kernel (reserved MXCSR bits, xsave header bits beyond XCR0,
    /// compaction, reserved header bytes) are cleared first: images from
    /// user memory are validated before they get here (rt_sigreturn), so
    /// this is only a last line of defence.
    pub fn restore(&mut self) {
        let f = fpu_features();
        let mxcsr = u32::from_le_bytes([self.0[MXCSR], self.0[MXCSR + 1], self.0[MXCSR + 2], self.0[MXCSR + 3]]);
        self.0[MXCSR..MXCSR + 4].copy_from_slice(&(mxcsr & f.mxcsr_mask).to_le_bytes());
        let (lo, hi) = (f.xcr0 as u32, (f.xcr0 >> 32) as u32);
        let at = self.0.as_ptr();
        if f.xsave {
            let bv = u64::from_le_bytes(self.0[XSTATE_BV..XSTATE_BV + 8].try_into().unwrap_or([0; 8])) & f.xcr0;
            self.0[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
            self.0[XSTATE_BV + 8..XSTATE_BV + 64].fill(0);
        }
        // SAFETY: as in `save`; the header and MXCSR are sanitized above.
        unsafe {
            if f.xsave {
                core::arch::asm!("xrstor64 [{}]", in(reg) at, in("eax") lo, in("edx") hi, options(nostack));
            } else {
                core::arch::asm!("fxrstor64 [{}]", in(reg) at, options(nostack));
            }
        }
    }
}

global_asm!(
    r#"
    .global cyrius_switch
    // fn(save_rsp: *mut u64, next_rsp: u64)
    cyrius_switch:
        push rbp
        push rbx
        push r12
        push r13
        push r14
        push r15
        mov [rdi], rsp
        mov rsp, rsi
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbx
        pop rbp
        ret

    .global cyrius_kthread_start
    cyrius_kthread_start:
        mov rdi, r12
        call {kthread}
        ud2
    "#,
    kthread = sym kthread_trampoline,
);

unsafe extern "C" {
    fn cyrius_switch(save_rsp: *mut u64, next_rsp: u64);
    fn cyrius_kthread_start();
}

extern "C" fn kthread_trampoline(arg: u64) -> ! {
    crate::sched::kthread_main(arg)
}

/// Saves the running kernel context's stack pointer into `save` and resumes
/// the context saved at `next`.
///
/// # Safety
/// Interrupts are off; `next` is a stack pointer saved by this function (or
/// prepared by [`prepare_stack`]) whose stack is still alive; `save` stays
/// valid until the saved context is resumed.
pub unsafe fn switch(save: *mut u64, next: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { cyrius_switch(save, next) }
}

/// How a new thread's first switch enters it.
pub enum Start {
    /// Pop the [`TrapFrame`] at the top of the stack into user mode.
    User,
    /// Call `sched::kthread_main(arg)`.
    Kernel(u64),
}

/// Writes the initial switch frame for a new thread whose kernel stack ends
/// at `top` (16-aligned) and returns the stack pointer to switch to. For
/// [`Start::User`], the caller has put the TrapFrame at `top - TRAP_FRAME_SIZE`.
pub fn prepare_stack(stack: &mut [u8], top: u64, start: Start) -> u64 {
    let base = stack.as_ptr() as u64;
    let (ret, r12, below) = match start {
        Start::User => (user_thread_start(), 0, top - TRAP_FRAME_SIZE),
        Start::Kernel(arg) => (cyrius_kthread_start as *const () as u64, arg, top - 16),
    };
    // Six callee-saved registers, then the return address.
    let words: [u64; 7] = [0, 0, 0, r12, 0, 0, ret];
    let rsp = below - 8 * words.len() as u64;
    for (i, w) in words.iter().enumerate() {
        let off = (rsp - base) as usize + 8 * i;
        stack[off..off + 8].copy_from_slice(&w.to_le_bytes());
    }
    rsp
}
