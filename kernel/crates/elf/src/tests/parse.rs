//! Header and program-header validation.

use alloc::vec;
use alloc::vec::Vec;

use super::build::*;
use crate::program::*;
use crate::{ElfError, ElfFile, ElfKind};
use errno::Errno;
use proptest::prelude::*;

fn parse(file: &[u8]) -> Result<ElfFile<'_>, ElfError> {
    ElfFile::parse(file)
}

fn err(file: &[u8]) -> ElfError {
    parse(file).unwrap_err()
}

fn good() -> Vec<u8> {
    image(ET_EXEC, 0x40_1000, &static_exe_phdrs(), 0x3000)
}

#[test]
fn accepts_a_minimal_static_executable() {
    let file = good();
    let elf = parse(&file).unwrap();
    assert_eq!(elf.kind(), ElfKind::Executable);
    assert_eq!(elf.header().entry, 0x40_1000);
    assert_eq!(elf.header().phnum, 2);
    assert_eq!(elf.span(), 0x40_0000..0x40_5000);
    assert_eq!(elf.interpreter(), None);
    assert!(!elf.executable_stack());
}

#[test]
fn header_errors() {
    let file = good();
    assert_eq!(err(&file[..63]), ElfError::Truncated);
    assert_eq!(err(b""), ElfError::Truncated);
    let patched = |offset: usize, bytes: &[u8]| with_bytes(good(), offset, bytes);
    assert_eq!(err(&patched(0, b"\x7fELG")), ElfError::BadMagic);
    assert_eq!(err(&patched(4, &[1])), ElfError::NotElf64);
    assert_eq!(err(&patched(5, &[2])), ElfError::NotLittleEndian);
    assert_eq!(
        err(&patched(16, &1u16.to_le_bytes())),
        ElfError::WrongType(1)
    );
    assert_eq!(
        err(&patched(16, &4u16.to_le_bytes())),
        ElfError::WrongType(4)
    );
    assert_eq!(
        err(&patched(18, &3u16.to_le_bytes())),
        ElfError::WrongMachine(3)
    );
    assert_eq!(
        err(&patched(54, &32u16.to_le_bytes())),
        ElfError::BadPhentsize(32)
    );
    assert_eq!(
        err(&patched(56, &0u16.to_le_bytes())),
        ElfError::BadPhnum(0)
    );
    assert_eq!(
        err(&patched(56, &1171u16.to_le_bytes())),
        ElfError::BadPhnum(1171)
    );
    assert_eq!(
        err(&patched(56, &1170u16.to_le_bytes())),
        ElfError::PhdrsOutsideFile
    );
    assert_eq!(
        err(&patched(32, &0x2fe0u64.to_le_bytes())),
        ElfError::PhdrsOutsideFile
    );
    assert_eq!(
        err(&patched(32, &u64::MAX.to_le_bytes())),
        ElfError::PhdrsOutsideFile
    );
    // Not checked, as in Linux: EI_VERSION, OS ABI, e_version.
    assert!(parse(&patched(6, &[9, 3])).is_ok());
}

#[test]
fn every_error_is_enoexec_except_bias_misuse() {
    assert_eq!(Errno::from(ElfError::BadMagic), Errno::ENOEXEC);
    assert_eq!(
        Errno::from(ElfError::Overlap {
            first: 0,
            second: 1
        }),
        Errno::ENOEXEC
    );
    assert_eq!(Errno::from(ElfError::UnalignedBias), Errno::EINVAL);
    assert_eq!(
        alloc::format!("{}", ElfError::Misaligned { index: 3 }),
        "segment 3 offset and address are misaligned"
    );
}

fn load_err(phdrs: &[ProgramHeader]) -> ElfError {
    err(&image(ET_EXEC, 0x40_1000, phdrs, 0x3000))
}

