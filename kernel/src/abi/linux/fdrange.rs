//! close_range(2): closing, or marking close-on-exec, a range of
//! descriptors, optionally on a private copy of a shared table.
//! May call: the descriptor table.

use alloc::sync::Arc;
use errno::Errno;
use linux_abi::flags::{CLOSE_RANGE_CLOEXEC, CLOSE_RANGE_UNSHARE};

use super::SysResult;
use crate::task::Task;

/// close_range(first, last, flags): EINVAL for unknown flags or
/// `first > last`; with CLOSE_RANGE_UNSHARE a table shared with other
/// threads or processes is copied first, so only the caller's changes.
/// Descriptors that are not open are skipped.
pub fn close_range(p: &mut Task, first: u32, last: u32, flags: u32) -> SysResult {
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    if flags & CLOSE_RANGE_UNSHARE != 0 && Arc::strong_count(&p.files) > 1 {
        p.files = Arc::new(p.files.duplicate());
        if p.tid == p.proc.vpid {
            *p.proc.files.lock() = Arc::downgrade(&p.files);
        }
    }
    let (first, last) = (u64::from(first), u64::from(last));
    let open = p.files.entries();
    for (fd, _) in open.into_iter().filter(|(fd, _)| (first..=last).contains(&(*fd as u64))) {
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            p.files.set_cloexec(fd as i64, true)?;
        } else {
            super::locks::on_close(p, fd as i64);
            let _ = p.files.close(fd as i64);
        }
    }
    Ok(0)
}
