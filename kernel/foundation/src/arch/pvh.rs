//! PVH direct boot: the kernel started by QEMU's `-kernel` without a boot loader.
//!
//! QEMU's loader copies each PT_LOAD segment to its physical address
//! (kernel/linker.ld) and the firmware (qboot or SeaBIOS's pvh.bin) starts
//! `pvh_start32`, named by the Xen ELF note, in 32-bit protected mode with
//! paging off and %ebx = the physical address of the `hvm_start_info`. The
//! stub (`pvh.S`) zeroes .bss, maps physical 0..1 GiB at 0 and at the
//! kernel's link base, enters long mode and calls [`pvh_main`].
//!
//! `pvh_main` then builds exactly what the `bootloader` crate hands a kernel
//! (the boot contract, `crate::boot`): the kernel at its link
//! address with per-section permissions (text read-only and executable,
//! read-only data, writable data, both no-execute), the boot stack at its
//! fixed address above an unmapped guard page, the physical-memory window at
//! its fixed offset (2 MiB pages, as the bootloader maps it), and a
//! `BootInfo` whose memory map comes from the start info's E820 table
//! (normalised by the `bootmem` crate) with the kernel image, the new page
//! tables and the stack marked as boot memory. It switches to those tables
//! and jumps to `_start`, the entry the bootloader calls: from there on
//! nothing knows which path booted the kernel.
//! Invariants: no heap, no console, no locks before `_start`; everything
//! `pvh_main` allocates comes from the RAM right after the kernel image and
//! below 1 GiB (the early identity mapping). A malformed start info is
//! reported on COM1 and ends QEMU with the panic status.
//! May call: `bootmem`, `x86_64`'s page-table types, port I/O.

use core::arch::{asm, global_asm};
use core::mem::MaybeUninit;
use core::ops::Range;

use bootloader_api::info::{MemoryRegion, MemoryRegionKind, MemoryRegions};
use bootloader_api::BootInfo;
use bootmem::{Kind, MemmapEntry, Region, StartInfo, MAX_ENTRIES, START_INFO_MAGIC};
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageSize, PageTable, PageTableFlags as Flags, PhysFrame,
    Size2MiB, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

use crate::boot::{BOOT_STACK_GUARD, BOOT_STACK_SIZE, PHYS_OFFSET};

/// Link address minus load address of every kernel byte (kernel/linker.ld
/// checks that it agrees).
const KERNEL_VMA_OFFSET: u64 = 0xffff_ffff_8000_0000;

global_asm!(include_str!("pvh.S"), offset = const KERNEL_VMA_OFFSET as i64, options(att_syntax));

/// What the stub's early page directory identity-maps.
const IDENTITY_LIMIT: u64 = 1 << 30;
const PAGE: u64 = 4096;
/// Room for the boot memory map (QEMU's E820 tables have ~7 entries).
const MAX_REGIONS: usize = 64;

extern "C" {
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __kernel_end: u8;
}

static mut BOOT_INFO: MaybeUninit<BootInfo> = MaybeUninit::uninit();
static mut REGIONS: [MemoryRegion; MAX_REGIONS] =
    [MemoryRegion { start: 0, end: 0, kind: MemoryRegionKind::Bootloader }; MAX_REGIONS];

fn link_addr(sym: &u8) -> u64 {
    sym as *const u8 as u64
}

/// Frames handed out one after another from the RAM following the kernel.
struct Bump {
    next: u64,
    end: u64,
}

// SAFETY: every frame is fresh RAM after the kernel image that nothing else
// uses (bootmem marked it usable), handed out once; the mapper zeroes new
// tables itself and `new_table` zeroes the level-4 table.
unsafe impl FrameAllocator<Size4KiB> for Bump {
    fn allocate_frame(&mut self) -> Option<PhysFrame> {
        if self.next + PAGE > self.end {
            return None;
        }
        let frame = PhysFrame::containing_address(PhysAddr::new(self.next));
        self.next += PAGE;
        Some(frame)
    }
}

