//! Restartable sequences, per thread: the registered `struct rseq` area
//! and the work on the way back to user mode (Linux's
//! `rseq_handle_notify_resume`): after registration the CPU ids are
//! written; after a preemption, or with a signal about to be delivered,
//! from an interrupted user context, a critical section the thread was in
//! is aborted (`linux_abi::rseq::fixup`). An area that cannot be read or
//! written, or a malformed section, is SIGSEGV, as on Linux.
//! One CPU: the ids written are always CPU 0, node 0, concurrency id 0.
//! May call: the thread's memory (`Mm`), `signal`.

use errno::{Errno, KResult};
use linux_abi::rseq::{self as abi, Fixup, Registration, RseqCs};
use linux_abi::signal::SI_KERNEL;
use linux_abi::structs::Abi;
use linux_abi::UserPtr;

use super::signal::Signal;
use super::Task;
use crate::arch::usermode::TrapFrame;

/// A thread's registration and whether its ids must be (re)written.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rseq {
    pub reg: Option<Registration>,
    /// Write the ids on the next return to user mode (after registering).
    pub notify: bool,
}

impl Rseq {
    /// A forked process keeps its parent's registration (its memory is a copy).
    pub fn on_fork(&self) -> Rseq {
        Rseq { reg: self.reg, notify: self.reg.is_some() }
    }
}

fn write_u32(t: &Task, addr: u64, offset: usize, value: u32) -> KResult<()> {
    let ptr = UserPtr::<u32>::new(addr).field::<u32>(offset)?;
    t.space.write(ptr, &value)
}

/// Writes the CPU ids of a registered area (`cpu` u32::MAX: unregistered).
pub fn write_ids(t: &Task, reg: &Registration, cpu: u32) -> KResult<()> {
    write_u32(t, reg.addr, abi::RSEQ_CPU_ID_START, if cpu == abi::RSEQ_CPU_ID_UNINITIALIZED { 0 } else { cpu })?;
    write_u32(t, reg.addr, abi::RSEQ_CPU_ID, cpu)?;
    write_u32(t, reg.addr, abi::RSEQ_NODE_ID, 0)?;
    write_u32(t, reg.addr, abi::RSEQ_MM_CID, 0)
}

/// Aborts the critical section `frame` is in, if any.
fn ip_fixup(t: &Task, reg: &Registration, frame: &mut TrapFrame) -> KResult<()> {
    let cs_field = UserPtr::<u64>::new(reg.addr).field::<u64>(abi::RSEQ_CS)?;
    let cs_addr = t.space.read(cs_field)?;
    if cs_addr == 0 {
        return Ok(());
    }
    let cs: RseqCs = t.space.read(UserPtr::<RseqCs>::new(cs_addr))?;
    let sig_at = |addr: u64| t.space.read(UserPtr::<u32>::new(addr)).ok();
    match abi::fixup(&cs, frame.rip, reg.sig, sig_at) {
        Fixup::Invalid => Err(Errno::EINVAL),
        Fixup::Clear => t.space.write(cs_field, &0u64),
        Fixup::Abort(ip) => {
            t.space.write(cs_field, &0u64)?;
            frame.rip = ip;
            Ok(())
        }
    }
}

/// The return-to-user hook: `preempted` says the thread was just switched
/// out. A syscall's return address is never inside a critical section
/// (syscalls are not allowed there), so only interrupted contexts are
/// examined for aborts.
pub fn on_return(frame: &mut TrapFrame, preempted: bool) {
    let failed = crate::sched::with_task(|t| {
        let Some(reg) = t.rseq.reg else { return false };
        let interrupted = frame.orig_rax == u64::MAX;
        let mut result: KResult<()> = Ok(());
        if interrupted && (preempted || super::signal_pending()) {
            result = ip_fixup(t, &reg, frame);
        }
        if result.is_ok() && t.rseq.notify {
            t.rseq.notify = false;
            result = write_ids(t, &reg, 0);
        }
        result.is_err()
    });
    if failed == Some(true) {
        // Linux's force_sigsegv on a failed rseq update.
        let _ = super::signal::force(linux_abi::signal::Siginfo::new(Signal::SIGSEGV, SI_KERNEL));
    }
}

/// rseq(2) on the calling thread.
pub fn register(t: &mut Task, addr: u64, len: u32, flags: i32, sig: u32) -> KResult<()> {
    match abi::request(t.rseq.reg, addr, len, flags, sig)? {
        Some(reg) => {
            t.rseq = Rseq { reg: Some(reg), notify: true };
        }
        None => {
            if let Some(reg) = t.rseq.reg {
                write_ids(t, &reg, abi::RSEQ_CPU_ID_UNINITIALIZED)?;
            }
            t.rseq = Rseq::default();
        }
    }
    Ok(())
}

// The area's layout is the ABI's (checked against the C headers).
const _: () = assert!(<abi::RseqArea as Abi>::SIZE == 32);
