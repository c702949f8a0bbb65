//! Small CPU helpers: interrupt flag, halting, timestamps, randomness, and the
//! FPU setup at boot ([`init_fpu`]: SSE, and XSAVE with XCR0 = x87|SSE|AVX when
//! the CPU offers them; [`fpu_features`] says how user FPU state is saved).

use core::arch::x86_64::_rdtsc;

pub fn enable_interrupts() {
    x86_64::instructions::interrupts::enable();
}

/// Atomically enables interrupts and halts until the next one arrives, so a
/// wake-up that races with the decision to sleep is not lost.
pub fn enable_and_halt() {
    x86_64::instructions::interrupts::enable_and_hlt();
}

pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}

/// The time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects and is available on every x86_64 CPU.
    unsafe { _rdtsc() }
}

/// The current frame pointer (the kernel is built with frame pointers).
#[inline(always)]
pub fn frame_pointer() -> u64 {
    let rbp: u64;
    // SAFETY: reading RBP into a register has no side effects.
    unsafe { core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags)) };
    rbp
}

/// The current stack pointer.
#[inline(always)]
pub fn stack_pointer() -> u64 {
    let rsp: u64;
    // SAFETY: reading RSP into a register has no side effects.
    unsafe { core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags)) };
    rsp
}

/// Deliberate faults for the `crash` shell command, which tests use to check
/// that exceptions and panics are reported and end the machine.
#[derive(Clone, Copy)]
pub enum Fault {
    PageFault,
    GeneralProtection,
    InvalidOpcode,
    Breakpoint,
}

pub fn trigger(fault: Fault) {
    match fault {
        // SAFETY (all arms): each deliberately raises a CPU exception that the
        // IDT handles; none of them touches memory the kernel uses.
        Fault::PageFault => unsafe {
            core::ptr::read_volatile(0xdead_beef_000 as *const u64);
        },
        Fault::GeneralProtection => unsafe {
            // A non-canonical address.
            core::ptr::read_volatile(0x8000_0000_0000_0000u64 as *const u64);
        },
        Fault::InvalidOpcode => unsafe { core::arch::asm!("ud2") },
        Fault::Breakpoint => x86_64::instructions::interrupts::int3(),
    }
}

/// A hardware random number from RDRAND, when the CPU has it.
pub fn rdrand64() -> Option<u64> {
    let has_rdrand = core::arch::x86_64::__cpuid(1).ecx & (1 << 30) != 0;
    if !has_rdrand {
        return None;
    }
    for _ in 0..10 {
        let mut v: u64 = 0;
        // SAFETY: the CPU reported RDRAND support above.
        if unsafe { core::arch::x86_64::_rdrand64_step(&mut v) } == 1 {
            return Some(v);
        }
    }
    None
}

/// XCR0 bits: the x87, SSE and AVX (upper halves of ymm) state components.
pub const XFEATURE_X87: u64 = 1 << 0;
pub const XFEATURE_SSE: u64 = 1 << 1;
pub const XFEATURE_AVX: u64 = 1 << 2;
/// The components the kernel enables and saves when the CPU has them.
/// Others (MPX, AVX-512, PKRU, AMX) stay off in XCR0, so user code cannot
/// use them: their state would not fit [`FPU_AREA_MAX`].
const XFEATURES_SUPPORTED: u64 = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX;
/// Capacity of a thread's save area (`usermode::FpuState`): the standard
/// xsave layout of x87+SSE+AVX is 832 bytes.
pub const FPU_AREA_MAX: usize = 1024;
/// Size of the legacy fxsave image (also the first part of an xsave area).
pub const FXSAVE_SIZE: usize = 512;

/// How user FPU/SIMD state is saved, decided once at boot by [`init_fpu`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FpuFeatures {
    /// XSAVE is in use (CR4.OSXSAVE set); otherwise fxsave/fxrstor.
    pub xsave: bool,
    /// XSAVEOPT is available (used for context switches).
    pub xsaveopt: bool,
    /// XCR0: the state components enabled for user code (x87|SSE without XSAVE).
    pub xcr0: u64,
    /// Bytes of the save area: CPUID.(0Dh,0).EBX for `xcr0`, or 512.
    pub size: usize,
    /// MXCSR bits the CPU accepts (from fxsave's MXCSR_MASK; 0 there means 0xffbf).
    pub mxcsr_mask: u32,
}

