//! brk, mmap (anonymous, private file mappings through the page cache,
//! shared file mappings through `mm::filemap`), munmap, mprotect, mremap,
//! madvise, msync. Pages are filled on first touch (`mm::user`).
//!
//! Address arguments here are numbers, not pointers: each call checks them
//! in Linux's order (mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c,
//! mm/msync.c) and turns them into a `PageRange`, the only form the address
//! space accepts.

use alloc::sync::Arc;
use errno::Errno;
use linux_abi::flags::{
    madvise_name, MapFlags, MapType, ProtFlags, MADV_DONTNEED, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, MS_ASYNC,
    MS_INVALIDATE, MS_SYNC,
};
use linux_abi::{Fd, FlagArg, PageRange, PAGE_SIZE as PAGE, USER_END};

use super::SysResult;
use crate::mm::user::{Backing, Prot};
use crate::mm::{filemap, pagecache};
use crate::task::files::OpenFile;
use crate::task::Task;

/// The break may not grow into the mmap area.
const BRK_LIMIT: u64 = 0x7000_0000_0000;

fn prot(bits: ProtFlags) -> Prot {
    Prot {
        read: bits.intersects(ProtFlags::PROT_READ | ProtFlags::PROT_WRITE | ProtFlags::PROT_EXEC),
        write: bits.contains(ProtFlags::PROT_WRITE),
        exec: bits.contains(ProtFlags::PROT_EXEC),
    }
}

pub fn brk(p: &mut Task, want: u64) -> SysResult {
    let mut mm = p.space.lock();
    if want < mm.brk_base || want > BRK_LIMIT {
        return Ok(mm.brk as usize);
    }
    let old_end = mm.brk.next_multiple_of(PAGE);
    let new_end = want.next_multiple_of(PAGE);
    if new_end > old_end {
        let grown = PageRange::between(old_end, new_end);
        let ok = grown.is_some_and(|r| {
            !mm.space.is_mapped(r)
                && crate::task::rlimits::check_vm_growth(&mm, new_end - old_end, true).is_ok()
                && mm.space.map_anon(r, Prot { read: true, write: true, exec: false }).is_ok()
        });
        if !ok {
            return Ok(mm.brk as usize); // Linux reports failure by returning the old break
        }
    } else if new_end < old_end {
        if let Some(r) = PageRange::between(new_end, old_end) {
            mm.space.unmap(r);
        }
    }
    mm.brk = want;
    Ok(want as usize)
}

/// What a new mapping's pages come from, for an mmap of `file` (or
/// anonymous memory), and whether it may ever be made writable.
fn backing(
    p: &mut Task,
    ty: MapType,
    flags: MapFlags,
    file: Option<Arc<OpenFile>>,
    offset: u64,
    len: u64,
    prot_bits: ProtFlags,
) -> Result<(Backing, bool), Errno> {
    let Some(file) = file else {
        return match ty {
            MapType::Shared => Ok((Backing::Shared { object: filemap::anonymous(p.space.lock().space.charge()), offset: 0 }, true)),
            MapType::Private => Ok((Backing::Anon, true)),
            MapType::SharedValidate => Err(Errno::EINVAL),
        };
    };
    // Linux's file_mmap_ok: the mapped bytes lie below the largest file size.
    if offset.checked_add(len).is_none_or(|end| end > i64::MAX as u64) {
        return Err(Errno::EOVERFLOW);
    }
    if ty == MapType::SharedValidate && flags.difference(MapFlags::LEGACY_MAP_MASK).bits() != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if !file.readable {
        return Err(Errno::EACCES);
    }
    let Some(loc) = file.location() else { return Err(Errno::ENODEV) };
    if loc.metadata()?.is_dir() || loc.inode().device().is_some() {
        return Err(Errno::ENODEV);
    }
    let inode = loc.inode().clone();
    if ty != MapType::Private {
        if prot_bits.contains(ProtFlags::PROT_WRITE) && !file.writable {
            return Err(Errno::EACCES);
        }
        return Ok((Backing::Shared { object: filemap::file(&inode)?, offset }, file.writable));
    }
    filemap::sync_inode(&inode);
    let image = pagecache::image(&inode)?;
    image.load(offset, len)?;
    Ok((Backing::File { image: Arc::clone(&image), offset }, true))
}

