//! Threads' machine state: kernel stacks, the saved kernel context, the FPU
//! area, and the context switch.
//!
//! A [`Context`] is what the CPU needs to resume a thread: its kernel stack
//! (none for the boot flow of control, which runs on the boot stack), the
//! stack pointer saved at its last switch, and its user FPU/SSE/AVX state.
//! [`switch_to`] saves the running context and resumes another. The
//! foundation holds the running context (an `Arc`) itself, and keeps the
//! outgoing one alive until the incoming side has run [`finish_switch`], so
//! the kernel's scheduler cannot free a stack that is still in use, whatever
//! it does with its own references.
//! Invariants: one CPU; a context's saved stack pointer and FPU area are
//! touched only by [`switch_to`] with interrupts off (and at creation); a
//! new context's stack holds exactly the frame its first switch pops.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::arch::global_asm;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::backtrace;
use crate::arch::usermode::{self, FpuState, TrapFrame, TRAP_FRAME_SIZE};
use crate::sync::IrqMutex;
use x86_64::registers::model_specific::FsBase;

/// Size of a thread's kernel stack.
pub const KERNEL_STACK: usize = 64 * 1024;

/// A thread's machine state (see the module doc).
pub struct Context {
    kstack: Option<Box<[u8]>>,
    /// The kernel stack pointer saved at the last switch away.
    saved_rsp: AtomicU64,
    fpu: UnsafeCell<FpuState>,
    /// The user FS base (TLS), saved and loaded with the FPU state.
    fs_base: AtomicU64,
}

// SAFETY: `fpu` is reached only by `switch_to`, with interrupts off on the
// one CPU (the outgoing context's area is written, the incoming one's
// read), and by the constructors before the context is shared.
unsafe impl Sync for Context {}

/// The running context, and the one that just switched away (kept alive
/// until the incoming side's `finish_switch`).
static RUNNING: IrqMutex<Option<Arc<Context>>> = IrqMutex::new(None);
static OUTGOING: IrqMutex<Option<Arc<Context>>> = IrqMutex::new(None);

impl Context {
    /// The boot flow of control (it runs on the boot stack); becomes the
    /// running context. Call once, before any switch.
    pub fn boot() -> Arc<Context> {
        let ctx = Arc::new(Context {
            kstack: None,
            saved_rsp: AtomicU64::new(0),
            fpu: UnsafeCell::new(FpuState::initial()),
            fs_base: AtomicU64::new(0),
        });
        *RUNNING.lock() = Some(ctx.clone());
        ctx
    }

