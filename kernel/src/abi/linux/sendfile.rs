//! sendfile(2): copies between descriptors inside the kernel, through the
//! same read and write paths as read(2)/write(2) (`io::read_file`,
//! `io::write_file`), one chunk at a time. busybox `cat` uses it.
//! May call: `io.rs` data paths, the descriptor table, user memory.

use alloc::vec;
use errno::Errno;
use linux_abi::flags::{OpenFlags, MAX_RW_COUNT};
use linux_abi::{Fd, UserPtr};

use super::io::{read_file, write_file};
use super::SysResult;
use crate::task::Task;

const CHUNK: usize = 64 * 1024;
const O_APPEND: u32 = OpenFlags::O_APPEND.bits();

/// sendfile(out_fd, in_fd, offset*, count). With `offset` the input is
/// read from `*offset` (updated after) and its file offset stays; without,
/// the input's offset advances by what was written. A failure after some
/// bytes moved returns that count, as Linux.
pub fn sendfile(p: &mut Task, out_fd: Fd, in_fd: Fd, offset: UserPtr<i64>, count: usize) -> SysResult {
    // As Linux: the offset is read before the descriptors are looked up.
    let given = if offset.is_null() { None } else { Some(p.space.read(offset)?) };
    let out = p.files.get(out_fd.into())?;
    let input = p.files.get(in_fd.into())?;
    if !input.readable || !out.writable {
        return Err(Errno::EBADF);
    }
    if input.downcast::<crate::task::pipe::PipeEnd>().is_some() || *out.status.lock() & O_APPEND != 0 {
        return Err(Errno::EINVAL);
    }
    let explicit = match given {
        Some(pos) => Some(u64::try_from(pos).map_err(|_| Errno::EINVAL)?),
        None => None,
    };
    let seekable = input.inner().positional();
    let start = explicit.unwrap_or_else(|| *input.offset.lock());
    let count = count.min(MAX_RW_COUNT);
    let mut buf = vec![0u8; count.min(CHUNK)];
    let mut done = 0usize;
    let mut failure = None;
    while done < count {
        let want = (count - done).min(CHUNK);
        let at = match seekable {
            true => Some(start.checked_add(done as u64).ok_or(Errno::EOVERFLOW)?),
            false => None,
        };
        let n = match read_file(&input, &mut buf[..want], at) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        let (written, err) = write_all(&out, &buf[..n]);
        done += written;
        if let Some(e) = err {
            failure = Some(e);
            break;
        }
        if written < n {
            break;
        }
        // As Linux: a signal ends a long transfer with what moved so far.
        if crate::task::signal_pending() {
            break;
        }
        crate::sched::cond_resched();
    }
    if seekable {
        let end = start.saturating_add(done as u64);
        match explicit {
            Some(_) => p.space.write(offset, &(end as i64))?,
            None => *input.offset.lock() = end,
        }
    }
    match failure {
        Some(e) if done == 0 => Err(e),
        _ => Ok(done),
    }
}

/// Writes `data` until done, a short write (0) or an error; returns how
/// much went out and the error, if one stopped it.
fn write_all(out: &crate::task::files::OpenFile, data: &[u8]) -> (usize, Option<Errno>) {
    let mut written = 0;
    while written < data.len() {
        match write_file(out, &data[written..], None) {
            Ok(0) => break,
            Ok(w) => written += w,
            Err(e) => return (written, Some(e)),
        }
    }
    (written, None)
}
