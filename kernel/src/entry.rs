//! The kernel's side of user mode: what happens when the CPU comes back
//! from ring 3, and the few interrupt-time jobs only the kernel can do.
//!
//! The foundation's entry stubs save the user registers and call
//! [`user_entry`] with the reason (`foundation::trap::UserEntry`); this
//! code acts on it (the syscall is dispatched, a fault handled or turned
//! into a signal) and then does the common way out, `task::return_to_user`
//! (yield when the slice is over, die if killed, deliver signals). When it
//! returns, the foundation goes back to ring 3 with the frame as left here.
//! May call: `abi`, `task`, `sched`.

use foundation::trap::{self, Handlers, UserEntry};

use crate::arch::usermode::TrapFrame;

/// Installs the handlers (at boot, before interrupts are enabled).
pub fn install() {
    trap::install(Handlers { user_entry, timer, nmi, fatal_in_user: crate::task::fault::fatal_in_user });
}

fn user_entry(frame: &mut TrapFrame, entry: UserEntry) {
    match entry {
        UserEntry::Syscall => {
            crate::sched::watchdog::progress();
            crate::abi::syscall(frame);
        }
        UserEntry::Exception { vector, error_code, cr2, extra } => {
            crate::sched::watchdog::progress();
            crate::task::fault::user_exception(frame, vector, error_code, cr2, extra);
        }
        UserEntry::Timer => {}
        UserEntry::Start => crate::sched::finish_switch(),
    }
    crate::task::return_to_user(frame);
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
