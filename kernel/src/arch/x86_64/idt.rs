//! Interrupt descriptor table: a handler for every CPU exception, and the
//! hardware IRQ lines of the legacy PIC (vectors 32..48).
//!
//! Exceptions enter through the full-frame stubs of `usermode.rs`: from
//! ring 3 they become signals (`task::fault`); from ring 0 the stub jumps to
//! the x86-interrupt handler here, and a kernel-mode exception is fatal: it
//! prints the vector, RIP, error code, CR2 and a stack trace, then panics
//! (which ends QEMU under test). Kernel breakpoints are reported and
//! execution continues. NMI, #DF and #MC have only the handlers here; an NMI
//! prints the thread dump (`sched::watchdog`) and execution continues.

use core::fmt;
use spin::Once;
use x86_64::registers::control::Cr2;
use x86_64::structures::idt::{InterruptDescriptorTable, InterruptStackFrame, PageFaultErrorCode};

use super::{backtrace, gdt, pic};

/// First vector of the remapped legacy PIC.
pub const IRQ_BASE: u8 = 32;

static IDT: Once<InterruptDescriptorTable> = Once::new();

/// What a fatal exception reports.
struct Fault<'a> {
    name: &'static str,
    vector: u8,
    frame: &'a InterruptStackFrame,
    error_code: Option<u64>,
    cr2: Option<u64>,
}

impl fmt::Display for Fault<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CPU exception {} (vector {}) at RIP {:#x}, CS {:#x}, RSP {:#x}, RFLAGS {:#x}",
            self.name,
            self.vector,
            self.frame.instruction_pointer.as_u64(),
            self.frame.code_segment.0,
            self.frame.stack_pointer.as_u64(),
            self.frame.cpu_flags.bits()
        )?;
        if let Some(code) = self.error_code {
            write!(f, ", error code {code:#x}")?;
        }
        if let Some(cr2) = self.cr2 {
            write!(f, ", CR2 {cr2:#x}")?;
        }
        Ok(())
    }
}

fn fatal(fault: Fault<'_>) -> ! {
    if fault.frame.code_segment.rpl() == x86_64::PrivilegeLevel::Ring3 {
        crate::task::fault::fatal_in_user(fault.vector, fault.frame.instruction_pointer.as_u64());
    }
    crate::console::emergency_print(format_args!("\n{fault}\n"));
    backtrace::print_from(
        fault.frame.instruction_pointer.as_u64(),
        super::cpu::frame_pointer(),
    );
    panic!("unhandled {} in kernel mode", fault.name);
}

macro_rules! exception {
    ($fn_name:ident, $name:literal, $vector:literal) => {
        pub(super) extern "x86-interrupt" fn $fn_name(frame: InterruptStackFrame) {
            fatal(Fault { name: $name, vector: $vector, frame: &frame, error_code: None, cr2: None });
        }
    };
    ($fn_name:ident, $name:literal, $vector:literal, error_code) => {
        pub(super) extern "x86-interrupt" fn $fn_name(frame: InterruptStackFrame, code: u64) {
            fatal(Fault { name: $name, vector: $vector, frame: &frame, error_code: Some(code), cr2: None });
        }
    };
}

exception!(divide_error, "#DE divide error", 0);
exception!(debug, "#DB debug", 1);
exception!(overflow, "#OF overflow", 4);
exception!(bound_range, "#BR bound range exceeded", 5);
exception!(invalid_opcode, "#UD invalid opcode", 6);
exception!(device_not_available, "#NM device not available", 7);
exception!(invalid_tss, "#TS invalid TSS", 10, error_code);
exception!(segment_not_present, "#NP segment not present", 11, error_code);
exception!(stack_segment, "#SS stack-segment fault", 12, error_code);
exception!(general_protection, "#GP general protection fault", 13, error_code);
exception!(x87_floating_point, "#MF x87 floating point", 16);
exception!(alignment_check, "#AC alignment check", 17, error_code);
exception!(simd_floating_point, "#XM SIMD floating point", 19);
exception!(virtualization, "#VE virtualization", 20);
exception!(control_protection, "#CP control protection", 21, error_code);
exception!(hv_injection, "#HV hypervisor injection", 28);
exception!(vmm_communication, "#VC VMM communication", 29, error_code);
exception!(security, "#SX security", 30, error_code);

