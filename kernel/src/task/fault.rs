//! CPU exceptions taken in user mode (called by the exception entries in
//! `arch::x86_64::usermode` with the thread's full `TrapFrame`): a write to
//! a copy-on-write page gets its private copy; anything else forces the
//! signal Linux would send (`linux_abi::signal::CpuFault`), which
//! `return_to_user` then delivers: a handler runs (and re-executes the
//! instruction when it returns), or the process dies with a core flag.
//! May call: task (signal, exit), sched.

use linux_abi::signal::{fault, CpuFault, Disposition, Signal};

use super::exit::{self, ExitStatus};
use super::{current_process, signal};
use crate::arch::usermode::TrapFrame;
use crate::sched;

/// A user write fault: resolve copy-on-write. False if it was not COW.
/// A COW page that cannot get a frame (the container's memory limit) ends
/// the process with SIGKILL, as Linux's OOM killer would.
fn resolve_write_fault(addr: u64) -> bool {
    match sched::with_task(|t| t.space.resolve_cow(addr)) {
        Some(Ok(resolved)) => resolved,
        Some(Err(_)) => {
            let name = current_process().map(|p| p.name.lock().clone()).unwrap_or_default();
            log::warn!("{name}: out of memory (container limit): killed");
            exit::exit_group(ExitStatus::Signaled(Signal::SIGKILL.number(), false))
        }
        None => false,
    }
}

/// Exception `vector` in user mode at `frame.rip`: `error_code` (0 if the
/// vector has none), CR2 for a page fault, and for #MF/#XM the FPU's
/// `si_code` or for #DB the DR6 value (`extra`).
pub fn user_exception(frame: &TrapFrame, vector: u8, error_code: u64, cr2: u64, extra: u64) {
    if vector == fault::PF && error_code & fault::PF_WRITE != 0 && resolve_write_fault(cr2) {
        return; // a copy-on-write page, now private and writable
    }
    let cpu = CpuFault { vector, error_code, cr2, rip: frame.rip, extra };
    let Some(found) = sched::with_task(|t| {
        let found = cpu.signal(t.trap)?;
        t.trap = found.trap;
        Some(found)
    })
    .flatten() else {
        return;
    };
    let action = signal::force(found.info);
    let Some(sig) = Signal::new(found.info.si_signo) else { return };
    if !matches!(action.disposition(sig), Disposition::Catch(_)) {
        let name = current_process().map(|p| p.name.lock().clone()).unwrap_or_default();
        match vector {
            fault::PF => log::warn!("{name}: {} at rip {:#x}, address {cr2:#x}", sig.name(), frame.rip),
            _ => log::warn!("{name}: {} at rip {:#x}", sig.name(), frame.rip),
        }
    }
}

/// An exception from user mode that has no full-frame entry (NMI, machine
/// check): the process dies by SIGSEGV, nothing can be delivered.
pub fn fatal_in_user(vector: u8, rip: u64) -> ! {
    let name = current_process().map(|p| p.name.lock().clone()).unwrap_or_default();
    log::warn!("{name}: exception {vector} at rip {rip:#x}: killed by SIGSEGV");
    exit::exit_group(ExitStatus::Signaled(Signal::SIGSEGV.number(), true))
}