#[test]
fn segment_errors() {
    let text = ph(PT_LOAD, PF_R | PF_X, 0, 0x40_0000, 0x1000, 0x1000, 0x1000);
    let load = |offset, vaddr, filesz, memsz, align| {
        ph(PT_LOAD, PF_R, offset, vaddr, filesz, memsz, align)
    };
    assert_eq!(
        load_err(&[text, load(0x1000, 0x50_1000, 0x10, 0x8, 0x1000)]),
        ElfError::FileszExceedsMemsz { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(0x2000, 0x50_2000, 0x1001, 0x2000, 0x1000)]),
        ElfError::SegmentOutsideFile { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(u64::MAX, 0x50_0fff, 1, 1, 1)]),
        ElfError::SegmentOutsideFile { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(0x1010, 0x50_1000, 0x10, 0x10, 0x1000)]),
        ElfError::Misaligned { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(0x1000, 0x50_1000, 0x10, 0x10, 0x20_0000)]),
        ElfError::Misaligned { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(0, u64::MAX - 0xfff, 0, 0x2000, 0x1000)]),
        ElfError::AddressOverflow { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(0, u64::MAX - 0xfff, 0, 0x10, 0x1000)]),
        ElfError::AddressOverflow { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(0, 0x7fff_ffff_e000, 0, 0x1001, 0x1000)]),
        ElfError::OutsideUserSpace { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(0, 0x8000_0000_0000, 0, 0x10, 0x1000)]),
        ElfError::OutsideUserSpace { index: 1 }
    );
    assert_eq!(
        load_err(&[text, load(0x1000, 0x40_0000, 0x10, 0x10, 0x1000)]),
        ElfError::Overlap {
            first: 0,
            second: 1
        }
    );
    // A later header starting below an earlier one still counts as overlap.
    assert_eq!(
        load_err(&[load(0xfff, 0x40_0fff, 0, 2, 1), text]),
        ElfError::Overlap {
            first: 1,
            second: 0
        }
    );
    assert_eq!(
        load_err(&[ph(PT_INTERP, 0, 0, 0, 0, 0, 0)]),
        ElfError::NoLoadSegment
    );
    assert_eq!(
        load_err(&[load(0, 0x40_0000, 0, 0, 0)]),
        ElfError::NoLoadSegment
    );
}

#[test]
fn segments_may_share_a_page_and_be_listed_out_of_order() {
    let data = ph(PT_LOAD, PF_R | PF_W, 0x1234, 0x40_1234, 0x10, 0x10, 0x1000);
    let text = ph(PT_LOAD, PF_R | PF_X, 0, 0x40_0000, 0x1234, 0x1234, 0x1000);
    // Zero-size and align 0/1 segments are fine too.
    let empty = ph(PT_LOAD, PF_R, 0x55, 0x60_0055, 0, 0, 0);
    let file = image(ET_EXEC, 0x40_0100, &[data, empty, text], 0x2000);
    let elf = parse(&file).unwrap();
    assert_eq!(elf.loads().map(|(i, _)| i).collect::<Vec<_>>(), [2, 0]);
    assert_eq!(elf.span(), 0x40_0000..0x40_2000);
}

fn with_interp(path: &[u8], filesz: u64) -> Vec<u8> {
    let phdrs = vec![
        ph(PT_INTERP, PF_R, 0x200, 0x200, filesz, filesz, 1),
        ph(PT_LOAD, PF_R | PF_X, 0, 0, 0x1000, 0x1000, 0x1000),
    ];
    with_bytes(image(ET_DYN, 0x100, &phdrs, 0x1000), 0x200, path)
}

#[test]
fn interpreter_rules() {
    let ok = with_interp(b"/lib/ld.so\0", 11);
    assert_eq!(parse(&ok).unwrap().interpreter(), Some("/lib/ld.so"));
    // Text after the first NUL is ignored, like a C string.
    let ok = with_interp(b"/lib/ld.so\0junk\0", 16);
    assert_eq!(parse(&ok).unwrap().interpreter(), Some("/lib/ld.so"));
    assert_eq!(
        err(&with_interp(b"/lib/ld.so!", 11)),
        ElfError::BadInterpreter
    );
    assert_eq!(err(&with_interp(b"\0", 1)), ElfError::BadInterpreter);
    assert_eq!(err(&with_interp(b"\0\0", 2)), ElfError::BadInterpreter);
    assert_eq!(err(&with_interp(b"/\xff\0", 3)), ElfError::BadInterpreter);
    assert_eq!(err(&with_interp(b"/a\0", 0x1000)), ElfError::BadInterpreter);
    let mut long = vec![b'a'; 4096];
    long[4095] = 0;
    let file = with_bytes(with_interp(b"", 4096), 0x200, &long);
    assert_eq!(
        parse(&file).unwrap().interpreter().map(str::len),
        Some(4095)
    );
    long.push(0);
    let file = with_bytes(with_interp(b"", 4097), 0x200, &long);
    assert_eq!(err(&file), ElfError::BadInterpreter);
}

