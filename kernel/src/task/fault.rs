//! CPU exceptions taken in user mode (called by the exception entries in
//! `arch::x86_64::usermode` with the thread's full `TrapFrame`): a page
//! fault inside a mapping fills the page (lazily mapped, copy-on-write);
//! a file mapping past its file's end is SIGBUS; anything else forces the
//! signal Linux would send (`linux_abi::signal::CpuFault`), which
//! `return_to_user` then delivers: a handler runs (and re-executes the
//! instruction when it returns), or the process dies with a core flag.
//! May call: task (signal, exit), sched.

use linux_abi::signal::{fault, CpuFault, Disposition, Signal, BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR};
use linux_abi::structs::Siginfo;

use super::exit::{self, ExitStatus};
use super::{current_process, signal};
use crate::arch::usermode::TrapFrame;
use crate::sched;

/// What the memory map made of a user page fault.
enum PageFault {
    /// The page is there now (filled lazily, or a private copy): run the access again.
    Resolved,
    /// No mapping (SEGV_MAPERR), or one that forbids the access (SEGV_ACCERR).
    Segv { mapped: bool },
    /// A file mapping past the end of its file: SIGBUS.
    Bus,
}

/// A user page fault at `addr`: fill the page from its mapping or resolve
/// copy-on-write. A page that cannot get a frame (the container's memory
/// limit) ends the process with SIGKILL, as Linux's OOM killer would.
fn resolve_page_fault(addr: u64, error_code: u64) -> PageFault {
    use crate::mm::user::Fault;
    let (write, present) = (error_code & fault::PF_WRITE != 0, error_code & fault::PF_PROT != 0);
    match sched::with_task(|t| t.space.handle_fault(addr, write, present)) {
        Some(Fault::Resolved) => PageFault::Resolved,
        Some(Fault::Segv) => PageFault::Segv { mapped: sched::with_task(|t| t.space.covers(addr)).unwrap_or(false) },
        None => PageFault::Segv { mapped: false },
        Some(Fault::Bus) => PageFault::Bus,
        Some(Fault::Oom) => {
            // (The name is dropped before the frame that never returns.)
            log::warn!("{}: out of memory (container limit): killed", current_name());
            exit::exit_group(ExitStatus::Signaled(Signal::SIGKILL.number(), false))
        }
    }
}

/// Exception `vector` in user mode at `frame.rip`: `error_code` (0 if the
/// vector has none), CR2 for a page fault, and for #MF/#XM the FPU's
/// `si_code` or for #DB the DR6 value (`extra`).
pub fn user_exception(frame: &TrapFrame, vector: u8, error_code: u64, cr2: u64, extra: u64) {
    let mut page = None;
    if vector == fault::PF {
        match resolve_page_fault(cr2, error_code) {
            PageFault::Resolved => return,
            other => page = Some(other),
        }
    }
    let cpu = CpuFault { vector, error_code, cr2, rip: frame.rip, extra };
    let Some(found) = sched::with_task(|t| {
        let mut found = cpu.signal(t.trap)?;
        match page {
            Some(PageFault::Bus) => found.info = Siginfo::fault(Signal::SIGBUS, BUS_ADRERR, cr2),
            // Linux: an access error if a mapping covers the address.
            Some(PageFault::Segv { mapped: true }) => found.info = Siginfo::fault(Signal::SIGSEGV, SEGV_ACCERR, cr2),
            Some(PageFault::Segv { mapped: false }) => found.info = Siginfo::fault(Signal::SIGSEGV, SEGV_MAPERR, cr2),
            _ => {}
        }
        t.trap = found.trap;
        Some(found)
    })
    .flatten() else {
        return;
    };
    let action = signal::force(found.info);
    let Some(sig) = Signal::new(found.info.si_signo) else { return };
    if !matches!(action.disposition(sig), Disposition::Catch(_)) {
        let name = current_name();
        match vector {
            fault::PF => log::warn!("{name}: {} at rip {:#x}, address {cr2:#x}", sig.name(), frame.rip),
            _ => log::warn!("{name}: {} at rip {:#x}", sig.name(), frame.rip),
        }
    }
}

/// An exception from user mode that has no full-frame entry (NMI, machine
/// check): the process dies by SIGSEGV, nothing can be delivered.
pub fn fatal_in_user(vector: u8, rip: u64) -> ! {
    log::warn!("{}: exception {vector} at rip {rip:#x}: killed by SIGSEGV", current_name());
    exit::exit_group(ExitStatus::Signaled(Signal::SIGSEGV.number(), true))
}

/// The faulting process's name, for the log lines.
fn current_name() -> alloc::string::String {
    current_process().map(|p| p.name.lock().clone()).unwrap_or_default()
}
