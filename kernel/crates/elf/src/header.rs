//! The ELF64 file header: parsed and checked the way Linux's `load_elf_binary`
//! checks it (magic, class, byte order, machine, type, program header shape).

use crate::error::ElfError;
use crate::read::{u16_at, u64_at};

/// Size of the ELF64 file header.
pub const EHDR_SIZE: usize = 64;
/// Size of one ELF64 program header (the only `e_phentsize` accepted).
pub const PHDR_SIZE: u16 = 56;
/// Largest `e_phnum` Linux accepts: what fits in 64 KiB.
pub const MAX_PHNUM: u16 = 1170;

const MAGIC: &[u8; 4] = b"\x7fELF";
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const EM_X86_64: u16 = 62;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;

/// Whether the file loads at a fixed address or anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfKind {
    /// ET_EXEC: addresses are absolute, load bias 0.
    Executable,
    /// ET_DYN: a PIE or shared object (e.g. `ld.so`), loaded at a chosen bias.
    Dynamic,
}

/// The fields of the ELF header the loader uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElfHeader {
    pub kind: ElfKind,
    /// `e_entry`, before the load bias.
    pub entry: u64,
    /// File offset of the program header table.
    pub phoff: u64,
    pub phnum: u16,
}

impl ElfHeader {
    /// Parses and validates the header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<ElfHeader, ElfError> {
        let ident = data.get(..EHDR_SIZE).ok_or(ElfError::Truncated)?;
        if ident.get(..4) != Some(MAGIC.as_slice()) {
            return Err(ElfError::BadMagic);
        }
        if ident.get(4) != Some(&ELFCLASS64) {
            return Err(ElfError::NotElf64);
        }
        if ident.get(5) != Some(&ELFDATA2LSB) {
            return Err(ElfError::NotLittleEndian);
        }
        // EI_VERSION, EI_OSABI and e_version are not checked, as in Linux.
        let field16 = |offset| u16_at(data, offset).ok_or(ElfError::Truncated);
        let kind = match field16(16)? {
            ET_EXEC => ElfKind::Executable,
            ET_DYN => ElfKind::Dynamic,
            other => return Err(ElfError::WrongType(other)),
        };
        let machine = field16(18)?;
        if machine != EM_X86_64 {
            return Err(ElfError::WrongMachine(machine));
        }
        let entry = u64_at(data, 24).ok_or(ElfError::Truncated)?;
        let phoff = u64_at(data, 32).ok_or(ElfError::Truncated)?;
        let phentsize = field16(54)?;
        if phentsize != PHDR_SIZE {
            return Err(ElfError::BadPhentsize(phentsize));
        }
        let phnum = field16(56)?;
        if phnum == 0 || phnum > MAX_PHNUM {
            return Err(ElfError::BadPhnum(phnum));
        }
        Ok(ElfHeader {
            kind,
            entry,
            phoff,
            phnum,
        })
    }

    /// Bytes taken by the program header table.
    pub fn phdrs_size(&self) -> u64 {
        u64::from(self.phnum) * u64::from(PHDR_SIZE)
    }
}
