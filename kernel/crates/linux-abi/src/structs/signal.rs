//! Signal structs: `kernel_sigaction`, `stack_t`, `siginfo_t`, and the
//! x86_64 signal frame (`sigcontext`, `ucontext`, `rt_sigframe`).
//!
//! Frame layout (arch/x86/kernel/signal_64.c): below the interrupted rsp the
//! kernel skips the 128-byte red zone, reserves the FPU state (64-aligned),
//! then places an [`RtSigframe`] at [`align_sigframe`]`(sp - 440)`, so that
//! `rsp + 8` is 16-aligned at handler entry, as after a `call`. The handler
//! gets rdi = signo, rsi = &frame.info, rdx = &frame.uc, rsp = frame and
//! returns into `pretcode` (the `sa_restorer`, which calls rt_sigreturn).

use crate::flags::{SaFlags, SigSet, Signal};

/// `struct sigaction` as rt_sigaction(2) passes it (not glibc's layout).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct KernelSigaction {
    /// `SIG_DFL`, `SIG_IGN` or the handler address.
    pub sa_handler: u64,
    pub sa_flags: u64,
    pub sa_restorer: u64,
    pub sa_mask: u64,
}
abi_struct!(KernelSigaction, 32 { sa_handler, sa_flags, sa_restorer, sa_mask });

impl KernelSigaction {
    pub const fn flags(&self) -> SaFlags {
        SaFlags::from_bits_retain(self.sa_flags)
    }

    pub const fn mask(&self) -> SigSet {
        SigSet(self.sa_mask)
    }
}

/// `stack_t` (sigaltstack, `uc_stack`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StackT {
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub ss_size: u64,
}
abi_struct!(StackT, 24 { ss_sp, ss_flags, ss_size });

/// `siginfo_t`: 128 bytes; the union starts at offset 16.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Siginfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    /// Padding before the 8-aligned union.
    pub __pad: i32,
    /// The union `_sifields`; use the constructors and accessors.
    pub fields: [u8; 112],
}
abi_struct!(Siginfo, 128 { si_signo, si_errno, si_code, __pad, fields });

// Offsets inside `fields` (i.e. minus 16) of the union members used here.
const PID: usize = 0; // si_pid, _kill/_rt/_sigchld
const UID: usize = 4; // si_uid
const STATUS: usize = 8; // si_status (_sigchld)
const VALUE: usize = 8; // si_value (_rt)
const UTIME: usize = 16; // si_utime (_sigchld)
const STIME: usize = 24; // si_stime (_sigchld)
const ADDR: usize = 0; // si_addr (_sigfault)

impl Siginfo {
    /// All zero except the signal and code.
    pub fn new(signal: Signal, code: i32) -> Siginfo {
        Siginfo { si_signo: i32::from(signal.number()), si_errno: 0, si_code: code, __pad: 0, fields: [0; 112] }
    }

    /// kill/tkill/tgkill (`SI_USER`/`SI_TKILL`) sent by `pid` running as `uid`.
    pub fn kill(signal: Signal, code: i32, pid: i32, uid: u32) -> Siginfo {
        let mut info = Siginfo::new(signal, code);
        info.put(PID, &pid);
        info.put(UID, &uid);
        info
    }

    /// rt_sigqueueinfo-style: sender plus `si_value`.
    pub fn queue(signal: Signal, code: i32, pid: i32, uid: u32, value: u64) -> Siginfo {
        let mut info = Siginfo::kill(signal, code, pid, uid);
        info.put(VALUE, &value);
        info
    }

    /// SIGCHLD for child `pid`: `code` is `CLD_*`, `status` the exit code or
    /// signal number; times in clock ticks.
    pub fn child(code: i32, pid: i32, uid: u32, status: i32, utime: i64, stime: i64) -> Siginfo {
        let mut info = Siginfo::kill(Signal::SIGCHLD, code, pid, uid);
        info.put(STATUS, &status);
        info.put(UTIME, &utime);
        info.put(STIME, &stime);
        info
    }

