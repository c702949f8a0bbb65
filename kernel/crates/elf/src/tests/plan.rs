//! Load plans: placement, bias rules, segment ranges.

use alloc::vec;
use alloc::vec::Vec;

use super::build::*;
use crate::program::*;
use crate::{ElfError, ElfFile, ElfKind, Perms, Segment, TlsInfo, USER_END};

const RX: Perms = Perms {
    read: true,
    write: false,
    execute: true,
};
const RW: Perms = Perms {
    read: true,
    write: true,
    execute: false,
};

#[test]
fn static_executable_plan() {
    let mut phdrs = static_exe_phdrs();
    phdrs.push(ph(PT_TLS, PF_R, 0x2e10, 0x40_2e10, 0x28, 0x8a, 8));
    let file = image(ET_EXEC, 0x40_1000, &phdrs, 0x3000);
    let plan = ElfFile::parse(&file).unwrap().load_plan(0).unwrap();
    assert_eq!(plan.kind, ElfKind::Executable);
    assert_eq!(
        plan.segments,
        [
            Segment {
                mem: 0x40_0000..0x40_2000,
                file: 0..0x1234,
                zero: 0x40_1234..0x40_2000,
                perms: RX,
                index: 0
            },
            Segment {
                mem: 0x40_2000..0x40_5000,
                file: 0x2000..0x2f10,
                zero: 0x40_2f10..0x40_5000,
                perms: RW,
                index: 1
            },
        ]
    );
    assert_eq!(plan.entry, 0x40_1000);
    assert_eq!(plan.phdr, 0x40_0040);
    assert_eq!((plan.phent, plan.phnum), (56, 3));
    assert_eq!(plan.span, 0x40_0000..0x40_5000);
    assert_eq!(plan.brk, 0x40_5000);
    assert_eq!(
        plan.tls,
        Some(TlsInfo {
            vaddr: 0x40_2e10,
            file_size: 0x28,
            mem_size: 0x8a,
            align: 8
        })
    );
    assert_eq!(plan.interpreter, None);
    assert!(!plan.executable_stack);
}

fn pie() -> Vec<u8> {
    let phdrs = vec![
        ph(PT_PHDR, PF_R, 64, 64, 56 * 5, 56 * 5, 8),
        ph(PT_INTERP, PF_R, 0x318, 0x318, 28, 28, 1),
        ph(PT_LOAD, PF_R | PF_X, 0, 0, 0x1290, 0x1290, 0x1000),
        ph(PT_LOAD, PF_R | PF_W, 0x1d70, 0x2d70, 0x470, 0x608, 0x1000),
        ph(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16),
    ];
    with_bytes(
        image(ET_DYN, 0x23d0 - 0x1000, &phdrs, 0x2200),
        0x318,
        b"/lib64/ld-linux-x86-64.so.2\0",
    )
}

#[test]
fn pie_plan_applies_the_bias_everywhere() {
    let file = pie();
    let elf = ElfFile::parse(&file).unwrap();
    assert_eq!(elf.span(), 0..0x4000);
    let bias = 0x5555_5555_4000;
    let plan = elf.load_plan(bias).unwrap();
    assert_eq!(plan.bias, bias);
    assert_eq!(plan.entry, bias + 0x13d0);
    assert_eq!(plan.phdr, bias + 64);
    assert_eq!(
        plan.interpreter.as_deref(),
        Some("/lib64/ld-linux-x86-64.so.2")
    );
    assert_eq!(plan.segments[0].mem, bias..bias + 0x2000);
    assert_eq!(plan.segments[1].mem, bias + 0x2000..bias + 0x4000);
    assert_eq!(plan.segments[1].file, 0x1000..0x21e0);
    assert_eq!(plan.segments[1].zero, bias + 0x31e0..bias + 0x4000);
    assert_eq!(plan.span, bias..bias + 0x4000);
    // Bias 0 is allowed for ET_DYN too.
    assert_eq!(elf.load_plan(0).unwrap().entry, 0x13d0);
}

#[test]
fn bias_rules() {
    let exe = image(ET_EXEC, 0x40_1000, &static_exe_phdrs(), 0x3000);
    assert_eq!(
        ElfFile::parse(&exe).unwrap().load_plan(0x1000),
        Err(ElfError::BiasNotAllowed)
    );
    let file = pie();
    let elf = ElfFile::parse(&file).unwrap();
    assert_eq!(elf.load_plan(0x1234), Err(ElfError::UnalignedBias));
    assert_eq!(
        elf.load_plan(USER_END - 0x3000),
        Err(ElfError::OutsideUserSpace { index: 3 })
    );
    assert!(elf.load_plan(USER_END - 0x4000).is_ok());
    assert_eq!(
        elf.load_plan(0xffff_ffff_ffff_f000),
        Err(ElfError::OutsideUserSpace { index: 2 })
    );
}

#[test]
fn bss_only_segment_copies_nothing() {
    let phdrs = vec![
        ph(PT_LOAD, PF_R | PF_X, 0, 0x40_0000, 0x800, 0x800, 0x1000),
        ph(PT_LOAD, PF_R | PF_W, 0x900, 0x40_0900, 0, 0x3000, 0x100),
    ];
    let file = image(ET_EXEC, 0x40_0100, &phdrs, 0x800);
    let plan = ElfFile::parse(&file).unwrap().load_plan(0).unwrap();
    let bss = &plan.segments[1];
    assert!(bss.file.is_empty());
    assert_eq!(bss.mem, 0x40_0000..0x40_4000);
    assert_eq!(bss.zero, 0x40_0900..0x40_4000);
}
