//! The foundation of the Cyrius kernel: every `unsafe` operation the kernel
//! needs, behind safe interfaces (the kernel crate above is
//! `#![deny(unsafe_code)]`, its virtio DMA glue aside).
//!
//! Role: the machine. What it owns and exposes:
//! - `arch`: GDT/TSS, IDT (every exception; fatal kernel-mode reports),
//!   the 8259 PIC and the PIT ([`arch::pic::register`] attaches IRQ
//!   handlers), port I/O, CPU helpers and the FPU setup, the RTC, stack
//!   walking, the PVH boot entry, and `usermode`: the `syscall`, timer and
//!   exception entries, the way back to ring 3, `FpuState`.
//! - [`trap`] and `arch::usermode::execute`: user mode belongs to the
//!   kernel. A user thread's kernel side (the kernel's `user_main`, which
//!   [`trap::install`] names) calls `execute(frame)` with the thread's
//!   [`arch::usermode::TrapFrame`]: it enters ring 3 and returns why the CPU
//!   came back (a syscall, an exception, the timer), and the kernel acts on
//!   it. The foundation never calls up into the kernel otherwise (the NMI,
//!   the timer's watchdog look and fatal user faults go through the same
//!   installed table).
//! - [`task`]: kernel stacks, the saved context and FPU state of a thread
//!   ([`task::Context`]) and the context switch ([`task::switch_to`]), which
//!   keeps the outgoing context alive until the incoming side has left its
//!   stack.
//! - [`sync`]: `IrqMutex` (a spin lock with interrupts off while held) and
//!   `ExclusiveCell` (a `RefCell` for `Sync` owners: a second borrow is a
//!   panic, not aliasing).
//! - [`mm`]: the physical-memory window, the frame allocator, the kernel's
//!   page tables and the heap (the global allocator), frame contents, and
//!   user page tables (`mm::pagetable`: map, unmap, protect, translate,
//!   activate, free) with the copies into and out of user frames.
//! - [`serial`]: COM1 (output, input bytes, the fatal path's printing).
//! - [`boot`]: the boot contract's fixed addresses and the load base.
//!
//! Invariants: one CPU for now (the context switch, `CYRIUS_KERNEL_RSP` and
//! the TSS are global); interrupt handlers never allocate or block; lock
//! order is heap -> page tables -> frames. Each `unsafe` block has a
//! `// SAFETY:` line saying why it holds.
//! May call: nothing of the kernel's, except through the [`trap`] table.

#![no_std]
#![feature(abi_x86_interrupt)]

extern crate alloc;

pub mod arch;
pub mod boot;
pub mod mm;
pub mod serial;
pub mod sync;
pub mod task;
pub mod trap;