/// An NMI (QEMU monitor `nmi`; nothing else raises one here) asks for the
/// thread dump, which works even when the kernel is stuck with interrupts
/// off. Execution then goes on.
extern "x86-interrupt" fn nmi(frame: InterruptStackFrame) {
    crate::console::emergency_print(format_args!("\nNMI at RIP {:#x}: thread dump\n", frame.instruction_pointer.as_u64()));
    crate::sched::watchdog::dump(frame.instruction_pointer.as_u64(), super::cpu::frame_pointer());
}

pub(super) extern "x86-interrupt" fn breakpoint(frame: InterruptStackFrame) {
    log::warn!("breakpoint at {:#x}", frame.instruction_pointer.as_u64());
}

pub(super) extern "x86-interrupt" fn page_fault(frame: InterruptStackFrame, code: PageFaultErrorCode) {
    let cr2 = Cr2::read_raw();
    fatal(Fault { name: "#PF page fault", vector: 14, frame: &frame, error_code: Some(code.bits()), cr2: Some(cr2) });
}

extern "x86-interrupt" fn double_fault(frame: InterruptStackFrame, code: u64) -> ! {
    fatal(Fault { name: "#DF double fault", vector: 8, frame: &frame, error_code: Some(code), cr2: None });
}

extern "x86-interrupt" fn machine_check(frame: InterruptStackFrame) -> ! {
    fatal(Fault { name: "#MC machine check", vector: 18, frame: &frame, error_code: None, cr2: None });
}

macro_rules! irq_handlers {
    ($($fn_name:ident = $line:literal),* $(,)?) => {
        $(extern "x86-interrupt" fn $fn_name(_frame: InterruptStackFrame) {
            pic::dispatch($line);
        })*
        const IRQ_ENTRIES: [extern "x86-interrupt" fn(InterruptStackFrame); 16] = [$($fn_name),*];
    };
}

irq_handlers!(
    irq0 = 0, irq1 = 1, irq2 = 2, irq3 = 3, irq4 = 4, irq5 = 5, irq6 = 6, irq7 = 7,
    irq8 = 8, irq9 = 9, irq10 = 10, irq11 = 11, irq12 = 12, irq13 = 13, irq14 = 14, irq15 = 15,
);

pub fn init() {
    let idt = IDT.call_once(|| {
        let mut idt = InterruptDescriptorTable::new();
        idt.non_maskable_interrupt.set_handler_fn(nmi);
        // SAFETY: the IST index names the stack gdt::init installs in the TSS,
        // used by no other handler.
        unsafe {
            idt.double_fault
                .set_handler_fn(double_fault)
                .set_stack_index(gdt::DOUBLE_FAULT_IST_INDEX);
        }
        idt.machine_check.set_handler_fn(machine_check);
        // Every other exception: the full-frame stub, which jumps to the
        // x86-interrupt handler above for ring 0. int3 (and into) may be
        // used by user code, as on Linux.
        macro_rules! stub {
            ($($field:ident = $vector:literal),* $(,)?) => {$(
                if let Some(entry) = super::usermode::exception_entry($vector) {
                    // SAFETY: the stub saves a complete TrapFrame for ring 3
                    // and leaves with iretq, or hands the untouched CPU frame
                    // to the matching handler here (see usermode.rs).
                    let options = unsafe { idt.$field.set_handler_addr(entry) };
                    if $vector == 3 || $vector == 4 {
                        options.set_privilege_level(x86_64::PrivilegeLevel::Ring3);
                    }
                }
            )*};
        }
        stub!(
            divide_error = 0, debug = 1, breakpoint = 3, overflow = 4, bound_range_exceeded = 5,
            invalid_opcode = 6, device_not_available = 7, invalid_tss = 10, segment_not_present = 11,
            stack_segment_fault = 12, general_protection_fault = 13, page_fault = 14,
            x87_floating_point = 16, alignment_check = 17, simd_floating_point = 19,
            virtualization = 20, cp_protection_exception = 21, hv_injection_exception = 28,
            vmm_communication_exception = 29, security_exception = 30,
        );
        for (line, handler) in IRQ_ENTRIES.iter().enumerate() {
            idt[IRQ_BASE + line as u8].set_handler_fn(*handler);
        }
        // SAFETY: the timer stub saves a complete TrapFrame and returns with
        // iretq (see usermode.rs); it is an interrupt gate like the others.
        unsafe {
            idt[IRQ_BASE + pic::TIMER_IRQ].set_handler_addr(super::usermode::timer_entry());
        }
        idt
    });
    idt.load();
}
