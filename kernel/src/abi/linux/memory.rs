//! brk, mmap (anonymous, private file mappings through the page cache,
//! shared file mappings through `mm::filemap`), munmap, mprotect, mremap,
//! madvise, msync. Pages are filled on first touch (`mm::user`).

use alloc::sync::Arc;
use errno::Errno;

use super::SysResult;
use crate::mm::user::{Backing, Prot, USER_END};
use crate::mm::{filemap, pagecache};
use crate::task::files::Node;
use crate::task::Task;

const PAGE: u64 = 4096;
const PROT_READ: u64 = 0x1;
const PROT_WRITE: u64 = 0x2;
const PROT_EXEC: u64 = 0x4;
const MAP_SHARED: u64 = 0x1;
const MAP_SHARED_VALIDATE: u64 = 0x3;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;
/// The break may not grow into the mmap area.
const BRK_LIMIT: u64 = 0x7000_0000_0000;

fn prot(bits: u64) -> Prot {
    Prot { read: bits & (PROT_READ | PROT_WRITE | PROT_EXEC) != 0, write: bits & PROT_WRITE != 0, exec: bits & PROT_EXEC != 0 }
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
        if mm.space.is_mapped(old_end, new_end - old_end)
            || crate::task::rlimits::check_vm_growth(&mm, new_end - old_end, true).is_err()
            || mm.space.map_anon(old_end, new_end - old_end, Prot { read: true, write: true, exec: false }).is_err()
        {
            return Ok(mm.brk as usize); // Linux reports failure by returning the old break
        }
    } else if new_end < old_end {
        mm.space.unmap(new_end, old_end - new_end)?;
    }
    mm.brk = want;
    Ok(want as usize)
}

/// What a new mapping's pages come from, for an mmap of `fd` (or anonymous).
fn backing(p: &mut Task, flags: u64, fd: i64, offset: u64, len: u64, prot_bits: u64) -> Result<(Backing, bool), Errno> {
    let shared = flags & MAP_SHARED != 0; // MAP_SHARED or MAP_SHARED_VALIDATE (else MAP_PRIVATE)
    if flags & MAP_ANONYMOUS != 0 {
        return Ok(match shared {
            true => (Backing::Shared { object: filemap::anonymous(p.space.lock().space.charge()), offset: 0 }, true),
            false => (Backing::Anon, true),
        });
    }
    let file = p.files.get(fd)?;
    if !file.readable {
        return Err(Errno::EACCES);
    }
    let Node::Path(loc) = &file.node else { return Err(Errno::ENODEV) };
    if loc.metadata()?.is_dir() || loc.inode().device().is_some() {
        return Err(Errno::ENODEV);
    }
    let inode = loc.inode().clone();
    if shared {
        if prot_bits & PROT_WRITE != 0 && !file.writable {
            return Err(Errno::EACCES);
        }
        return Ok((Backing::Shared { object: filemap::file(&inode)?, offset }, file.writable));
    }
    filemap::sync_inode(&inode);
    let image = pagecache::image(&inode)?;
    image.load(offset, len)?;
    Ok((Backing::File { image: Arc::clone(&image), offset }, true))
}

pub fn mmap(p: &mut Task, a: [u64; 6]) -> SysResult {
    let (addr, len, prot_bits, flags, fd, offset) = (a[0], a[1], a[2], a[3], a[4] as i32 as i64, a[5]);
    if len == 0 || addr % PAGE != 0 || offset % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MAP_SHARED_VALIDATE == 0 {
        return Err(Errno::EINVAL);
    }
    let len = len.checked_next_multiple_of(PAGE).ok_or(Errno::ENOMEM)?;
    offset.checked_add(len).ok_or(Errno::EOVERFLOW)?;
    let (backing, may_write) = backing(p, flags, fd, offset, len, prot_bits)?;
    let mut mm = p.space.lock();
    let private_writable = flags & MAP_SHARED == 0 && prot_bits & PROT_WRITE != 0;
    crate::task::rlimits::check_vm_growth(&mm, len, private_writable)?;
    let start = if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        if addr.checked_add(len).is_none_or(|e| e > USER_END) {
            return Err(Errno::ENOMEM);
        }
        if flags & MAP_FIXED_NOREPLACE != 0 && mm.space.is_mapped(addr, len) {
            return Err(Errno::EEXIST);
        }
        addr
    } else {
        let start = mm.mmap_top.checked_sub(len).ok_or(Errno::ENOMEM)?;
        if start < BRK_LIMIT {
            return Err(Errno::ENOMEM);
        }
        mm.mmap_top = start;
        start
    };
    mm.space.map(start, len, prot(prot_bits), may_write, backing)?;
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

/// mremap: shrinking in place, or moving (MREMAP_MAYMOVE) the mappings and
/// their pages to a fresh range, grown with more of the same backing.
/// Growing in place is refused (ENOMEM) as Linux does when the next pages
/// are taken.
pub fn mremap(p: &mut Task, a: [u64; 6]) -> SysResult {
    const MREMAP_MAYMOVE: u64 = 1;
    let (old, old_len, new_len, flags) = (a[0], a[1], a[2], a[3]);
    if old % PAGE != 0 || new_len == 0 {
        return Err(Errno::EINVAL);
    }
    let old_len = old_len.checked_next_multiple_of(PAGE).ok_or(Errno::EINVAL)?;
    let new_len = new_len.checked_next_multiple_of(PAGE).ok_or(Errno::ENOMEM)?;
    let mut mm = p.space.lock();
    if new_len <= old_len {
        if new_len < old_len {
            mm.space.unmap(old + new_len, old_len - new_len)?;
        }
        return Ok(old as usize);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    crate::task::rlimits::check_vm_growth(&mm, new_len - old_len, false)?;
    let new = mm.mmap_top.checked_sub(new_len).filter(|&s| s >= BRK_LIMIT).ok_or(Errno::ENOMEM)?;
    mm.space.move_range(old, old_len, new, new_len)?;
    mm.mmap_top = new;
    Ok(new as usize)
}

/// madvise: advice only, except MADV_DONTNEED: private pages read as new
/// again (zeros, or the file's bytes), as on Linux.
pub fn madvise(p: &mut Task, a: [u64; 6]) -> SysResult {
    const MADV_DONTNEED: u64 = 4;
    if a[0] % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if a[2] == MADV_DONTNEED && a[1] > 0 {
        p.space.lock().space.discard(a[0], a[1])?;
    }
    Ok(0)
}

/// msync(addr, len, flags): stores to shared file mappings reach the file
/// (MS_ASYNC and MS_SYNC alike; MS_INVALIDATE has nothing to drop).
pub fn msync(p: &mut Task, a: [u64; 6]) -> SysResult {
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    let (addr, len, flags) = (a[0], a[1], a[2]);
    if addr % PAGE != 0 || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 || flags & (MS_ASYNC | MS_SYNC) == (MS_ASYNC | MS_SYNC) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    p.space.lock().space.sync(addr, len)?;
    Ok(0)
}