#[test]
fn gnu_stack_last_entry_wins() {
    let mut phdrs = static_exe_phdrs();
    phdrs.push(ph(PT_GNU_STACK, PF_R | PF_W | PF_X, 0, 0, 0, 0, 16));
    let file = image(ET_EXEC, 0x40_1000, &phdrs, 0x3000);
    assert!(parse(&file).unwrap().executable_stack());
    phdrs.push(ph(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16));
    let file = image(ET_EXEC, 0x40_1000, &phdrs, 0x3000);
    assert!(!parse(&file).unwrap().executable_stack());
}

#[test]
fn tls_rules() {
    let mut phdrs = static_exe_phdrs();
    phdrs.push(ph(PT_TLS, PF_R, 0x2e10, 0x40_2e10, 0x20, 0x10, 8));
    assert_eq!(
        err(&image(ET_EXEC, 0x40_1000, &phdrs, 0x3000)),
        ElfError::FileszExceedsMemsz { index: 2 }
    );
    phdrs[2] = ph(PT_TLS, PF_R, 0x2ff0, 0x40_2ff0, 0x20, 0x40, 8);
    assert_eq!(
        err(&image(ET_EXEC, 0x40_1000, &phdrs, 0x3000)),
        ElfError::SegmentOutsideFile { index: 2 }
    );
}

#[test]
fn phdr_address_sources() {
    // From the PT_LOAD holding e_phoff (64).
    let file = good();
    assert_eq!(parse(&file).unwrap().phdr_vaddr(), 0x40_0040);
    // PT_PHDR wins when present.
    let mut phdrs = static_exe_phdrs();
    phdrs.insert(0, ph(PT_PHDR, PF_R, 64, 0x40_0040, 56 * 3, 56 * 3, 8));
    let file = image(ET_EXEC, 0x40_1000, &phdrs, 0x3000);
    assert_eq!(parse(&file).unwrap().phdr_vaddr(), 0x40_0040);
    // Not mapped at all: 0, so AT_PHDR becomes the bias, as in Linux.
    let phdrs = vec![ph(PT_LOAD, PF_R, 0x1000, 0x40_1000, 0x100, 0x100, 0x1000)];
    let file = image(ET_EXEC, 0x40_1000, &phdrs, 0x2000);
    assert_eq!(parse(&file).unwrap().phdr_vaddr(), 0);
}

#[test]
fn load_align_takes_the_largest_power_of_two() {
    // 3 pages is not a power of two, so it is not a bias alignment.
    let phdrs = [
        ph(PT_LOAD, PF_R, 0, 0, 0x100, 0x100, 0x20_0000),
        ph(PT_LOAD, PF_R, 0x1000, 0x3_1000, 0x10, 0x10, 3 * 0x1000),
    ];
    let file = image(ET_DYN, 0, &phdrs, 0x2000);
    assert_eq!(parse(&file).unwrap().load_align(), 0x20_0000);
    assert_eq!(parse(&good()).unwrap().load_align(), 0x1000);
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = ElfFile::parse(&bytes);
    }

    #[test]
    fn random_headers_after_a_valid_ident_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 64..400)) {
        bytes[..6].copy_from_slice(b"\x7fELF\x02\x01");
        bytes[16..20].copy_from_slice(&[2, 0, 62, 0]);
        bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
        let _ = ElfFile::parse(&bytes);
    }
}
