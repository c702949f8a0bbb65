//! Small CPU helpers: interrupt flag, halting, timestamps, randomness.

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
