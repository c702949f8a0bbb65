//! The panic handler: print the message, its location and a stack trace,
//! then end the machine with a failure status (QEMU exits with 35), so a
//! test run fails loudly instead of hanging.

use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    x86_64::instructions::interrupts::disable();
    crate::console::emergency_print(format_args!("\nKERNEL PANIC: {}\n", info.message()));
    if let Some(loc) = info.location() {
        crate::console::emergency_print(format_args!("  at {}:{}:{}\n", loc.file(), loc.line(), loc.column()));
    }
    crate::arch::backtrace::print_from(0, crate::arch::cpu::frame_pointer());
    crate::power::qemu_exit(crate::power::ExitCode::Panic);
    crate::arch::halt_forever()
}
