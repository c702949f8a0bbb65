//! Interrupt descriptor table: a handler for every CPU exception, and the
//! hardware IRQ lines of the legacy PIC (vectors 32..48).
//!
//! A kernel-mode exception is fatal: the handler prints the vector, RIP, error
//! code, CR2 and a stack trace, then panics (which ends QEMU under test).
//! Breakpoints are reported and execution continues.

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
        crate::task::fault_in_user(fault.vector, fault.frame.instruction_pointer.as_u64(), fault.cr2);
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
        extern "x86-interrupt" fn $fn_name(frame: InterruptStackFrame) {
            fatal(Fault { name: $name, vector: $vector, frame: &frame, error_code: None, cr2: None });
        }
    };
    ($fn_name:ident, $name:literal, $vector:literal, error_code) => {
        extern "x86-interrupt" fn $fn_name(frame: InterruptStackFrame, code: u64) {
            fatal(Fault { name: $name, vector: $vector, frame: &frame, error_code: Some(code), cr2: None });
        }
    };
}

exception!(divide_error, "#DE divide error", 0);
exception!(debug, "#DB debug", 1);
exception!(nmi, "NMI", 2);
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

extern "x86-interrupt" fn breakpoint(frame: InterruptStackFrame) {
    log::warn!("breakpoint at {:#x}", frame.instruction_pointer.as_u64());
}

extern "x86-interrupt" fn page_fault(frame: InterruptStackFrame, code: PageFaultErrorCode) {
    let cr2 = Cr2::read_raw();
    let user = frame.code_segment.rpl() == x86_64::PrivilegeLevel::Ring3;
    let write = code.contains(PageFaultErrorCode::CAUSED_BY_WRITE);
    let present = code.contains(PageFaultErrorCode::PROTECTION_VIOLATION);
    if user && crate::task::resolve_user_fault(cr2, write, present) {
        return; // the page is there now (filled lazily, or a private copy)
    }
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
        idt.divide_error.set_handler_fn(divide_error);
        idt.debug.set_handler_fn(debug);
        idt.non_maskable_interrupt.set_handler_fn(nmi);
        idt.breakpoint.set_handler_fn(breakpoint);
        idt.overflow.set_handler_fn(overflow);
        idt.bound_range_exceeded.set_handler_fn(bound_range);
        idt.invalid_opcode.set_handler_fn(invalid_opcode);
        idt.device_not_available.set_handler_fn(device_not_available);
        // SAFETY: the IST index names the stack gdt::init installs in the TSS,
        // used by no other handler.
        unsafe {
            idt.double_fault
                .set_handler_fn(double_fault)
                .set_stack_index(gdt::DOUBLE_FAULT_IST_INDEX);
        }
        idt.invalid_tss.set_handler_fn(invalid_tss);
        idt.segment_not_present.set_handler_fn(segment_not_present);
        idt.stack_segment_fault.set_handler_fn(stack_segment);
        idt.general_protection_fault.set_handler_fn(general_protection);
        idt.page_fault.set_handler_fn(page_fault);
        idt.x87_floating_point.set_handler_fn(x87_floating_point);
        idt.alignment_check.set_handler_fn(alignment_check);
        idt.machine_check.set_handler_fn(machine_check);
        idt.simd_floating_point.set_handler_fn(simd_floating_point);
        idt.virtualization.set_handler_fn(virtualization);
        idt.cp_protection_exception.set_handler_fn(control_protection);
        idt.hv_injection_exception.set_handler_fn(hv_injection);
        idt.vmm_communication_exception.set_handler_fn(vmm_communication);
        idt.security_exception.set_handler_fn(security);
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