/// mmap(addr, len, prot, flags, fd, offset), checked in Linux's order:
/// the offset's alignment, the descriptor, the length, the offset's
/// overflow, a fixed address, then the mapping type and file access.
/// Unknown flag and prot bits are ignored, as Linux does.
pub fn mmap(p: &mut Task, addr: u64, len: u64, prot_bits: FlagArg<ProtFlags>, flags: FlagArg<MapFlags>, fd: Fd, offset: u64) -> SysResult {
    let (prot_bits, flags) = (prot_bits.raw(), flags.raw());
    if offset % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    let file = match flags.contains(MapFlags::MAP_ANONYMOUS) {
        true => None,
        false => Some(p.files.get(fd.into())?),
    };
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = len.checked_next_multiple_of(PAGE).ok_or(Errno::ENOMEM)?;
    if (offset / PAGE).checked_add(len / PAGE).is_none() {
        return Err(Errno::EOVERFLOW);
    }
    let fixed = flags.intersects(MapFlags::MAP_FIXED | MapFlags::MAP_FIXED_NOREPLACE);
    let fixed_range = if fixed {
        if len > USER_END || addr > USER_END - len {
            return Err(Errno::ENOMEM);
        }
        Some(PageRange::aligned(addr, len).ok_or(Errno::EINVAL)?)
    } else {
        None
    };
    if let Some(range) = fixed_range {
        if flags.contains(MapFlags::MAP_FIXED_NOREPLACE) && p.space.lock().space.is_mapped(range) {
            return Err(Errno::EEXIST);
        }
    }
    let ty = flags.map_type().ok_or(Errno::EINVAL)?;
    let (backing, may_write) = backing(p, ty, flags, file, offset, len, prot_bits)?;
    let mut mm = p.space.lock();
    let private_writable = !matches!(backing, Backing::Shared { .. }) && prot_bits.contains(ProtFlags::PROT_WRITE);
    crate::task::rlimits::check_vm_growth(&mm, len, private_writable)?;
    let range = match fixed_range {
        Some(range) => range,
        None => {
            let range = mm
                .mmap_top
                .checked_sub(len)
                .filter(|&start| start >= BRK_LIMIT)
                .and_then(|start| PageRange::aligned(start, len))
                .ok_or(Errno::ENOMEM)?;
            mm.mmap_top = range.start();
            range
        }
    };
    mm.space.map(range, prot(prot_bits), may_write, backing)?;
    Ok(range.start() as usize)
}

/// munmap(addr, len): EINVAL unless `addr` is page-aligned and the
/// (non-empty) range lies in user space.
pub fn munmap(p: &mut Task, addr: u64, len: u64) -> SysResult {
    let range = PageRange::aligned(addr, len).filter(|r| !r.is_empty()).ok_or(Errno::EINVAL)?;
    p.space.unmap(range);
    super::ipc::unmapped(&p.space, range);
    Ok(0)
}

/// mprotect(addr, len, prot): EINVAL for both grow flags or a misaligned
/// start, 0 for an empty range, ENOMEM for a wrapping one, EINVAL for an
/// unknown bit, ENOMEM where nothing is mapped.
pub fn mprotect(p: &mut Task, addr: u64, len: u64, prot_bits: FlagArg<ProtFlags>) -> SysResult {
    let grows = ProtFlags::PROT_GROWSDOWN | ProtFlags::PROT_GROWSUP;
    let raw = prot_bits.raw();
    if raw.contains(grows) || addr % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let aligned = len.checked_next_multiple_of(PAGE).filter(|&l| addr.checked_add(l).is_some());
    let Some(aligned) = aligned else { return Err(Errno::ENOMEM) };
    let basic = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE | ProtFlags::PROT_EXEC | ProtFlags::PROT_SEM;
    if raw.difference(grows).difference(basic).bits() != 0 {
        return Err(Errno::EINVAL);
    }
    let range = PageRange::aligned(addr, aligned).ok_or(Errno::ENOMEM)?;
    if raw.intersects(grows) {
        // No mapping here grows: EINVAL where one is found, as Linux.
        return Err(if p.space.lock().space.is_covered(range) { Errno::EINVAL } else { Errno::ENOMEM });
    }
    p.space.protect(range, prot(raw))?;
    Ok(0)
}