    /// SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP at faulting address `addr`.
    pub fn fault(signal: Signal, code: i32, addr: u64) -> Siginfo {
        let mut info = Siginfo::new(signal, code);
        info.put(ADDR, &addr);
        info
    }

    pub fn pid(&self) -> i32 {
        self.get(PID)
    }

    pub fn uid(&self) -> u32 {
        self.get(UID)
    }

    pub fn status(&self) -> i32 {
        self.get(STATUS)
    }

    pub fn value(&self) -> u64 {
        self.get(VALUE)
    }

    pub fn addr(&self) -> u64 {
        self.get(ADDR)
    }

    fn put<T: super::Abi>(&mut self, offset: usize, value: &T) {
        super::codec::write_at(&mut self.fields, offset, value);
    }

    fn get<T: super::Abi>(&self, offset: usize) -> T {
        super::codec::read_at(&self.fields, offset)
    }
}

/// x86_64 `struct sigcontext` (the `uc_mcontext` registers).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Sigcontext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    /// User address of the saved FPU state (fxsave/xsave image), or 0.
    pub fpstate: u64,
    pub reserved1: [u64; 8],
}
abi_struct!(Sigcontext, 256 {
    r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip,
    eflags, cs, gs, fs, ss, err, trapno, oldmask, cr2, fpstate, reserved1,
});

/// x86_64 `struct ucontext` as the kernel builds it in a signal frame.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Ucontext {
    pub uc_flags: u64,
    pub uc_link: u64,
    pub uc_stack: StackT,
    pub uc_mcontext: Sigcontext,
    pub uc_sigmask: u64,
}
abi_struct!(Ucontext, 304 { uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask });

/// `uc_flags` bits.
pub const UC_FP_XSTATE: u64 = 0x1;
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// The x86_64 `struct rt_sigframe` (arch/x86/include/asm/sigframe.h).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RtSigframe {
    /// Return address of the handler: the `sa_restorer`.
    pub pretcode: u64,
    pub uc: Ucontext,
    pub info: Siginfo,
}
abi_struct!(RtSigframe, 440 { pretcode, uc, info });

/// Bytes below the user rsp the kernel must not touch (System V red zone).
pub const RED_ZONE: u64 = 128;
/// Alignment of the FPU state save area in the frame.
pub const FPSTATE_ALIGN: u64 = 64;
/// Byte offset of `uc` in the frame (the handler's rdx = frame + this).
pub const RT_SIGFRAME_UC_OFFSET: u64 = core::mem::offset_of!(RtSigframe, uc) as u64;
/// Byte offset of `info` in the frame (the handler's rsi = frame + this).
pub const RT_SIGFRAME_INFO_OFFSET: u64 = core::mem::offset_of!(RtSigframe, info) as u64;

/// Linux's `align_sigframe` for x86_64: `round_down(sp, 16) - 8`, where
/// `sp` is already lowered by the frame size. `None` on underflow.
pub const fn align_sigframe(sp: u64) -> Option<u64> {
    (sp & !15).checked_sub(8)
}

/// `struct signalfd_siginfo`: what a read of a signalfd returns per signal.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SignalfdSiginfo {
    pub ssi_signo: u32,
    pub ssi_errno: i32,
    pub ssi_code: i32,
    pub ssi_pid: u32,
    pub ssi_uid: u32,
    pub ssi_fd: i32,
    pub ssi_tid: u32,
    pub ssi_band: u32,
    pub ssi_overrun: u32,
    pub ssi_trapno: u32,
    pub ssi_status: i32,
    pub ssi_int: i32,
    pub ssi_ptr: u64,
    pub ssi_utime: u64,
    pub ssi_stime: u64,
    pub ssi_addr: u64,
    pub ssi_addr_lsb: u16,
    pub __pad2: u16,
    pub ssi_syscall: i32,
    pub ssi_call_addr: u64,
    pub ssi_arch: u32,
    pub __pad: [u8; 28],
}
abi_struct!(SignalfdSiginfo, 128 {
    ssi_signo, ssi_errno, ssi_code, ssi_pid, ssi_uid, ssi_fd, ssi_tid, ssi_band, ssi_overrun, ssi_trapno,
    ssi_status, ssi_int, ssi_ptr, ssi_utime, ssi_stime, ssi_addr, ssi_addr_lsb, __pad2, ssi_syscall,
    ssi_call_addr, ssi_arch, __pad,
});

