//! CPU exceptions raised by user code, as Linux reports them
//! (arch/x86/kernel/traps.c, arch/x86/mm/fault.c): which signal, its
//! `si_code` and `si_addr`, and the `trapno`/`err`/`cr2` the thread keeps
//! for the sigcontext of its next signal frames.

use crate::flags::{
    Signal, FPE_FLTDIV, FPE_FLTINV, FPE_FLTOVF, FPE_FLTRES, FPE_FLTUND, FPE_INTDIV, ILL_ILLOPN,
    SEGV_ACCERR, SEGV_CPERR, SEGV_MAPERR, SI_KERNEL, TRAP_BRKPT, TRAP_TRACE, BUS_ADRALN,
};
use crate::structs::Siginfo;
use crate::user::USER_END;

use super::TrapInfo;

/// Exception vectors.
pub const DE: u8 = 0;
pub const DB: u8 = 1;
pub const BP: u8 = 3;
pub const OF: u8 = 4;
pub const BR: u8 = 5;
pub const UD: u8 = 6;
pub const NM: u8 = 7;
pub const TS: u8 = 10;
pub const NP: u8 = 11;
pub const SS: u8 = 12;
pub const GP: u8 = 13;
pub const PF: u8 = 14;
pub const MF: u8 = 16;
pub const AC: u8 = 17;
pub const XM: u8 = 19;
pub const CP: u8 = 21;

/// Page-fault error code bits.
pub const PF_PROT: u64 = 1 << 0;
pub const PF_WRITE: u64 = 1 << 1;
pub const PF_USER: u64 = 1 << 2;

/// DR6's single-step bit.
const DR6_BS: u64 = 1 << 14;

/// True for the vectors whose CPU frame carries an error code.
pub const fn has_error_code(vector: u8) -> bool {
    matches!(vector, 8 | 10 | 11 | 12 | 13 | 14 | 17 | 21 | 29 | 30)
}

/// One exception taken in user mode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CpuFault {
    pub vector: u8,
    /// The CPU's error code (0 for vectors without one).
    pub error_code: u64,
    /// CR2 (page faults).
    pub cr2: u64,
    /// The faulting instruction (after it for traps: int3, single step).
    pub rip: u64,
    /// #MF/#XM: the FPU's `si_code` from [`fpu_exception_code`]; #DB: DR6.
    pub extra: u64,
}

/// The signal a fault forces, and the thread's new trap facts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FaultSignal {
    pub info: Siginfo,
    pub trap: TrapInfo,
}

impl CpuFault {
    /// What Linux does for it. `previous`: the thread's trap facts before
    /// (`cr2` survives other exceptions). `None`: nothing to report (an
    /// FPU exception without an unmasked cause, which Linux ignores).
    pub fn signal(&self, previous: TrapInfo) -> Option<FaultSignal> {
        let at = |signal: Signal, code: i32, addr: u64| Siginfo::fault(signal, code, addr);
        let info = match self.vector {
            DE => at(Signal::SIGFPE, FPE_INTDIV, self.rip),
            DB => at(Signal::SIGTRAP, if self.extra & DR6_BS != 0 { TRAP_TRACE } else { TRAP_BRKPT }, self.rip),
            UD => at(Signal::SIGILL, ILL_ILLOPN, self.rip),
            PF => {
                // No VMA bookkeeping here: a present page is an access error.
                let code = if self.cr2 < USER_END && self.error_code & PF_PROT != 0 { SEGV_ACCERR } else { SEGV_MAPERR };
                at(Signal::SIGSEGV, code, self.cr2)
            }
            MF | XM => match self.extra as i32 {
                0 => return None,
                code => at(Signal::SIGFPE, code, self.rip),
            },
            AC => at(Signal::SIGBUS, BUS_ADRALN, 0),
            CP => at(Signal::SIGSEGV, SEGV_CPERR, 0),
            BP => Siginfo::new(Signal::SIGTRAP, SI_KERNEL),
            NP | SS => Siginfo::new(Signal::SIGBUS, SI_KERNEL),
            // #GP, #TS, #OF, #BR, #NM and the rest.
            _ => Siginfo::new(Signal::SIGSEGV, SI_KERNEL),
        };
        let trap = if self.vector == PF {
            // A kernel address is always reported as a protection fault.
            let err = if self.cr2 >= USER_END { self.error_code | PF_PROT } else { self.error_code };
            TrapInfo { trapno: u64::from(PF), err, cr2: self.cr2 }
        } else {
            TrapInfo { trapno: u64::from(self.vector), err: self.error_code, cr2: previous.cr2 }
        };
        Some(FaultSignal { info, trap })
    }
}

