//! Durability and access hints: sync, syncfs, fsync, fdatasync, fadvise64.
//!
//! tmpfs lives in RAM, and the data disk's block cache is write-through,
//! so "durable" means: the disk device has flushed its own write cache
//! (`fs::sync_all`). Every call that promises durability does that.
//! May call: `fs` (the flush), the descriptor table.

use errno::Errno;
use linux_abi::flags::POSIX_FADV_NOREUSE;
use linux_abi::Fd;

use super::SysResult;
use crate::task::Task;

pub fn sync(_p: &mut Task) -> SysResult {
    crate::fs::sync_all();
    Ok(0)
}

/// syncfs(2): any open descriptor names a filesystem; flushes as sync.
pub fn syncfs(p: &mut Task, fd: Fd) -> SysResult {
    p.files.get(fd.into())?;
    crate::fs::sync_all();
    Ok(0)
}

/// fsync(2)/fdatasync(2): `EINVAL` for pipes and the terminal, which
/// cannot be synced (as on Linux).
pub fn fsync(p: &mut Task, fd: Fd) -> SysResult {
    p.files.get(fd.into())?.inner().sync().map(|_| 0)
}

/// fadvise64(fd, offset, len, advice): only a hint; the advice is checked
/// (`EINVAL` beyond POSIX_FADV_NOREUSE, or a negative length) and ignored.
/// Pipes are `ESPIPE`.
pub fn fdatasync(p: &mut Task, fd: Fd) -> SysResult {
    fsync(p, fd)
}

pub fn fadvise64(p: &mut Task, fd: Fd, _offset: i64, len: i64, advice: i32) -> SysResult {
    let file = p.files.get(fd.into())?;
    if file.downcast::<crate::task::pipe::PipeEnd>().is_some() {
        return Err(Errno::ESPIPE);
    }
    if len < 0 || !(0..=POSIX_FADV_NOREUSE).contains(&advice) {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