static FPU: spin::Once<FpuFeatures> = spin::Once::new();

/// The FPU configuration ([`init_fpu`] must have run).
pub fn fpu_features() -> &'static FpuFeatures {
    FPU.get().expect("cpu::init_fpu runs at boot before any user thread")
}

/// Enables SSE for user code (the kernel itself is soft-float) and, when the
/// CPU has XSAVE, CR4.OSXSAVE with XCR0 = x87|SSE[|AVX]. Runs once at boot.
pub fn init_fpu() -> FpuFeatures {
    use core::arch::x86_64::{__cpuid, __cpuid_count};
    use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
    // SAFETY: clearing EM and setting MP/OSFXSR/OSXMMEXCPT only enables SSE
    // instructions, which the kernel never executes (soft-float target).
    unsafe {
        Cr0::update(|f| {
            f.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
            f.insert(Cr0Flags::MONITOR_COPROCESSOR);
        });
        Cr4::update(|f| f.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE));
    }
    let mut probe = Fxsave([0; FXSAVE_SIZE]);
    // SAFETY: a 512-byte, 16-aligned buffer; fxsave is enabled just above.
    unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) probe.0.as_mut_ptr(), options(nostack)) };
    let mxcsr_mask = linux_abi::signal::mxcsr_mask_from_fxsave(&probe.0);
    let legacy = FpuFeatures { xsave: false, xsaveopt: false, xcr0: XFEATURE_X87 | XFEATURE_SSE, size: FXSAVE_SIZE, mxcsr_mask };

    let has_xsave = __cpuid(1).ecx & (1 << 26) != 0;
    let features = if has_xsave && __cpuid(0).eax >= 0xd {
        let offered = {
            let leaf = __cpuid_count(0xd, 0);
            u64::from(leaf.eax) | (u64::from(leaf.edx) << 32)
        };
        let xcr0 = offered & XFEATURES_SUPPORTED;
        // SAFETY: the CPU has XSAVE; setting OSXSAVE enables xgetbv/xsetbv
        // and xsave*, which only this module and `usermode` execute.
        unsafe { Cr4::update(|f| f.insert(Cr4Flags::OSXSAVE)) };
        // SAFETY: `xcr0` is a subset of what CPUID offers and includes
        // x87|SSE (always offered), with AVX only together with SSE: a valid XCR0.
        unsafe { core::arch::asm!("xsetbv", in("ecx") 0u32, in("eax") xcr0 as u32, in("edx") (xcr0 >> 32) as u32, options(nomem, nostack)) };
        // EBX now reports the size for the enabled components.
        let size = __cpuid_count(0xd, 0).ebx as usize;
        if size > FPU_AREA_MAX || size < FXSAVE_SIZE + 64 {
            log::warn!("fpu: xsave area of {size} bytes does not fit {FPU_AREA_MAX}: using fxsave");
            // SAFETY: back to the x87|SSE-only XCR0, which is always valid, then off.
            unsafe {
                core::arch::asm!("xsetbv", in("ecx") 0u32, in("eax") 3u32, in("edx") 0u32, options(nomem, nostack));
                Cr4::update(|f| f.remove(Cr4Flags::OSXSAVE));
            }
            legacy
        } else {
            let xsaveopt = __cpuid_count(0xd, 1).eax & 1 != 0;
            FpuFeatures { xsave: true, xsaveopt, xcr0, size, mxcsr_mask }
        }
    } else {
        legacy
    };
    FPU.call_once(|| features);
    features
}

#[repr(C, align(16))]
struct Fxsave([u8; FXSAVE_SIZE]);

/// AT_HWCAP: CPUID.1 EDX, what Linux reports on x86_64.
pub fn hwcap() -> u64 {
    u64::from(core::arch::x86_64::__cpuid(1).edx)
}

/// AT_HWCAP2: bit 1 (FSGSBASE usable from ring 3) stays clear because CR4.FSGSBASE is
/// never set; bit 0 (ring-3 MONITOR/MWAIT) is a Xeon Phi feature. So 0.
pub fn hwcap2() -> u64 {
    0
}
