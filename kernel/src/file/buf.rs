//! Where a read's bytes go and a write's bytes come from: user memory (one
//! buffer, or readv/writev's several, as one run of bytes) or a kernel
//! buffer. A file kind moves bytes piece by piece at offsets into the run;
//! a copy may fail (a bad user pointer: `EFAULT`), and then only the pieces
//! before it count.

use alloc::vec::Vec;
use errno::{Errno, KResult};
use linux_abi::UserSlice;

use crate::task::mm::Mm;

/// The destination of a read.
pub trait Sink {
    /// Bytes it can take.
    fn len(&self) -> usize;
    /// Copies `bytes` to `off` (`off + bytes.len() <= len()`).
    fn put(&mut self, off: usize, bytes: &[u8]) -> KResult<()>;
}

/// The source of a write.
pub trait Source {
    fn len(&self) -> usize;
    /// Fills `buf` with the bytes at `off`.
    fn get(&mut self, off: usize, buf: &mut [u8]) -> KResult<()>;
}

/// A kernel buffer as a [`Sink`].
pub struct KernelBuf<'a>(pub &'a mut [u8]);

impl Sink for KernelBuf<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn put(&mut self, off: usize, bytes: &[u8]) -> KResult<()> {
        self.0.get_mut(off..off + bytes.len()).ok_or(Errno::EFAULT)?.copy_from_slice(bytes);
        Ok(())
    }
}

/// A read-only view of kernel bytes as a [`Source`].
pub struct Bytes<'a>(pub &'a [u8]);

impl Source for Bytes<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&mut self, off: usize, buf: &mut [u8]) -> KResult<()> {
        buf.copy_from_slice(self.0.get(off..off + buf.len()).ok_or(Errno::EFAULT)?);
        Ok(())
    }
}

/// User buffers (already checked by `access_ok`) seen as one run of bytes.
pub struct UserBuf<'a> {
    space: &'a Mm,
    segs: Vec<UserSlice>,
    len: usize,
}

impl<'a> UserBuf<'a> {
    pub fn new(space: &'a Mm, segs: Vec<UserSlice>) -> UserBuf<'a> {
        let len = segs.iter().map(|s| s.len()).sum();
        UserBuf { space, segs, len }
    }

    /// Calls `f(user piece, offset in `data`)` for the pieces of
    /// `[off, off + n)`.
    fn pieces(&self, off: usize, n: usize, mut f: impl FnMut(UserSlice, usize) -> KResult<()>) -> KResult<()> {
        let (mut seg_start, mut done) = (0usize, 0usize);
        for seg in &self.segs {
            if done == n {
                break;
            }
            let seg_end = seg_start + seg.len();
            let pos = off + done;
            if pos < seg_end {
                let from = pos - seg_start;
                let take = (seg.len() - from).min(n - done);
                f(seg.sub(from, take)?, done)?;
                done += take;
            }
            seg_start = seg_end;
        }
        if done < n {
            return Err(Errno::EFAULT);
        }
        Ok(())
    }
}

impl Sink for UserBuf<'_> {
    fn len(&self) -> usize {
        self.len
    }

    fn put(&mut self, off: usize, bytes: &[u8]) -> KResult<()> {
        let space = self.space;
        self.pieces(off, bytes.len(), |dst, at| space.copy_out(dst, &bytes[at..at + dst.len()]))
    }
}

impl Source for UserBuf<'_> {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&mut self, off: usize, buf: &mut [u8]) -> KResult<()> {
        let space = self.space;
        self.pieces(off, buf.len(), |src, at| {
            let n = src.len();
            space.copy_in(src, &mut buf[at..at + n])
        })
    }
}
