//! The load plan: everything the kernel must do to place an ELF file in a
//! fresh address space at a given bias, with every address final.
//!
//! How to apply it, segment by segment in the order given (ascending
//! address): make `mem` present with `perms`; copy the file bytes `file` to
//! `mem.start`; clear `zero`. Bytes of `mem` outside both ranges are left as
//! they are: zero in fresh pages, or the previous segment's when two segments
//! share a page (later copies and permissions win, like Linux's successive
//! `mmap`s). Applied literally, the tail of the last file page after
//! `p_filesz` reads as zero; Linux (and the kernel's loader, which maps file
//! pages) clears it only for a segment with bss or write access, and
//! otherwise shows the following file bytes there.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use crate::error::ElfError;
use crate::file::ElfFile;
use crate::header::{ElfKind, PHDR_SIZE};
use crate::page::{is_page_aligned, page_down, page_up, USER_END};
use crate::program::{ProgramHeader, PF_R, PF_W, PF_X};

/// Access rights of a mapped segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

impl Perms {
    /// Rights from a program header's `p_flags`.
    pub fn from_flags(flags: u32) -> Perms {
        Perms {
            read: flags & PF_R != 0,
            write: flags & PF_W != 0,
            execute: flags & PF_X != 0,
        }
    }
}

/// One PT_LOAD, placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Page-aligned virtual range to map (bias applied).
    pub mem: Range<u64>,
    /// File offsets to copy to `mem.start`: from the page holding `p_offset`
    /// to `p_offset + p_filesz`; empty when the segment has no file bytes.
    pub file: Range<u64>,
    /// Virtual range to clear: `p_vaddr + p_filesz` (bias applied) to
    /// `mem.end`, i.e. the bss and the rest of its last page.
    pub zero: Range<u64>,
    pub perms: Perms,
    /// Index of the PT_LOAD in the program header table.
    pub index: usize,
}

/// The PT_TLS template, placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// Address of the initialisation image (bias applied).
    pub vaddr: u64,
    /// Bytes of initialised data; the rest up to `mem_size` is zero.
    pub file_size: u64,
    pub mem_size: u64,
    pub align: u64,
}

/// Everything needed to load one ELF file at one bias.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    pub kind: ElfKind,
    /// Added to every address in the file (0 for ET_EXEC).
    pub bias: u64,
    /// Segments to map, by ascending address.
    pub segments: Vec<Segment>,
    /// Entry point (bias applied). With an interpreter, execution starts at
    /// the interpreter's entry instead, and this goes in AT_ENTRY.
    pub entry: u64,
    /// AT_PHDR: where the program headers are in memory.
    pub phdr: u64,
    /// AT_PHENT (always 56).
    pub phent: u16,
    /// AT_PHNUM.
    pub phnum: u16,
    /// PT_INTERP path, when the program needs a dynamic loader.
    pub interpreter: Option<String>,
    /// PT_GNU_STACK asked for an executable stack.
    pub executable_stack: bool,
    pub tls: Option<TlsInfo>,
    /// Page-aligned range all segments cover (bias applied).
    pub span: Range<u64>,
    /// Initial program break: the page after the highest segment.
    pub brk: u64,
}

impl ElfFile<'_> {
    /// Places the file at `bias`: 0 for ET_EXEC, any page-aligned value
    /// keeping the span in user space for ET_DYN.
    pub fn load_plan(&self, bias: u64) -> Result<LoadPlan, ElfError> {
        if self.kind() == ElfKind::Executable && bias != 0 {
            return Err(ElfError::BiasNotAllowed);
        }
        if !is_page_aligned(bias) {
            return Err(ElfError::UnalignedBias);
        }
        let segments = self
            .loads()
            .map(|(index, ph)| place_segment(index, ph, bias))
            .collect::<Result<Vec<_>, _>>()?;
        let relocate = |addr: u64| addr.checked_add(bias).ok_or(ElfError::BiasOverflow);
        let span = self.span();
        // Segments were each checked in place above, so the span fits too.
        let span = relocate(span.start)?..relocate(span.end)?;
        let tls = match self.tls() {
            Some(ph) => Some(TlsInfo {
                vaddr: relocate(ph.p_vaddr)?,
                file_size: ph.p_filesz,
                mem_size: ph.p_memsz,
                align: ph.p_align,
            }),
            None => None,
        };
        Ok(LoadPlan {
            kind: self.kind(),
            bias,
            segments,
            entry: relocate(self.header().entry)?,
            phdr: relocate(self.phdr_vaddr())?,
            phent: PHDR_SIZE,
            phnum: self.header().phnum,
            interpreter: self.interpreter().map(String::from),
            executable_stack: self.executable_stack(),
            tls,
            brk: span.end,
            span,
        })
    }
}

/// Applies the bias to one (already validated) PT_LOAD.
fn place_segment(index: usize, ph: &ProgramHeader, bias: u64) -> Result<Segment, ElfError> {
    let outside = ElfError::OutsideUserSpace { index };
    let vaddr = ph.p_vaddr.checked_add(bias).ok_or(outside)?;
    let end = vaddr.checked_add(ph.p_memsz).ok_or(outside)?;
    let mem = page_down(vaddr)..page_up(end).ok_or(outside)?;
    if mem.end > USER_END {
        return Err(outside);
    }
    let file_start = page_down(ph.p_offset);
    let file = if ph.p_filesz == 0 {
        file_start..file_start
    } else {
        file_start
            ..ph.p_offset
                .checked_add(ph.p_filesz)
                .ok_or(ElfError::SegmentOutsideFile { index })?
    };
    // p_filesz <= p_memsz, so this stays within the segment.
    let zero_start = vaddr.checked_add(ph.p_filesz).ok_or(outside)?;
    Ok(Segment {
        zero: zero_start..mem.end,
        mem,
        file,
        perms: Perms::from_flags(ph.p_flags),
        index,
    })
}
