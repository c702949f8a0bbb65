//! brk, mmap (anonymous, and private file mappings filled by reading the
//! file), munmap, mprotect, mremap, madvise.

use errno::Errno;

use super::SysResult;
use crate::mm::user::Prot;
use crate::task::files::Node;
use crate::task::Task;

const PAGE: u64 = 4096;
const PROT_WRITE: u64 = 0x2;
const PROT_EXEC: u64 = 0x4;
const MAP_SHARED: u64 = 0x1;
const MAP_PRIVATE: u64 = 0x2;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;
/// The break may not grow into the mmap area.
const BRK_LIMIT: u64 = 0x7000_0000_0000;

fn prot(bits: u64) -> Prot {
    Prot { write: bits & PROT_WRITE != 0, exec: bits & PROT_EXEC != 0 }
}

pub fn brk(p: &mut Task, a: [u64; 6]) -> SysResult {
    let want = a[0];
    let mut mm = p.space.lock();
    if want < mm.brk_base || want > BRK_LIMIT {
        return Ok(mm.brk as usize);
    }
    let old_end = mm.brk.next_multiple_of(PAGE);
    let new_end = want.next_multiple_of(PAGE);
    if new_end > old_end {
        if mm.space.map_zeroed(old_end, new_end - old_end, Prot { write: true, exec: false }).is_err() {
            return Ok(mm.brk as usize); // Linux reports failure by returning the old break
        }
    } else if new_end < old_end {
        mm.space.unmap(new_end, old_end - new_end)?;
    }
    mm.brk = want;
    Ok(want as usize)
}

pub fn mmap(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (addr, len, prot_bits, flags, fd, offset) = (a[0], a[1], a[2], a[3], a[4] as i32 as i64, a[5]);
    if len == 0 || addr % PAGE != 0 || offset % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (MAP_SHARED | MAP_PRIVATE) == 0 {
        return Err(Errno::EINVAL);
    }
    // A file mapping is filled with the file's bytes now (a private copy);
    // writes to a MAP_SHARED file mapping do not reach the file (not offered).
    let file = if flags & MAP_ANONYMOUS == 0 {
        let file = p.files.get(fd)?;
        if !file.readable {
            return Err(Errno::EACCES);
        }
        if flags & MAP_SHARED != 0 && prot_bits & PROT_WRITE != 0 {
            return Err(Errno::ENODEV);
        }
        match &file.node {
            Node::Path(loc) if !loc.metadata()?.is_dir() && loc.inode().device().is_none() => Some(loc.clone()),
            _ => return Err(Errno::ENODEV),
        }
    } else {
        None
    };
    let len = len.checked_next_multiple_of(PAGE).ok_or(Errno::ENOMEM)?;
    let start = {
        let mut mm = p.space.lock();
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
            if addr.checked_add(len).is_none_or(|e| e > crate::mm::user::USER_END) {
                return Err(Errno::ENOMEM);
            }
            mm.space.unmap(addr, len)?;
            addr
        } else {
            let start = mm.mmap_top.checked_sub(len).ok_or(Errno::ENOMEM)?;
            if start < BRK_LIMIT {
                return Err(Errno::ENOMEM);
            }
            mm.mmap_top = start;
            start
        }
    };
    p.space.map_zeroed(start, len, Prot { write: true, exec: false })?;
    if let Some(loc) = file {
        let mut buf = alloc::vec![0u8; 64 * 1024];
        let mut done = 0u64;
        while done < len {
            let want = (len - done).min(buf.len() as u64) as usize;
            let n = loc.inode().read_at(offset + done, &mut buf[..want])?;
            if n == 0 {
                break;
            }
            p.space.lock().space.load(start + done, &buf[..n])?;
            done += n as u64;
        }
    }
    if flags & MAP_SHARED != 0 && flags & MAP_ANONYMOUS != 0 {
        // Shared with children after fork (no copy-on-write).
        p.space.lock().space.mark_shared(start, len);
    }
    p.space.protect(start, len, prot(prot_bits))?;
    Ok(start as usize)
}

pub fn munmap(p: &mut Task, a: [u64; 6]) -> SysResult {
    if a[0] % PAGE != 0 || a[1] == 0 {
        return Err(Errno::EINVAL);
    }
    p.space.unmap(a[0], a[1])?;
    Ok(0)
}

pub fn mprotect(p: &mut Task, a: [u64; 6]) -> SysResult {
    p.space.protect(a[0], a[1], prot(a[2]))?;
    Ok(0)
}

/// mremap: shrinking in place, or moving to a fresh range (MREMAP_MAYMOVE)
/// by copying. Growing in place is refused (ENOMEM) as Linux does when the
/// next pages are taken.
pub fn mremap(p: &mut Task, a: [u64; 6]) -> SysResult {
    const MREMAP_MAYMOVE: u64 = 1;
    let (old, old_len, new_len, flags) = (a[0], a[1], a[2], a[3]);
    if old % PAGE != 0 || new_len == 0 {
        return Err(Errno::EINVAL);
    }
    let old_len = old_len.next_multiple_of(PAGE);
    let new_len = new_len.next_multiple_of(PAGE);
    if new_len <= old_len {
        if new_len < old_len {
            p.space.unmap(old + new_len, old_len - new_len)?;
        }
        return Ok(old as usize);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    let new = mmap(p, [0, new_len, PROT_WRITE | 1, MAP_PRIVATE | MAP_ANONYMOUS, u64::MAX, 0])? as u64;
    let mut buf = alloc::vec![0u8; PAGE as usize];
    for off in (0..old_len).step_by(PAGE as usize) {
        if p.space.copy_in(old + off, &mut buf).is_ok() {
            p.space.copy_out(new + off, &buf)?;
        }
    }
    p.space.unmap(old, old_len)?;
    Ok(new as usize)
}

/// madvise: advice only; MADV_DONTNEED on private anonymous memory must
/// read back zeros, which unmapping and remapping gives.
pub fn madvise(p: &mut Task, a: [u64; 6]) -> SysResult {
    const MADV_DONTNEED: u64 = 4;
    if a[0] % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if a[2] == MADV_DONTNEED && a[1] > 0 {
        let len = a[1].next_multiple_of(PAGE);
        let mut mm = p.space.lock();
        mm.space.unmap(a[0], len)?;
        mm.space.map_zeroed(a[0], len, Prot { write: true, exec: false })?;
    }
    Ok(0)
}
