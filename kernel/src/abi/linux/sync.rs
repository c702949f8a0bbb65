//! Durability and access hints: sync, syncfs, fsync, fdatasync, fadvise64.
//!
//! tmpfs lives in RAM, and the data disk's block cache is write-through,
//! so "durable" means: the disk device has flushed its own write cache
//! (`fs::sync_all`). Every call that promises durability does that.
//! May call: `fs` (the flush), the descriptor table.

use errno::Errno;

use super::SysResult;
use crate::task::files::Node;
use crate::task::Task;

pub fn sync(_p: &mut Task) -> SysResult {
    crate::fs::sync_all();
    Ok(0)
}

/// syncfs(2): any open descriptor names a filesystem; flushes as sync.
pub fn syncfs(p: &mut Task, a: [u64; 6]) -> SysResult {
    p.files.get(a[0] as i32 as i64)?;
    crate::fs::sync_all();
    Ok(0)
}

/// fsync(2)/fdatasync(2): `EINVAL` for pipes and the terminal, which
/// cannot be synced (as on Linux).
pub fn fsync(p: &mut Task, a: [u64; 6]) -> SysResult {
    match p.files.get(a[0] as i32 as i64)?.node {
        Node::Path(_) => {
            crate::fs::sync_all();
            Ok(0)
        }
        Node::Pipe(_) | Node::Console | Node::Socket(_) | Node::Epoll(_) => Err(Errno::EINVAL),
    }
}

/// fadvise64(fd, offset, len, advice): only a hint; the advice is checked
/// (`EINVAL` beyond POSIX_FADV_NOREUSE, or a negative length) and ignored.
/// Pipes are `ESPIPE`.
pub fn fadvise64(p: &mut Task, a: [u64; 6]) -> SysResult {
    const POSIX_FADV_NOREUSE: u64 = 5;
    let file = p.files.get(a[0] as i32 as i64)?;
    if matches!(file.node, Node::Pipe(_)) {
        return Err(Errno::ESPIPE);
    }
    if (a[2] as i64) < 0 || a[3] > POSIX_FADV_NOREUSE {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
