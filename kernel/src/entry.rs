//! The kernel's side of user mode: each user thread's loop, and the few
//! interrupt-time jobs only the kernel can do.
//!
//! A user thread runs [`user_main`] on its kernel stack: it enters user
//! mode through the foundation (`arch::usermode::execute`), which returns
//! the reason the CPU came back (`foundation::trap::UserEntry`); the loop
//! acts on it (the syscall is dispatched, a fault handled or turned into a
//! signal), then takes the common way out, `task::return_to_user` (yield
//! when the slice is over, die if killed, deliver signals), and enters
//! again.
//! May call: `abi`, `task`, `sched`.

use foundation::trap::{self, Handlers, UserEntry};

use crate::arch::usermode::{self, TrapFrame};

/// Installs the handlers (at boot, before interrupts are enabled).
pub fn install() {
    trap::install(Handlers { user_main, timer, nmi, fatal_in_user: crate::task::fault::fatal_in_user });
}

/// A user thread's life in the kernel, from its first switch on; ends when
/// the thread exits (inside the syscall or the signal delivery that ends it).
fn user_main(frame: &mut TrapFrame) -> ! {
    crate::sched::finish_switch();
    loop {
        crate::task::return_to_user(frame);
        match usermode::execute(frame) {
            UserEntry::Syscall => {
                crate::sched::watchdog::progress();
                crate::abi::syscall(frame);
            }
            UserEntry::Exception { vector, error_code, cr2, extra } => {
                crate::sched::watchdog::progress();
                crate::task::fault::user_exception(frame, vector, error_code, cr2, extra);
            }
            // The tick's work ran in the interrupt (the timer hook below).
            UserEntry::Timer => {}
        }
    }
}

/// Every timer interrupt, before its tick handlers: arrivals from user mode
/// are progress; in the kernel, the watchdog looks at how long it has been.
fn timer(from_user: bool, rip: u64, rbp: u64) {
    if from_user {
        crate::sched::watchdog::progress();
    } else {
        crate::sched::watchdog::check(rip, rbp);
    }
}

fn nmi(rip: u64, rbp: u64) {
    crate::sched::watchdog::dump(rip, rbp);
}
