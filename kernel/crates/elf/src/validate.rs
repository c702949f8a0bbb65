//! Structural checks on the program header table that do not depend on the
//! load bias: each PT_LOAD is self-consistent and inside user space, the
//! loads do not overlap, PT_INTERP and PT_TLS are well formed.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use crate::error::ElfError;
use crate::page::{page_down, page_offset, page_up, USER_END};
use crate::program::{ProgramHeader, PT_INTERP, PT_TLS};

/// Longest PT_INTERP Linux accepts (PATH_MAX, NUL included).
pub const MAX_INTERP_LEN: u64 = 4096;

/// Checks one PT_LOAD entry against a file of `len` bytes and the address
/// space; returns its exact memory range.
pub fn check_load(index: usize, ph: &ProgramHeader, len: u64) -> Result<Range<u64>, ElfError> {
    if ph.p_filesz > ph.p_memsz {
        return Err(ElfError::FileszExceedsMemsz { index });
    }
    if ph.p_filesz > 0 && !ph.inside_file(len) {
        return Err(ElfError::SegmentOutsideFile { index });
    }
    // The loader maps whole pages, so file and memory must agree within a
    // page, and within p_align when the file asks for more.
    let congruent = |align: u64| ph.p_offset % align == ph.p_vaddr % align;
    if page_offset(ph.p_offset) != page_offset(ph.p_vaddr)
        || (ph.p_align > 1 && !congruent(ph.p_align))
    {
        return Err(ElfError::Misaligned { index });
    }
    let end = ph.mem_end().ok_or(ElfError::AddressOverflow { index })?;
    let mapped_end = page_up(end).ok_or(ElfError::AddressOverflow { index })?;
    if mapped_end > USER_END {
        return Err(ElfError::OutsideUserSpace { index });
    }
    Ok(ph.p_vaddr..end)
}

/// The PT_LOADs that occupy memory, checked.
pub struct Loads {
    /// Program header indices, by ascending address.
    pub indices: Vec<usize>,
    /// Page-aligned range they cover (before the bias).
    pub span: Range<u64>,
}

/// Checks every PT_LOAD and that those occupying memory do not overlap.
pub fn check_loads(phdrs: &[ProgramHeader], len: u64) -> Result<Loads, ElfError> {
    let mut loads = Vec::new();
    for (index, ph) in phdrs.iter().enumerate().filter(|(_, ph)| ph.is_load()) {
        let range = check_load(index, ph, len)?;
        if !range.is_empty() {
            loads.push((index, range));
        }
    }
    loads.sort_by_key(|(_, range)| range.start);
    for pair in loads.windows(2) {
        if let [(first, a), (second, b)] = pair {
            if b.start < a.end {
                return Err(ElfError::Overlap {
                    first: *first,
                    second: *second,
                });
            }
        }
    }
    let (Some((_, first)), Some(end)) = (loads.first(), loads.iter().map(|(_, r)| r.end).max())
    else {
        return Err(ElfError::NoLoadSegment);
    };
    // check_load made sure every end rounds up within user space.
    let span = page_down(first.start)..page_up(end).unwrap_or(USER_END);
    Ok(Loads {
        indices: loads.into_iter().map(|(index, _)| index).collect(),
        span,
    })
}

/// The first PT_INTERP's path, checked as Linux does: 2..=4096 bytes inside
/// the file, ending in NUL; the path is the text before the first NUL. It
/// must also be non-empty UTF-8. `data` is the start of a file of `len` bytes.
pub fn interpreter(phdrs: &[ProgramHeader], data: &[u8], len: u64) -> Result<Option<String>, ElfError> {
    let Some(ph) = phdrs.iter().find(|ph| ph.p_type == PT_INTERP) else {
        return Ok(None);
    };
    if !(2..=MAX_INTERP_LEN).contains(&ph.p_filesz) || !ph.inside_file(len) {
        return Err(ElfError::BadInterpreter);
    }
    let need = ElfError::NeedHead { bytes: ph.p_offset + ph.p_filesz };
    let bytes = ph.file_bytes(data).ok_or(need)?;
    if bytes.last() != Some(&0) {
        return Err(ElfError::BadInterpreter);
    }
    let path = bytes.split(|&b| b == 0).next().unwrap_or_default();
    if path.is_empty() {
        return Err(ElfError::BadInterpreter);
    }
    let path = core::str::from_utf8(path).map_err(|_| ElfError::BadInterpreter)?;
    Ok(Some(String::from(path)))
}

/// The first PT_TLS entry, checked for consistency.
pub fn tls(
    phdrs: &[ProgramHeader],
    len: u64,
) -> Result<Option<(usize, ProgramHeader)>, ElfError> {
    let Some((index, ph)) = phdrs.iter().enumerate().find(|(_, ph)| ph.p_type == PT_TLS) else {
        return Ok(None);
    };
    if ph.p_filesz > ph.p_memsz {
        return Err(ElfError::FileszExceedsMemsz { index });
    }
    if ph.p_filesz > 0 && !ph.inside_file(len) {
        return Err(ElfError::SegmentOutsideFile { index });
    }
    ph.mem_end().ok_or(ElfError::AddressOverflow { index })?;
    Ok(Some((index, *ph)))
}