/// mremap: shrinking in place, or moving (MREMAP_MAYMOVE) the mappings and
/// their pages to a fresh range, grown with more of the same backing.
/// Growing in place is refused (ENOMEM) as Linux does when the next pages
/// are taken; MREMAP_FIXED and MREMAP_DONTUNMAP are not offered (ENOSYS).
pub fn mremap(p: &mut Task, old: u64, old_len: u64, new_len: u64, flags: u64, _new_addr: u64) -> SysResult {
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
        || (flags & MREMAP_DONTUNMAP != 0 && (flags & MREMAP_MAYMOVE == 0 || old_len != new_len))
        || old % PAGE != 0
    {
        return Err(Errno::EINVAL);
    }
    let old_len = old_len.checked_next_multiple_of(PAGE).ok_or(Errno::EINVAL)?;
    let new_len = new_len.checked_next_multiple_of(PAGE).filter(|&l| l != 0).ok_or(Errno::EINVAL)?;
    if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 {
        return Err(super::unimplemented_op("mremap", flags));
    }
    if old_len == 0 {
        return Err(Errno::EINVAL); // duplicating a shared mapping: not offered
    }
    let mut mm = p.space.lock();
    if new_len <= old_len {
        if new_len < old_len {
            let tail = old.checked_add(new_len).and_then(|start| PageRange::aligned(start, old_len - new_len));
            mm.space.unmap(tail.ok_or(Errno::EINVAL)?);
        }
        return Ok(old as usize);
    }
    let old_range = PageRange::aligned(old, old_len).ok_or(Errno::EFAULT)?;
    if !mm.space.is_covered(old_range) {
        return Err(Errno::EFAULT);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    crate::task::rlimits::check_vm_growth(&mm, new_len - old_len, false)?;
    let new_range = mm
        .mmap_top
        .checked_sub(new_len)
        .filter(|&s| s >= BRK_LIMIT)
        .and_then(|start| PageRange::aligned(start, new_len))
        .ok_or(Errno::ENOMEM)?;
    mm.space.move_range(old_range, new_range)?;
    mm.mmap_top = new_range.start();
    Ok(new_range.start() as usize)
}

/// madvise: advice only, except MADV_DONTNEED: private pages read as new
/// again (zeros, or the file's bytes), as on Linux. Unknown advice and a
/// misaligned start are EINVAL; a range with unmapped parts is ENOMEM.
pub fn madvise(p: &mut Task, addr: u64, len: u64, advice: i32) -> SysResult {
    if madvise_name(advice).is_none() || addr % PAGE != 0 {
        return Err(Errno::EINVAL);
    }
    let aligned = len.checked_next_multiple_of(PAGE).filter(|&l| l != 0 || len == 0).ok_or(Errno::EINVAL)?;
    if addr.checked_add(aligned).is_none() {
        return Err(Errno::EINVAL);
    }
    if aligned == 0 {
        return Ok(0);
    }
    let range = PageRange::aligned(addr, aligned).ok_or(Errno::ENOMEM)?;
    let mut mm = p.space.lock();
    if advice == MADV_DONTNEED {
        mm.space.discard(range);
    }
    if !mm.space.is_covered(range) {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

/// msync(addr, len, flags): stores to shared file mappings reach the file
/// (MS_ASYNC and MS_SYNC alike; MS_INVALIDATE has nothing to drop). As
/// Linux, the length is rounded up modulo 2^64 (a huge one wraps to 0: a
/// no-op) and unmapped parts are ENOMEM.
pub fn msync(p: &mut Task, addr: u64, len: u64, flags: i32) -> SysResult {
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 || addr % PAGE != 0 || flags & (MS_ASYNC | MS_SYNC) == (MS_ASYNC | MS_SYNC) {
        return Err(Errno::EINVAL);
    }
    let len = len.wrapping_add(PAGE - 1) & !(PAGE - 1);
    if addr.checked_add(len).is_none() {
        return Err(Errno::ENOMEM);
    }
    if len == 0 {
        return Ok(0);
    }
    let range = PageRange::aligned(addr, len).ok_or(Errno::ENOMEM)?;
    p.space.lock().space.sync(range)?;
    Ok(0)
}