/// Reads a `T` at a physical address below the identity limit.
fn read_phys<T: Copy>(phys: u64) -> Result<T, &'static str> {
    let end = phys.checked_add(size_of::<T>() as u64).ok_or("address overflow")?;
    if phys == 0 || end > IDENTITY_LIMIT {
        return Err("start info data outside the low 1 GiB");
    }
    // SAFETY: [phys, end) lies in the stub's identity mapping of RAM below
    // 1 GiB; `read_unaligned` copies it out whatever its alignment.
    Ok(unsafe { core::ptr::read_unaligned(phys as *const T) })
}

/// The stub's entry into Rust: long mode, the early mappings, interrupts off.
#[no_mangle]
extern "C" fn pvh_main(start_info: u64) -> ! {
    match prepare(start_info) {
        // SAFETY: `prepare` built tables that map this code, the kernel, the
        // stack and the boot info; the boot info is 'static and used by no one else.
        Ok((l4, stack_top, info)) => unsafe { enter(l4, stack_top, info) },
        Err(why) => fail(why),
    }
}

fn prepare(start_info: u64) -> Result<(PhysFrame, u64, &'static mut BootInfo), &'static str> {
    let info: StartInfo = read_phys(start_info)?;
    if info.magic != START_INFO_MAGIC {
        return Err("bad hvm_start_info magic");
    }
    let count = info.memmap_entries as usize;
    if info.version < 1 || count == 0 || count > MAX_ENTRIES {
        return Err("no usable memory map in the start info");
    }
    let mut map = [MemmapEntry::default(); MAX_ENTRIES];
    for (i, slot) in map[..count].iter_mut().enumerate() {
        *slot = read_phys(info.memmap_paddr.saturating_add((i * size_of::<MemmapEntry>()) as u64))?;
    }
    let map = &map[..count];

    // SAFETY (both): linker-script symbols; only their addresses are used.
    let (kstart, kend) = unsafe { (link_addr(&__kernel_start), link_addr(&__kernel_end)) };
    let phys = |virt: u64| virt - KERNEL_VMA_OFFSET;
    let image = phys(kstart)..phys(kend);

    // Page tables and the stack come from the RAM after the image.
    let mut regions = [Region { start: 0, end: 0, kind: Kind::Usable }; MAX_REGIONS];
    let n = bootmem::regions(map, &[image.clone()], &mut regions).map_err(|_| "bad memory map")?;
    let after = regions[..n]
        .iter()
        .find(|r| r.kind == Kind::Usable && r.start == image.end)
        .ok_or("no free RAM after the kernel image")?;
    let mut bump = Bump { next: image.end, end: after.end.min(IDENTITY_LIMIT) };

    let l4 = bump.allocate_frame().ok_or("out of boot memory")?;
    // SAFETY: a fresh frame below 1 GiB, identity mapped; nothing else refers to it.
    let table = unsafe { &mut *(l4.start_address().as_u64() as *mut PageTable) };
    table.zero();
    // SAFETY: every table frame comes from `bump`, below 1 GiB, where the
    // early identity mapping makes physical = virtual (offset 0).
    let mut mapper = unsafe { OffsetPageTable::new(table, VirtAddr::new(0)) };

    // SAFETY: linker-script symbols; only their addresses are used.
    let sections = unsafe {
        [
            (link_addr(&__kernel_start)..link_addr(&__text_end), Flags::PRESENT),
            (link_addr(&__rodata_start)..link_addr(&__rodata_end), Flags::PRESENT | Flags::NO_EXECUTE),
            (link_addr(&__data_start)..link_addr(&__kernel_end), Flags::PRESENT | Flags::WRITABLE | Flags::NO_EXECUTE),
        ]
    };
    for (range, flags) in sections {
        map_4k(&mut mapper, &mut bump, range.clone(), phys(range.start), flags)?;
    }

    // The stack: fresh frames above an unmapped guard page.
    let stack = BOOT_STACK_GUARD + PAGE..BOOT_STACK_GUARD + PAGE + BOOT_STACK_SIZE;
    for page in (stack.start..stack.end).step_by(PAGE as usize) {
        let frame = bump.allocate_frame().ok_or("out of boot memory")?;
        map_one(&mut mapper, &mut bump, page, frame.start_address().as_u64(), Flags::PRESENT | Flags::WRITABLE | Flags::NO_EXECUTE)?;
    }

    map_window(mapper.level_4_table_mut(), &mut bump, bootmem::window_end(map, Size2MiB::SIZE))?;

    // The memory map, with everything used above marked as boot memory.
    let boot = image.start..bump.next;
    let n = bootmem::regions(map, &[boot.clone()], &mut regions).map_err(|_| "bad memory map")?;
    // SAFETY: REGIONS and BOOT_INFO are touched only here, once, before the
    // kernel starts; the references handed to `_start` are the only ones.
    let (out, boot_info) = unsafe { (&mut *(&raw mut REGIONS), &mut *(&raw mut BOOT_INFO)) };
    for (slot, r) in out.iter_mut().zip(&regions[..n]) {
        let kind = match r.kind {
            Kind::Usable => MemoryRegionKind::Usable,
            Kind::Boot => MemoryRegionKind::Bootloader,
            Kind::Firmware(t) => MemoryRegionKind::UnknownBios(t),
        };
        *slot = MemoryRegion { start: r.start, end: r.end, kind };
    }
    let mut bi = BootInfo::new(MemoryRegions::from(&mut out[..n]));
    bi.physical_memory_offset = Some(PHYS_OFFSET).into();
    bi.rsdp_addr = (info.rsdp_paddr != 0).then_some(info.rsdp_paddr).into();
    // The bootloader reports where it keeps the ELF file; here the loaded
    // image is all there is (the kernel reads neither).
    bi.kernel_addr = image.start;
    bi.kernel_len = image.end - image.start;
    bi.kernel_image_offset = 0;
    bi.kernel_stack_bottom = stack.start;
    bi.kernel_stack_len = BOOT_STACK_SIZE;
    let boot_info = boot_info.write(bi);
    Ok((l4, stack.end, boot_info))
}

/// Maps physical [0, end) at `PHYS_OFFSET` with 2 MiB pages (writable, no
/// execute), as the bootloader does. The tables are filled directly, one
/// store per page, rather than by a page-table walk per page (2048 of them
/// for 4 GiB: a few ms under TCG).
fn map_window(l4: &mut PageTable, bump: &mut Bump, end: u64) -> Result<(), &'static str> {
    const GIB: u64 = 1 << 30;
    let table = Flags::PRESENT | Flags::WRITABLE;
    let leaf = Flags::PRESENT | Flags::WRITABLE | Flags::NO_EXECUTE | Flags::HUGE_PAGE;
    let mut fresh = || -> Result<(PhysFrame, &'static mut PageTable), &'static str> {
        let frame = bump.allocate_frame().ok_or("out of boot memory")?;
        // SAFETY: a fresh frame below 1 GiB, identity mapped, used by nothing else.
        let t = unsafe { &mut *(frame.start_address().as_u64() as *mut PageTable) };
        t.zero();
        Ok((frame, t))
    };
    let mut pdpt: Option<&mut PageTable> = None;
    for gib in 0..end.div_ceil(GIB) {
        let virt = VirtAddr::new(PHYS_OFFSET + gib * GIB);
        if pdpt.is_none() || u16::from(virt.p3_index()) == 0 {
            if !l4[virt.p4_index()].is_unused() {
                return Err("the physical-memory window overlaps another mapping");
            }
            let (frame, t) = fresh()?;
            l4[virt.p4_index()].set_frame(frame, table);
            pdpt = Some(t);
        }
        let (frame, pd) = fresh()?;
        for (i, entry) in pd.iter_mut().enumerate() {
            let phys = gib * GIB + (i as u64) * Size2MiB::SIZE;
            if phys < end {
                entry.set_addr(PhysAddr::new(phys), leaf);
            }
        }
        if let Some(p) = pdpt.as_mut() {
            p[virt.p3_index()].set_frame(frame, table);
        }
    }
    Ok(())
}

fn map_one(mapper: &mut OffsetPageTable, bump: &mut Bump, virt: u64, phys: u64, flags: Flags) -> Result<(), &'static str> {
    let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virt));
    let frame = PhysFrame::containing_address(PhysAddr::new(phys));
    // SAFETY: each kernel page is mapped once, to its own frame, in tables
    // that are not active yet.
    unsafe { mapper.map_to(page, frame, flags, bump) }.map_err(|_| "cannot map the kernel")?.ignore();
    Ok(())
}

