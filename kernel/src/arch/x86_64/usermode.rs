//! Ring 3: entering user mode, the `syscall` instruction's entry point, and the
//! way back to the kernel when a process ends.
//!
//! Conventions: in the kernel GS_BASE points at the per-CPU block; in user mode
//! it is the user's and KERNEL_GS_BASE holds ours (`swapgs` on every crossing).
//! The per-CPU block holds the current thread's kernel stack top (used by
//! `syscall`; interrupts use TSS.rsp0, set to the same value).
//! Invariants: a syscall runs on the process's kernel stack with a complete
//! [`SyscallFrame`] below it; the handler returns through `sysretq` only to a
//! canonical user address (anything else ends the process).

use core::arch::global_asm;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::model_specific::{Efer, EferFlags, FsBase, GsBase, KernelGsBase, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;
use x86_64::VirtAddr;

use super::gdt;

/// The per-CPU block `swapgs` exposes to the entry code (one CPU for now).
#[repr(C)]
struct PerCpu {
    /// Offset 0: kernel stack top for the running thread.
    kernel_rsp: u64,
    /// Offset 8: scratch for the user RSP during entry.
    user_rsp: u64,
}

static mut PER_CPU: PerCpu = PerCpu { kernel_rsp: 0, user_rsp: 0 };

/// Registers as the syscall entry saved them (lowest address first).
#[repr(C)]
#[derive(Debug, Default, Clone)]
pub struct SyscallFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r9: u64,
    pub r8: u64,
    pub r10: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    /// The syscall number on entry; the return value on exit.
    pub rax: u64,
    /// User RIP (from RCX).
    pub rip: u64,
    /// User RFLAGS (from R11).
    pub rflags: u64,
    pub rsp: u64,
}

impl SyscallFrame {
    pub fn nr(&self) -> u64 {
        self.rax
    }

    pub fn args(&self) -> [u64; 6] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }
}

global_asm!(
    r#"
    .global cyrius_syscall_entry
    cyrius_syscall_entry:
        swapgs
        mov gs:[8], rsp
        mov rsp, gs:[0]
        push qword ptr gs:[8]
        push r11
        push rcx
        push rax
        push rdi
        push rsi
        push rdx
        push r10
        push r8
        push r9
        push rbx
        push rbp
        push r12
        push r13
        push r14
        push r15
        mov rdi, rsp
        call {handler}
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbp
        pop rbx
        pop r9
        pop r8
        pop r10
        pop rdx
        pop rsi
        pop rdi
        pop rax
        pop rcx
        pop r11
        pop rsp
        swapgs
        sysretq

    .global cyrius_run_user
    // fn(save_rsp: *mut u64, entry: u64, user_rsp: u64) -> u64
    cyrius_run_user:
        push rbp
        push rbx
        push r12
        push r13
        push r14
        push r15
        mov [rdi], rsp
        push {user_ss}
        push rdx
        push 0x202
        push {user_cs}
        push rsi
        xor eax, eax
        xor ebx, ebx
        xor ecx, ecx
        xor edx, edx
        xor esi, esi
        xor edi, edi
        xor ebp, ebp
        xor r8d, r8d
        xor r9d, r9d
        xor r10d, r10d
        xor r11d, r11d
        xor r12d, r12d
        xor r13d, r13d
        xor r14d, r14d
        xor r15d, r15d
        swapgs
        iretq

    .global cyrius_resume_kernel
    // fn(saved_rsp: u64, value: u64) -> !
    cyrius_resume_kernel:
        mov rsp, rdi
        mov rax, rsi
        pop r15
        pop r14
        pop r13
        pop r12
        pop rbx
        pop rbp
        ret
    "#,
    handler = sym syscall_trampoline,
    user_ss = const 0x1b,
    user_cs = const 0x23,
);

unsafe extern "C" {
    fn cyrius_syscall_entry();
    fn cyrius_run_user(save_rsp: *mut u64, entry: u64, user_rsp: u64) -> u64;
    fn cyrius_resume_kernel(saved_rsp: u64, value: u64) -> !;
}

extern "C" fn syscall_trampoline(frame: &mut SyscallFrame) {
    crate::abi::syscall(frame);
    // Back to user mode with interrupts off until sysretq restores RFLAGS.
    x86_64::instructions::interrupts::disable();
}

/// Turns on SSE for user code (the kernel itself is soft-float) and sets up
/// the `syscall` MSRs and the per-CPU block.
pub fn init() {
    // SAFETY: clearing EM and setting MP/OSFXSR/OSXMMEXCPT only enables SSE
    // instructions, which the kernel never executes (soft-float target).
    unsafe {
        Cr0::update(|f| {
            f.remove(Cr0Flags::EMULATE_COPROCESSOR);
            f.insert(Cr0Flags::MONITOR_COPROCESSOR);
        });
        Cr4::update(|f| f.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE));
    }
    let sel = gdt::selectors();
    // SAFETY: the selectors follow the layout SYSCALL/SYSRET require (checked
    // by `Star::write`), and the entry point is the assembly above.
    unsafe {
        Efer::update(|f| f.insert(EferFlags::SYSTEM_CALL_EXTENSIONS | EferFlags::NO_EXECUTE_ENABLE));
    }
    Star::write(sel.user_code, sel.user_data, sel.kernel_code, sel.kernel_data).expect("GDT layout fits SYSRET");
    LStar::write(VirtAddr::new(cyrius_syscall_entry as *const () as u64));
    SFMask::write(RFlags::INTERRUPT_FLAG | RFlags::DIRECTION_FLAG | RFlags::TRAP_FLAG | RFlags::ALIGNMENT_CHECK);
    GsBase::write(VirtAddr::from_ptr(&raw const PER_CPU));
    KernelGsBase::write(VirtAddr::zero());
}

/// Sets the kernel stack used by syscalls and by interrupts from user mode.
pub fn set_kernel_stack(top: u64) {
    // SAFETY: one CPU; the entry code reads this field only while this thread
    // runs in user mode, never concurrently with this write.
    unsafe { (*(&raw mut PER_CPU)).kernel_rsp = top };
    gdt::set_rsp0(top);
}

/// The kernel context `run_user` saved (its stack pointer), for `leave_user`.
static mut RETURN_RSP: u64 = 0;

/// Enters user mode at `entry` with stack `user_rsp` in the active address
/// space; returns the value passed to [`leave_user`] when the process ends.
pub fn run_user(entry: u64, user_rsp: u64) -> u64 {
    // SAFETY: one CPU runs one user process at a time, so RETURN_RSP is ours;
    // the kernel context stays live on this stack until `leave_user` resumes it.
    unsafe { cyrius_run_user(&raw mut RETURN_RSP, entry, user_rsp) }
}

/// Abandons the running user context and returns `value` from `run_user`.
///
/// # Safety
/// Must be called on the process's kernel stack (in a syscall, or an
/// exception from user mode, then with `from_user_exception` true), while the
/// `run_user` that entered this process is live.
pub unsafe fn leave_user(value: u64, from_user_exception: bool) -> ! {
    if from_user_exception {
        // An exception from ring 3 does not swapgs; restore the kernel's GS.
        // SAFETY: GS currently holds the user's base (see module doc).
        unsafe { core::arch::asm!("swapgs") };
    }
    // SAFETY: guaranteed by the caller; RETURN_RSP was set by that `run_user`.
    unsafe { cyrius_resume_kernel(RETURN_RSP, value) }
}

pub fn set_fs_base(addr: u64) {
    FsBase::write(VirtAddr::new_truncate(addr));
}