/// The `si_code` of an x87 (#MF, from the control and status words) or
/// SIMD (#XM, from MXCSR) exception: the first unmasked cause among
/// invalid, divide by zero, overflow, underflow/denormal, precision; 0 if
/// none (Linux's `fpu__exception_code`).
pub fn fpu_exception_code(vector: u8, cwd: u16, swd: u16, mxcsr: u32) -> i32 {
    let err = if vector == MF { u32::from(swd & !cwd) } else { !(mxcsr >> 7) & mxcsr };
    if err & 0x001 != 0 {
        FPE_FLTINV
    } else if err & 0x004 != 0 {
        FPE_FLTDIV
    } else if err & 0x008 != 0 {
        FPE_FLTOVF
    } else if err & 0x012 != 0 {
        FPE_FLTUND
    } else if err & 0x020 != 0 {
        FPE_FLTRES
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(vector: u8, error_code: u64, cr2: u64) -> CpuFault {
        CpuFault { vector, error_code, cr2, rip: 0x401000, extra: 0 }
    }

    #[test]
    fn page_faults_as_linux_reports_them() {
        // Values seen on Linux 6.1: a write to NULL+8, to a PROT_NONE page, to a kernel address.
        let f = fault(PF, PF_USER | PF_WRITE, 8).signal(TrapInfo::default()).unwrap();
        assert_eq!((f.info.si_signo, f.info.si_code, f.info.addr()), (11, SEGV_MAPERR, 8));
        assert_eq!(f.trap, TrapInfo { trapno: 14, err: 6, cr2: 8 });
        let f = fault(PF, PF_USER | PF_WRITE | PF_PROT, 0x7000_0000).signal(TrapInfo::default()).unwrap();
        assert_eq!(f.info.si_code, SEGV_ACCERR);
        let f = fault(PF, PF_USER | PF_WRITE | PF_PROT, 0xffff_8000_0000_1000).signal(TrapInfo::default()).unwrap();
        assert_eq!((f.info.si_code, f.trap.err), (SEGV_MAPERR, 7));
    }

    #[test]
    fn other_exceptions() {
        let before = TrapInfo { trapno: 14, err: 6, cr2: 0x1234 };
        let f = fault(GP, 0, 0).signal(before).unwrap();
        assert_eq!((f.info.si_signo, f.info.si_code, f.info.addr()), (11, SI_KERNEL, 0));
        assert_eq!(f.trap, TrapInfo { trapno: 13, err: 0, cr2: 0x1234 });
        let f = fault(DE, 0, 0).signal(before).unwrap();
        assert_eq!((f.info.si_signo, f.info.si_code, f.info.addr()), (8, FPE_INTDIV, 0x401000));
        let f = fault(UD, 0, 0).signal(before).unwrap();
        assert_eq!((f.info.si_signo, f.info.si_code, f.info.addr()), (4, ILL_ILLOPN, 0x401000));
        let f = fault(BP, 0, 0).signal(before).unwrap();
        assert_eq!((f.info.si_signo, f.info.si_code, f.info.addr(), f.trap.trapno), (5, SI_KERNEL, 0, 3));
        assert_eq!(fault(NP, 0x10, 0).signal(before).unwrap().info.si_signo, 7);
        assert_eq!(fault(XM, 0, 0).signal(before), None);
        let f = CpuFault { extra: FPE_FLTDIV as u64, ..fault(XM, 0, 0) }.signal(before).unwrap();
        assert_eq!((f.info.si_signo, f.info.si_code), (8, FPE_FLTDIV));
        assert!(has_error_code(PF) && has_error_code(GP) && !has_error_code(DE) && !has_error_code(UD));
    }

    #[test]
    fn fpu_codes() {
        // MXCSR with all exceptions masked (0x1f80) and zero-divide flagged: nothing.
        assert_eq!(fpu_exception_code(XM, 0, 0, 0x1f80 | 0x4), 0);
        // Zero-divide unmasked (bit 9 clear) and flagged.
        assert_eq!(fpu_exception_code(XM, 0, 0, (0x1f80 & !0x200) | 0x4), FPE_FLTDIV);
        assert_eq!(fpu_exception_code(XM, 0, 0, 0x0001), FPE_FLTINV);
        // x87: status word flags only count where the control word unmasks them.
        assert_eq!(fpu_exception_code(MF, 0x037f, 0x0004, 0), 0);
        assert_eq!(fpu_exception_code(MF, 0x037b, 0x0004, 0), FPE_FLTDIV);
        assert_eq!(fpu_exception_code(MF, 0x0360, 0x0030, 0), FPE_FLTUND);
    }
}
