//! Builds synthetic ELF64 images for the tests.

use alloc::vec;
use alloc::vec::Vec;

use crate::program::{ProgramHeader, PF_R, PF_W, PF_X, PT_LOAD};

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;

pub fn ph(
    p_type: u32,
    p_flags: u32,
    p_offset: u64,
    p_vaddr: u64,
    p_filesz: u64,
    p_memsz: u64,
    p_align: u64,
) -> ProgramHeader {
    ProgramHeader {
        p_type,
        p_flags,
        p_offset,
        p_vaddr,
        p_filesz,
        p_memsz,
        p_align,
    }
}

/// A typical static executable: headers + text in one page, data + bss after.
pub fn static_exe_phdrs() -> Vec<ProgramHeader> {
    vec![
        ph(PT_LOAD, PF_R | PF_X, 0, 0x40_0000, 0x1234, 0x1234, 0x1000),
        ph(
            PT_LOAD,
            PF_R | PF_W,
            0x2e10,
            0x40_2e10,
            0x100,
            0x2000,
            0x1000,
        ),
    ]
}

/// Writes an ELF header and `phdrs` (at offset 64) into a zeroed file of
/// `len` bytes.
pub fn image(e_type: u16, entry: u64, phdrs: &[ProgramHeader], len: usize) -> Vec<u8> {
    let mut file = vec![0u8; len.max(64 + 56 * phdrs.len())];
    file[..4].copy_from_slice(b"\x7fELF");
    file[4] = 2; // ELFCLASS64
    file[5] = 1; // little endian
    file[6] = 1; // EV_CURRENT
    let mut put =
        |offset: usize, bytes: &[u8]| file[offset..offset + bytes.len()].copy_from_slice(bytes);
    put(16, &e_type.to_le_bytes());
    put(18, &62u16.to_le_bytes());
    put(20, &1u32.to_le_bytes());
    put(24, &entry.to_le_bytes());
    put(32, &64u64.to_le_bytes());
    put(52, &64u16.to_le_bytes());
    put(54, &56u16.to_le_bytes());
    put(56, &(phdrs.len() as u16).to_le_bytes());
    for (i, p) in phdrs.iter().enumerate() {
        let at = 64 + 56 * i;
        put(at, &p.p_type.to_le_bytes());
        put(at + 4, &p.p_flags.to_le_bytes());
        put(at + 8, &p.p_offset.to_le_bytes());
        put(at + 16, &p.p_vaddr.to_le_bytes());
        put(at + 24, &p.p_vaddr.to_le_bytes());
        put(at + 32, &p.p_filesz.to_le_bytes());
        put(at + 40, &p.p_memsz.to_le_bytes());
        put(at + 48, &p.p_align.to_le_bytes());
    }
    file
}

/// `image` with bytes placed at `offset`.
pub fn with_bytes(mut file: Vec<u8>, offset: usize, bytes: &[u8]) -> Vec<u8> {
    if file.len() < offset + bytes.len() {
        file.resize(offset + bytes.len(), 0);
    }
    file[offset..offset + bytes.len()].copy_from_slice(bytes);
    file
}