fn map_4k(mapper: &mut OffsetPageTable, bump: &mut Bump, virt: Range<u64>, phys: u64, flags: Flags) -> Result<(), &'static str> {
    for (i, v) in (virt.start..virt.end).step_by(PAGE as usize).enumerate() {
        map_one(mapper, bump, v, phys + i as u64 * PAGE, flags)?;
    }
    Ok(())
}

/// Switches to the new tables and stack and calls the kernel's entry.
///
/// # Safety
/// `l4` must map the running code, its stack, `stack_top` and `boot_info`,
/// and the physical-memory window.
unsafe fn enter(l4: PhysFrame, stack_top: u64, boot_info: &'static mut BootInfo) -> ! {
    // SAFETY: the caller's promise: this code and its stack (.bss) stay
    // mapped at the same addresses.
    unsafe { asm!("mov cr3, {}", in(reg) l4.start_address().as_u64(), options(nostack)) };
    local_apic_virtual_wire();
    // SAFETY: the caller's promise; `_start` never returns. As the
    // bootloader does, a zero return address ends stack walks.
    unsafe {
        asm!(
            "mov rsp, {stack}",
            "push 0",
            "xor ebp, ebp",
            // `_start`: the entry `bootloader_api::entry_point!` defines.
            "jmp _start",
            stack = in(reg) stack_top,
            in("rdi") boot_info as *mut BootInfo,
            options(noreturn)
        )
    }
}

