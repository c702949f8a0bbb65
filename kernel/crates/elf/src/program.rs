//! ELF64 program headers (segments): the table entries and their types.

use alloc::vec::Vec;

use crate::error::ElfError;
use crate::header::{ElfHeader, PHDR_SIZE};
use crate::read::{range_at, u32_at, u64_at};

pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_TLS: u32 = 7;
pub const PT_GNU_STACK: u32 = 0x6474_e551;

pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// One entry of the program header table, as stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    pub p_type: u32,
    pub p_flags: u32,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}

impl ProgramHeader {
    fn parse(entry: &[u8]) -> Option<ProgramHeader> {
        Some(ProgramHeader {
            p_type: u32_at(entry, 0)?,
            p_flags: u32_at(entry, 4)?,
            p_offset: u64_at(entry, 8)?,
            p_vaddr: u64_at(entry, 16)?,
            // p_paddr (offset 24) is meaningless for user programs.
            p_filesz: u64_at(entry, 32)?,
            p_memsz: u64_at(entry, 40)?,
            p_align: u64_at(entry, 48)?,
        })
    }

    /// The segment's bytes in the file, if they lie inside it.
    pub fn file_bytes<'a>(&self, data: &'a [u8]) -> Option<&'a [u8]> {
        range_at(data, self.p_offset, self.p_filesz)
    }

    /// Whether the segment's file bytes lie inside a file of `len` bytes.
    pub fn inside_file(&self, len: u64) -> bool {
        self.p_offset.checked_add(self.p_filesz).is_some_and(|end| end <= len)
    }

    /// End of the segment in memory (`p_vaddr + p_memsz`), before the bias.
    pub fn mem_end(&self) -> Option<u64> {
        self.p_vaddr.checked_add(self.p_memsz)
    }

    pub fn is_load(&self) -> bool {
        self.p_type == PT_LOAD
    }
}

/// Reads the program header table the (already validated) header points at.
/// `data` is the start of a file of `len` bytes.
pub fn parse_table(data: &[u8], len: u64, header: &ElfHeader) -> Result<Vec<ProgramHeader>, ElfError> {
    let end = header.phoff.checked_add(header.phdrs_size()).ok_or(ElfError::PhdrsOutsideFile)?;
    if end > len {
        return Err(ElfError::PhdrsOutsideFile);
    }
    let table = range_at(data, header.phoff, header.phdrs_size()).ok_or(ElfError::NeedHead { bytes: end })?;
    table
        .chunks_exact(usize::from(PHDR_SIZE))
        .map(|entry| ProgramHeader::parse(entry).ok_or(ElfError::PhdrsOutsideFile))
        .collect()
}
