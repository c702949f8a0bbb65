//! Why an ELF file cannot be loaded. Every variant is an exec format error
//! (`ENOEXEC`) except the two bias variants, which are caller mistakes.

use core::fmt;

use errno::Errno;

/// A reason an ELF image was rejected. `index` fields name the offending
/// entry of the program header table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than the 64-byte ELF header.
    Truncated,
    /// [`crate::ElfFile::parse_head`] was given too little of the file: the
    /// program headers or PT_INTERP need its first `bytes` bytes.
    NeedHead { bytes: u64 },
    /// Does not start with `\x7fELF`.
    BadMagic,
    /// Not ELFCLASS64.
    NotElf64,
    /// Not little endian.
    NotLittleEndian,
    /// `e_machine` is not EM_X86_64.
    WrongMachine(u16),
    /// `e_type` is neither ET_EXEC nor ET_DYN.
    WrongType(u16),
    /// `e_phentsize` is not 56.
    BadPhentsize(u16),
    /// `e_phnum` is 0 or above what fits in 64 KiB.
    BadPhnum(u16),
    /// The program header table lies (partly) outside the file.
    PhdrsOutsideFile,
    /// No PT_LOAD segment with a nonzero size.
    NoLoadSegment,
    /// A segment's file bytes lie outside the file.
    SegmentOutsideFile { index: usize },
    /// A PT_LOAD or PT_TLS segment has `p_filesz > p_memsz`.
    FileszExceedsMemsz { index: usize },
    /// `p_offset` and `p_vaddr` disagree modulo the page size or `p_align`.
    Misaligned { index: usize },
    /// An address computation overflowed.
    AddressOverflow { index: usize },
    /// A segment reaches beyond the end of user space.
    OutsideUserSpace { index: usize },
    /// Two PT_LOAD segments claim the same addresses.
    Overlap { first: usize, second: usize },
    /// PT_INTERP is empty, over 4096 bytes, not NUL-terminated or not UTF-8.
    BadInterpreter,
    /// Adding the load bias to the entry point, AT_PHDR or PT_TLS overflows.
    BiasOverflow,
    /// A nonzero bias was asked for an ET_EXEC file.
    BiasNotAllowed,
    /// The load bias is not page-aligned.
    UnalignedBias,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::Truncated => f.write_str("file too short for an ELF header"),
            ElfError::NeedHead { bytes } => write!(f, "the first {bytes} bytes are needed"),
            ElfError::BadMagic => f.write_str("not an ELF file"),
            ElfError::NotElf64 => f.write_str("not a 64-bit ELF file"),
            ElfError::NotLittleEndian => f.write_str("not a little-endian ELF file"),
            ElfError::WrongMachine(m) => write!(f, "ELF machine {m} is not x86_64"),
            ElfError::WrongType(t) => {
                write!(f, "ELF type {t} is not an executable or shared object")
            }
            ElfError::BadPhentsize(n) => write!(f, "program header entry size {n} is not 56"),
            ElfError::BadPhnum(n) => write!(f, "bad program header count {n}"),
            ElfError::PhdrsOutsideFile => f.write_str("program headers lie outside the file"),
            ElfError::NoLoadSegment => f.write_str("no loadable segment"),
            ElfError::SegmentOutsideFile { index } => {
                write!(f, "segment {index} lies outside the file")
            }
            ElfError::FileszExceedsMemsz { index } => {
                write!(f, "segment {index} has filesz > memsz")
            }
            ElfError::Misaligned { index } => {
                write!(f, "segment {index} offset and address are misaligned")
            }
            ElfError::AddressOverflow { index } => write!(f, "segment {index} address overflows"),
            ElfError::OutsideUserSpace { index } => {
                write!(f, "segment {index} lies outside user space")
            }
            ElfError::Overlap { first, second } => {
                write!(f, "segments {first} and {second} overlap")
            }
            ElfError::BadInterpreter => f.write_str("bad PT_INTERP path"),
            ElfError::BiasOverflow => f.write_str("load bias makes an address overflow"),
            ElfError::BiasNotAllowed => f.write_str("ET_EXEC files load at bias 0"),
            ElfError::UnalignedBias => f.write_str("load bias is not page-aligned"),
        }
    }
}

impl core::error::Error for ElfError {}

impl From<ElfError> for Errno {
    fn from(error: ElfError) -> Errno {
        match error {
            ElfError::BiasNotAllowed | ElfError::UnalignedBias => Errno::EINVAL,
            _ => Errno::ENOEXEC,
        }
    }
}
