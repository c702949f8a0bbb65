//! Processes: a user address space, its break and mmap area, a kernel stack,
//! and the ABI whose syscall table serves it.
//!
//! Role: run one process at a time from the shell until it exits (threads,
//! a scheduler and fork arrive with issues 5 and 7).
//! Invariants: the current process is reachable only through [`with_current`];
//! a process is dropped only after the kernel's own page table is active
//! again and its kernel stack is no longer in use.
//! May call: `mm`, `arch`, `fs` (exec reads the binary).

mod exec;
pub mod files;

use alloc::boxed::Box;
use alloc::string::String;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use spin::Mutex;
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::PhysFrame;
use x86_64::PhysAddr;

use crate::mm::user::AddressSpace;

pub use exec::{exec, STACK_SIZE};

/// Which syscall table serves a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    Linux,
}

const KERNEL_STACK: usize = 64 * 1024;

pub struct Process {
    pub pid: u32,
    pub abi: Abi,
    pub name: String,
    pub space: AddressSpace,
    pub brk_base: u64,
    pub brk: u64,
    /// Next free address for mmap, growing down.
    pub mmap_top: u64,
    pub fs_base: u64,
    pub clear_child_tid: u64,
    pub robust_list: u64,
    pub files: files::FdTable,
    pub cwd: vfs::Location,
    /// The namespace the process's paths resolve in (its container's, or the host's).
    pub vfs: alloc::sync::Arc<vfs::Vfs>,
    pub cred: vfs::Cred,
    pub umask: u32,
    kstack: Box<[u8]>,
    entry: u64,
    user_rsp: u64,
}

impl Process {
    fn kstack_top(&self) -> u64 {
        (self.kstack.as_ptr() as u64 + self.kstack.len() as u64) & !0xf
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(u8),
}

static CURRENT: Mutex<Option<Process>> = Mutex::new(None);
static KERNEL_L4: AtomicU64 = AtomicU64::new(0);
static NEXT_PID: AtomicU32 = AtomicU32::new(1);

pub fn init() {
    KERNEL_L4.store(Cr3::read().0.start_address().as_u64(), Ordering::Relaxed);
}

/// Runs `f` on the current process (None if no process runs).
pub fn with_current<R>(f: impl FnOnce(&mut Process) -> R) -> Option<R> {
    CURRENT.lock().as_mut().map(f)
}

/// Runs `p` until it ends.
pub fn run(p: Process) -> ExitStatus {
    let (entry, rsp, top) = (p.entry, p.user_rsp, p.kstack_top());
    p.space.activate();
    crate::arch::usermode::set_fs_base(0);
    *CURRENT.lock() = Some(p);
    crate::arch::usermode::set_kernel_stack(top);
    let raw = crate::arch::usermode::run_user(entry, rsp);
    crate::mm::user::activate_kernel(PhysFrame::containing_address(PhysAddr::new(KERNEL_L4.load(Ordering::Relaxed))));
    drop(CURRENT.lock().take());
    if raw & (1 << 32) != 0 {
        ExitStatus::Signaled(raw as u8)
    } else {
        ExitStatus::Exited(raw as u32 as i32)
    }
}

/// Ends the current process from inside its syscall (exit/exit_group).
pub fn exit_current(code: i32) -> ! {
    // SAFETY: called from a syscall of the running process, on its kernel stack.
    unsafe { crate::arch::usermode::leave_user(code as u32 as u64, false) }
}

/// An exception in user mode: the process dies by the matching signal.
pub fn fault_in_user(vector: u8, rip: u64, addr: Option<u64>) -> ! {
    let (signal, name) = match vector {
        0 | 16 | 19 => (8, "SIGFPE"),
        6 => (4, "SIGILL"),
        3 | 1 => (5, "SIGTRAP"),
        _ => (11, "SIGSEGV"),
    };
    let name_of = with_current(|p| p.name.clone()).unwrap_or_default();
    match addr {
        Some(a) => log::warn!("{name_of}: {name} at rip {rip:#x}, address {a:#x}"),
        None => log::warn!("{name_of}: {name} at rip {rip:#x}"),
    }
    // SAFETY: the exception came from ring 3, so we are on the process's
    // kernel stack (TSS.rsp0) with the user's GS loaded.
    unsafe { crate::arch::usermode::leave_user((1 << 32) | signal, true) }
}

fn next_pid() -> u32 {
    NEXT_PID.fetch_add(1, Ordering::Relaxed)
}
