//! brk, anonymous mmap, munmap, mprotect.

use errno::Errno;

use super::SysResult;
use crate::mm::user::Prot;
use crate::task::Process;

const PAGE: u64 = 4096;
const PROT_WRITE: u64 = 0x2;
const PROT_EXEC: u64 = 0x4;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
/// The break may not grow into the mmap area.
const BRK_LIMIT: u64 = 0x7000_0000_0000;

fn prot(bits: u64) -> Prot {
    Prot { write: bits & PROT_WRITE != 0, exec: bits & PROT_EXEC != 0 }
}

pub fn brk(p: &mut Process, a: [u64; 6]) -> SysResult {
    let want = a[0];
    if want < p.brk_base || want > BRK_LIMIT {
        return Ok(p.brk as usize);
    }
    let old_end = p.brk.next_multiple_of(PAGE);
    let new_end = want.next_multiple_of(PAGE);
    if new_end > old_end {
        if p.space.map_zeroed(old_end, new_end - old_end, Prot { write: true, exec: false }).is_err() {
            return Ok(p.brk as usize); // Linux reports failure by returning the old break
        }
    } else if new_end < old_end {
        p.space.unmap(new_end, old_end - new_end)?;
    }
    p.brk = want;
    Ok(want as usize)
}

pub fn mmap(p: &mut Process, a: [u64; 6]) -> SysResult {
    let (addr, len, prot_bits, flags) = (a[0], a[1], a[2], a[3]);
    if len == 0 || addr % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MAP_ANONYMOUS == 0 {
        // File-backed mappings need the fd table (issue 5).
        return Err(Errno::ENODEV);
    }
    let len = len.checked_next_multiple_of(PAGE).ok_or(Errno::ENOMEM)?;
    let start = if flags & MAP_FIXED != 0 {
        p.space.unmap(addr, len)?;
        addr
    } else {
        let start = p.mmap_top.checked_sub(len).ok_or(Errno::ENOMEM)?;
        if start < BRK_LIMIT {
            return Err(Errno::ENOMEM);
        }
        p.mmap_top = start;
        start
    };
    p.space.map_zeroed(start, len, prot(prot_bits))?;
    Ok(start as usize)
}

pub fn munmap(p: &mut Process, a: [u64; 6]) -> SysResult {
    if a[0] % PAGE != 0 || a[1] == 0 {
        return Err(Errno::EINVAL);
    }
    p.space.unmap(a[0], a[1])?;
    Ok(0)
}

pub fn mprotect(p: &mut Process, a: [u64; 6]) -> SysResult {
    p.space.protect(a[0], a[1], prot(a[2]))?;
    Ok(0)
}