impl SignalfdSiginfo {
    /// Linux's `signalfd_copyinfo`: the fields of `info`'s union member
    /// (chosen by signal and code, as `siginfo_layout`) copied out; the
    /// others stay zero.
    pub fn from_siginfo(info: &Siginfo) -> SignalfdSiginfo {
        let mut s = SignalfdSiginfo {
            ssi_signo: info.si_signo as u32,
            ssi_errno: info.si_errno,
            ssi_code: info.si_code,
            ssi_pid: 0,
            ssi_uid: 0,
            ssi_fd: 0,
            ssi_tid: 0,
            ssi_band: 0,
            ssi_overrun: 0,
            ssi_trapno: 0,
            ssi_status: 0,
            ssi_int: 0,
            ssi_ptr: 0,
            ssi_utime: 0,
            ssi_stime: 0,
            ssi_addr: 0,
            ssi_addr_lsb: 0,
            __pad2: 0,
            ssi_syscall: 0,
            ssi_call_addr: 0,
            ssi_arch: 0,
            __pad: [0; 28],
        };
        let code = info.si_code;
        let from_kernel = code > 0 && code < crate::flags::SI_KERNEL;
        let signo = info.si_signo;
        const SIGCHLD: i32 = 17;
        let is_fault = matches!(signo, 4 | 5 | 7 | 8 | 11); // ILL, TRAP, BUS, FPE, SEGV
        if from_kernel && is_fault {
            s.ssi_addr = info.addr();
        } else if from_kernel && signo == SIGCHLD {
            s.ssi_pid = info.pid() as u32;
            s.ssi_uid = info.uid();
            s.ssi_status = info.status();
            s.ssi_utime = info.get::<i64>(UTIME) as u64;
            s.ssi_stime = info.get::<i64>(STIME) as u64;
        } else if code < 0 {
            // SI_QUEUE, SI_TKILL, SI_MESGQ...: sender and value.
            s.ssi_pid = info.pid() as u32;
            s.ssi_uid = info.uid();
            s.ssi_ptr = info.value();
            s.ssi_int = info.value() as i32;
        } else {
            // SI_USER, SI_KERNEL: the sender.
            s.ssi_pid = info.pid() as u32;
            s.ssi_uid = info.uid();
        }
        s
    }
}

#[cfg(test)]
mod signalfd_tests {
    use super::*;

    #[test]
    fn copies_the_union_member_of_the_code() {
        let kill = SignalfdSiginfo::from_siginfo(&Siginfo::kill(Signal::SIGUSR1, 0, 42, 1000));
        assert_eq!((kill.ssi_signo, kill.ssi_code, kill.ssi_pid, kill.ssi_uid, kill.ssi_int), (10, 0, 42, 1000, 0));
        let q = SignalfdSiginfo::from_siginfo(&Siginfo::queue(Signal::SIGUSR2, -1, 7, 0, 0x1_0000_0005));
        assert_eq!((q.ssi_pid, q.ssi_int, q.ssi_ptr), (7, 5, 0x1_0000_0005));
        let chld = SignalfdSiginfo::from_siginfo(&Siginfo::child(1, 9, 0, 3, 4, 5));
        assert_eq!((chld.ssi_pid, chld.ssi_status, chld.ssi_utime, chld.ssi_stime), (9, 3, 4, 5));
        let segv = SignalfdSiginfo::from_siginfo(&Siginfo::fault(Signal::SIGSEGV, 1, 0xdead));
        assert_eq!((segv.ssi_addr, segv.ssi_pid), (0xdead, 0));
        assert_eq!(kill.to_bytes().len(), 128);
    }
}
