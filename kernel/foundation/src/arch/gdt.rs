//! Global descriptor table and task-state segment.
//!
//! Layout (fixed, SYSCALL/SYSRET depend on it): 0x08 kernel code, 0x10 kernel
//! data, 0x18 user data, 0x20 user code, 0x28 TSS. The double-fault handler
//! runs on its own IST stack so a kernel stack overflow still gets reported.

use spin::Once;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::VirtAddr;

/// IST slot used by the double-fault handler.
pub const DOUBLE_FAULT_IST_INDEX: u16 = 0;
const IST_STACK_SIZE: usize = 16 * 1024;

#[repr(align(16))]
#[allow(dead_code)] // only its address is used
struct IstStack([u8; IST_STACK_SIZE]);

static mut DOUBLE_FAULT_STACK: IstStack = IstStack([0; IST_STACK_SIZE]);

pub struct Selectors {
    pub kernel_code: SegmentSelector,
    pub kernel_data: SegmentSelector,
    pub user_data: SegmentSelector,
    pub user_code: SegmentSelector,
    pub tss: SegmentSelector,
}

static mut TSS: TaskStateSegment = TaskStateSegment::new();
static TSS_READY: Once<()> = Once::new();
static GDT: Once<(GlobalDescriptorTable, Selectors)> = Once::new();

/// The selectors, valid after [`init`].
pub fn selectors() -> &'static Selectors {
    &GDT.get().expect("gdt::init runs first").1
}

/// The range of the double-fault stack (for the stack walker).
pub fn double_fault_stack() -> (u64, u64) {
    let start = VirtAddr::from_ptr(&raw const DOUBLE_FAULT_STACK).as_u64();
    (start, start + IST_STACK_SIZE as u64)
}

/// The stack the CPU switches to on an interrupt from user mode.
pub fn set_rsp0(top: u64) {
    // SAFETY: see `init`: a single aligned 64-bit store into the static TSS.
    unsafe { (*(&raw mut TSS)).privilege_stack_table[0] = VirtAddr::new(top) };
}

pub fn init() {
    TSS_READY.call_once(|| {
        let (_, top) = double_fault_stack();
        // SAFETY: runs once, before the TSS is loaded; nothing else references it yet.
        unsafe { (*(&raw mut TSS)).interrupt_stack_table[DOUBLE_FAULT_IST_INDEX as usize] = VirtAddr::new(top) };
    });
    // SAFETY: the TSS is a static that lives forever; after this only
    // `set_rsp0` writes it (one CPU, with the CPU reading it only on a
    // privilege change, which cannot happen during that write).
    let tss: &'static TaskStateSegment = unsafe { &*(&raw const TSS) };
    let (gdt, sel) = GDT.call_once(|| {
        let mut gdt = GlobalDescriptorTable::new();
        let kernel_code = gdt.append(Descriptor::kernel_code_segment());
        let kernel_data = gdt.append(Descriptor::kernel_data_segment());
        let user_data = gdt.append(Descriptor::user_data_segment());
        let user_code = gdt.append(Descriptor::user_code_segment());
        let tss = gdt.append(Descriptor::tss_segment(tss));
        (gdt, Selectors { kernel_code, kernel_data, user_data, user_code, tss })
    });
    gdt.load();
    // SAFETY: the selectors index the GDT just loaded, whose descriptors are
    // valid kernel code/data segments and a TSS that lives forever.
    unsafe {
        CS::set_reg(sel.kernel_code);
        SS::set_reg(sel.kernel_data);
        DS::set_reg(sel.kernel_data);
        ES::set_reg(sel.kernel_data);
        load_tss(sel.tss);
    }
}