/// Puts the local APIC in virtual-wire mode as SeaBIOS leaves it (the state
/// the bootloader path starts in): enabled with spurious vector 0xff, LINT0
/// delivering the 8259's interrupts (ExtINT), LINT1 as NMI. qboot leaves
/// LINT0 masked, so no PIC interrupt would reach the CPU.
fn local_apic_virtual_wire() {
    const APIC_BASE_MSR: u32 = 0x1b;
    const GLOBAL_ENABLE: u64 = 1 << 11;
    // SAFETY: reading IA32_APIC_BASE has no side effects; every x86_64 CPU
    // QEMU models has a local APIC.
    let base = unsafe { x86_64::registers::model_specific::Msr::new(APIC_BASE_MSR).read() };
    if base & GLOBAL_ENABLE == 0 {
        return; // the PIC's INTR goes to the CPU directly
    }
    let mmio = PHYS_OFFSET + (base & 0xf_ffff_f000);
    for (reg, value) in [(0xf0, 0x1ffu32), (0x350, 0x8700), (0x360, 0x8400)] {
        // SAFETY: the APIC's register page, reached through the physical-memory
        // window just mapped; SVR, LVT LINT0 and LVT LINT1 are 32-bit registers.
        unsafe { core::ptr::write_volatile((mmio + reg) as *mut u32, value) };
    }
}

/// A start info the kernel cannot use: say so on COM1 and end QEMU as a panic.
fn fail(why: &str) -> ! {
    for &b in b"pvh: ".iter().chain(why.as_bytes()).chain(b"\n") {
        super::port::outb(0x3f8, b);
    }
    // isa-debug-exit: QEMU ends with the kernel-panic status (35).
    super::port::outl(0xf4, 0x11);
    super::halt_forever()
}
