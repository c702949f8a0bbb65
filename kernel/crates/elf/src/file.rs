//! A validated ELF64 x86_64 executable held in memory: header, program
//! headers and the facts the loader needs, all checked once at parse time.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use crate::error::ElfError;
use crate::header::{ElfHeader, ElfKind};
use crate::page::PAGE_SIZE;
use crate::program::{parse_table, ProgramHeader, PF_X, PT_GNU_STACK, PT_PHDR};
use crate::validate;

/// A parsed ELF file whose segments passed every bias-independent check.
#[derive(Clone, Debug)]
pub struct ElfFile<'a> {
    data: &'a [u8],
    header: ElfHeader,
    phdrs: Vec<ProgramHeader>,
    /// Indices of the PT_LOADs occupying memory, by ascending address.
    loads: Vec<usize>,
    /// Page-aligned range the loads cover, before the bias.
    span: Range<u64>,
    interpreter: Option<String>,
    tls: Option<ProgramHeader>,
}

impl<'a> ElfFile<'a> {
    /// Parses and validates `data`, the whole file.
    pub fn parse(data: &'a [u8]) -> Result<ElfFile<'a>, ElfError> {
        ElfFile::parse_head(data, data.len() as u64)
    }

    /// Parses and validates a file of `len` bytes from its start `head`
    /// (what a loader that maps file pages needs, without reading them all):
    /// the same checks as [`ElfFile::parse`], segment bounds against `len`.
    /// [`ElfError::NeedHead`] says how much more to read when the program
    /// headers or PT_INTERP lie past `head`.
    pub fn parse_head(head: &'a [u8], len: u64) -> Result<ElfFile<'a>, ElfError> {
        let data = head.get(..usize::try_from(len).unwrap_or(usize::MAX).min(head.len())).unwrap_or(head);
        let header = ElfHeader::parse(data)?;
        let phdrs = parse_table(data, len, &header)?;
        let loads = validate::check_loads(&phdrs, len)?;
        let interpreter = validate::interpreter(&phdrs, data, len)?;
        let tls = validate::tls(&phdrs, len)?.map(|(_, ph)| ph);
        Ok(ElfFile {
            data,
            header,
            phdrs,
            loads: loads.indices,
            span: loads.span,
            interpreter,
            tls,
        })
    }

    /// The bytes parsed: the whole file, or its head ([`ElfFile::parse_head`]).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    pub fn header(&self) -> &ElfHeader {
        &self.header
    }

    pub fn kind(&self) -> ElfKind {
        self.header.kind
    }

    pub fn program_headers(&self) -> &[ProgramHeader] {
        &self.phdrs
    }

    /// PT_LOAD entries occupying memory, by ascending address.
    pub fn loads(&self) -> impl Iterator<Item = (usize, &ProgramHeader)> {
        self.loads
            .iter()
            .filter_map(|&index| Some((index, self.phdrs.get(index)?)))
    }

    /// The PT_INTERP path (e.g. `/lib64/ld-linux-x86-64.so.2`).
    pub fn interpreter(&self) -> Option<&str> {
        self.interpreter.as_deref()
    }

    /// The PT_TLS entry, if any.
    pub fn tls(&self) -> Option<&ProgramHeader> {
        self.tls.as_ref()
    }

    /// Page-aligned address range the segments cover at bias 0. An ET_DYN
    /// file is placed by choosing a bias so that `span + bias` is free.
    pub fn span(&self) -> Range<u64> {
        self.span.clone()
    }

    /// Alignment a bias should have: the largest power-of-two PT_LOAD
    /// `p_align`, at least a page (Linux aligns ET_DYN loads the same way).
    pub fn load_align(&self) -> u64 {
        self.loads()
            .map(|(_, ph)| ph.p_align)
            .filter(|align| align.is_power_of_two())
            .fold(PAGE_SIZE, u64::max)
    }

    /// Whether PT_GNU_STACK asks for an executable stack (the last entry
    /// wins, as in Linux; without one the x86_64 stack is not executable).
    pub fn executable_stack(&self) -> bool {
        self.phdrs
            .iter()
            .rev()
            .find(|ph| ph.p_type == PT_GNU_STACK)
            .is_some_and(|ph| ph.p_flags & PF_X != 0)
    }

    /// AT_PHDR before the bias: PT_PHDR's address if present, else where
    /// `e_phoff` lands inside the last PT_LOAD whose file bytes contain it,
    /// else 0 (so AT_PHDR is the bias, as Linux reports).
    pub fn phdr_vaddr(&self) -> u64 {
        if let Some(ph) = self.phdrs.iter().find(|ph| ph.p_type == PT_PHDR) {
            return ph.p_vaddr;
        }
        let phoff = self.header.phoff;
        self.phdrs
            .iter()
            .rev()
            .filter(|ph| ph.is_load() && ph.p_offset <= phoff && phoff - ph.p_offset < ph.p_filesz)
            .find_map(|ph| ph.p_vaddr.checked_add(phoff - ph.p_offset))
            .unwrap_or(0)
    }
}