    /// A user thread whose first switch returns to user mode with `frame`,
    /// with `fpu` as its FPU state (the initial state if None) and `fs_base`.
    pub fn new_user(frame: &TrapFrame, fpu: Option<&FpuState>, fs_base: u64) -> Arc<Context> {
        let mut stack = alloc::vec![0u8; KERNEL_STACK].into_boxed_slice();
        let top = stack_top(&stack);
        let base = stack.as_ptr() as u64;
        let at = (top - TRAP_FRAME_SIZE - base) as usize;
        let words = frame.as_words();
        for (i, w) in words.iter().enumerate() {
            stack[at + 8 * i..at + 8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        let rsp = prepare_stack(&mut stack, top, Start::User);
        let fpu = fpu.cloned().unwrap_or_else(FpuState::initial);
        Arc::new(Context {
            kstack: Some(stack),
            saved_rsp: AtomicU64::new(rsp),
            fpu: UnsafeCell::new(fpu),
            fs_base: AtomicU64::new(fs_base),
        })
    }

    /// A kernel thread whose first switch calls `f` (interrupts off, after
    /// [`finish_switch`]). `f` must not return (a kernel thread ends by
    /// switching away for good); if it does, the CPU halts.
    pub fn new_kernel(f: Box<dyn FnOnce() + Send>) -> Arc<Context> {
        let mut stack = alloc::vec![0u8; KERNEL_STACK].into_boxed_slice();
        let top = stack_top(&stack);
        let arg = Box::into_raw(Box::new(f)) as u64;
        let rsp = prepare_stack(&mut stack, top, Start::Kernel(arg));
        Arc::new(Context {
            kstack: Some(stack),
            saved_rsp: AtomicU64::new(rsp),
            fpu: UnsafeCell::new(FpuState::initial()),
            fs_base: AtomicU64::new(0),
        })
    }

    /// `[lo, hi)` of the kernel stack ((0, 0): the boot stack).
    pub fn kstack_bounds(&self) -> (u64, u64) {
        self.kstack.as_ref().map_or((0, 0), |s| (s.as_ptr() as u64, s.as_ptr() as u64 + s.len() as u64))
    }

    fn kstack_top(&self) -> Option<u64> {
        self.kstack.as_ref().map(|s| stack_top(s))
    }

    /// Prints the stack of a thread that is not running, from the context
    /// saved at its last switch (for the thread dump; interrupt context).
    pub fn walk_saved(&self) {
        let stack = self.kstack_bounds();
        let stack = (stack.1 > stack.0).then_some(stack);
        let saved = self.saved_rsp.load(Ordering::Relaxed);
        if !backtrace::on_stack(saved, 56, stack) {
            return;
        }
        // SAFETY: `saved` is the stack pointer `cyrius_switch` saved (or
        // `prepare_stack` made), pointing at six saved registers and the
        // return address; [saved, saved + 56) was checked to lie inside the
        // thread's (live) kernel stack, so both loads read mapped memory.
        let (saved_rbp, ret) = unsafe { (*((saved + 40) as *const u64), *((saved + 48) as *const u64)) };
        backtrace::walk(ret, saved_rbp, stack);
    }
}

fn stack_top(stack: &[u8]) -> u64 {
    (stack.as_ptr() as u64 + stack.len() as u64) & !0xf
}

/// Where the running thread's TrapFrame sits (None: it has no kernel stack
/// of its own, the boot flow of control).
pub(crate) fn running_frame_addr() -> Option<u64> {
    let running = RUNNING.lock();
    running.as_ref()?.kstack_top().map(|top| top - TRAP_FRAME_SIZE)
}

/// Saves the running context and resumes `next`; returns when the running
/// context is resumed in turn. `save_user`: store the CPU's user FPU state
/// and FS base into the outgoing context (it runs user code);
/// `load_user`: load `next`'s. Interrupts are
/// disabled for the switch and stay disabled on return. Switching to the
/// running context does nothing.
pub fn switch_to(next: Arc<Context>, save_user: bool, load_user: bool) {
    x86_64::instructions::interrupts::disable();
    let prev = {
        let running = RUNNING.lock();
        let Some(prev) = running.clone() else { panic!("task::switch_to before Context::boot") };
        if Arc::ptr_eq(&prev, &next) {
            return;
        }
        prev
    };
    // SAFETY: interrupts are off on the one CPU: nothing else touches
    // either context's FPU area during the switch (see `Context`).
    unsafe {
        if save_user {
            (*prev.fpu.get()).save();
        }
        if load_user {
            (*next.fpu.get()).restore();
        }
    }
    if save_user {
        prev.fs_base.store(FsBase::read().as_u64(), Ordering::Relaxed);
    }
    if load_user {
        usermode::set_fs_base(next.fs_base.load(Ordering::Relaxed));
    }
    if let Some(top) = next.kstack_top() {
        usermode::set_kernel_stack(top);
    }
    let (lo, hi) = next.kstack_bounds();
    backtrace::set_current_stack(lo, hi);
    let save = prev.saved_rsp.as_ptr();
    let to = next.saved_rsp.load(Ordering::Relaxed);
    // No reference stays on this stack across the switch (a context that
    // never resumes would keep it forever): `next` moves to RUNNING, and the
    // outgoing context (its stack is the one we are on, `save` points into
    // it) to OUTGOING, until the incoming side's `finish_switch`.
    let replaced = RUNNING.lock().replace(next);
    drop(replaced);
    let previous_outgoing = OUTGOING.lock().replace(prev);
    drop(previous_outgoing);
    // SAFETY: interrupts are off; `to` was saved by `cyrius_switch` or made
    // by `prepare_stack` for `next`'s stack, which RUNNING keeps alive while
    // it runs; `save` points into the outgoing context, which OUTGOING keeps
    // alive until after the switch.
    unsafe { cyrius_switch(save, to) };
    finish_switch();
}

/// Bookkeeping right after a switch, on the incoming side: releases the
/// outgoing context (freeing its stack if nothing else holds it). The
/// switch and the first entry of a new thread call it.
pub fn finish_switch() {
    let outgoing = OUTGOING.lock().take();
    drop(outgoing);
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
    finish_switch();
    // SAFETY: `arg` is the pointer `Context::new_kernel` leaked for exactly
    // this call (a context's first switch happens once).
    let f = unsafe { Box::from_raw(arg as *mut Box<dyn FnOnce() + Send>) };
    f();
    crate::trap::report(format_args!("\nkernel thread returned\n"));
    crate::arch::halt_forever()
}

/// How a new thread's first switch enters it.
enum Start {
    /// Pop the [`TrapFrame`] at the top of the stack into user mode.
    User,
    /// Call the boxed closure at `arg`.
    Kernel(u64),
}

/// Writes the initial switch frame for a new thread whose kernel stack ends
/// at `top` (16-aligned) and returns the stack pointer to switch to. For
/// [`Start::User`], the caller has put the TrapFrame at `top - TRAP_FRAME_SIZE`.
fn prepare_stack(stack: &mut [u8], top: u64, start: Start) -> u64 {
    let base = stack.as_ptr() as u64;
    let (ret, r12, below) = match start {
        Start::User => (usermode::user_thread_start(), 0, top - TRAP_FRAME_SIZE),
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
