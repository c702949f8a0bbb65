//! The bytes of a pipe: a ring of `capacity` bytes (a power of two pages)
//! stored in page-sized chunks that are allocated when data first reaches
//! them and kept until the ring is dropped or resized.
//!
//! Role: let the kernel copy user memory straight into and out of a pipe,
//! without a bounce buffer. [`PipeBuf::fill`] and [`PipeBuf::drain`] hand
//! the caller each contiguous piece of the ring (never longer than a page)
//! together with its offset in the caller's transfer; the caller's copy may
//! fail (a bad user pointer), and then only the pieces before it count.
//! Invariants: `len <= capacity`; bytes are read in the order written; a
//! chunk is touched only between `head` and `head + len` (modulo capacity),
//! so fresh chunks are only allocated for free space about to be written.
//! Depends on `alloc` and `errno` only; the caller serialises access.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use errno::{Errno, KResult};

/// Bytes per chunk (one page, as Linux's pipe buffers).
pub const CHUNK: usize = 4096;

pub struct PipeBuf {
    /// `capacity / CHUNK` slots; `None` until data first reaches the slot.
    chunks: Vec<Option<Box<[u8]>>>,
    /// Ring position of the first byte held.
    head: usize,
    /// Bytes held.
    len: usize,
}

impl PipeBuf {
    /// An empty ring of `capacity` bytes: a multiple of [`CHUNK`], at least one.
    pub fn new(capacity: usize) -> PipeBuf {
        let slots = (capacity / CHUNK).max(1);
        PipeBuf { chunks: (0..slots).map(|_| None).collect(), head: 0, len: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.chunks.len() * CHUNK
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes that may still be written.
    pub fn room(&self) -> usize {
        self.capacity() - self.len
    }

    /// Chunks allocated now (for tests and memory accounting).
    pub fn allocated_chunks(&self) -> usize {
        self.chunks.iter().filter(|c| c.is_some()).count()
    }

    /// Appends up to `want` bytes: `copy(offset, piece)` must fill `piece`
    /// with the bytes at `offset` of the caller's data (offsets start at 0
    /// and grow piece by piece). Returns the bytes appended (at most the
    /// room) and the error of the copy that stopped early, if one did; that
    /// piece and the rest are not appended.
    pub fn fill(&mut self, want: usize, copy: &mut dyn FnMut(usize, &mut [u8]) -> KResult<()>) -> (usize, Option<Errno>) {
        let total = want.min(self.room());
        let cap = self.capacity();
        let mut done = 0;
        while done < total {
            let pos = (self.head + self.len) % cap;
            let (slot, at) = (pos / CHUNK, pos % CHUNK);
            let n = (CHUNK - at).min(total - done);
            let chunk = self.chunks[slot].get_or_insert_with(|| vec![0u8; CHUNK].into_boxed_slice());
            if let Err(e) = copy(done, &mut chunk[at..at + n]) {
                return (done, Some(e));
            }
            self.len += n;
            done += n;
        }
        (done, None)
    }

    /// Removes up to `want` bytes from the front: `copy(offset, piece)`
    /// receives them piece by piece. Returns the bytes removed and the error
    /// of the copy that stopped early, if one did; that piece stays queued.
    pub fn drain(&mut self, want: usize, copy: &mut dyn FnMut(usize, &[u8]) -> KResult<()>) -> (usize, Option<Errno>) {
        let total = want.min(self.len);
        let cap = self.capacity();
        let mut done = 0;
        while done < total {
            let (slot, at) = (self.head / CHUNK, self.head % CHUNK);
            let n = (CHUNK - at).min(total - done);
            // Held bytes always sit in allocated chunks.
            let Some(chunk) = self.chunks[slot].as_deref() else { return (done, Some(Errno::EIO)) };
            if let Err(e) = copy(done, &chunk[at..at + n]) {
                return (done, Some(e));
            }
            self.head = (self.head + n) % cap;
            self.len -= n;
            done += n;
        }
        if self.len == 0 {
            // Start over at the first chunk: the next writes reuse the same
            // chunks instead of walking into fresh ones.
            self.head = 0;
        }
        (done, None)
    }

    /// Copies up to `want` bytes from the front without removing them
    /// (tee): `copy(offset, piece)` as for [`PipeBuf::drain`]. Returns the
    /// bytes copied and the error that stopped early, if one did.
    pub fn peek(&self, want: usize, copy: &mut dyn FnMut(usize, &[u8]) -> KResult<()>) -> (usize, Option<Errno>) {
        let total = want.min(self.len);
        let cap = self.capacity();
        let mut done = 0;
        while done < total {
            let pos = (self.head + done) % cap;
            let (slot, at) = (pos / CHUNK, pos % CHUNK);
            let n = (CHUNK - at).min(total - done);
            let Some(chunk) = self.chunks[slot].as_deref() else { return (done, Some(Errno::EIO)) };
            if let Err(e) = copy(done, &chunk[at..at + n]) {
                return (done, Some(e));
            }
            done += n;
        }
        (done, None)
    }

    /// Moves the contents into a ring of `capacity` bytes (F_SETPIPE_SZ);
    /// `EBUSY` if they would not fit.
    pub fn resize(&mut self, capacity: usize) -> KResult<()> {
        let mut next = PipeBuf::new(capacity);
        if self.len > next.capacity() {
            return Err(Errno::EBUSY);
        }
        let mut held = vec![0u8; self.len];
        let (n, _) = self.drain(self.len, &mut |off, piece| {
            held[off..off + piece.len()].copy_from_slice(piece);
            Ok(())
        });
        next.fill(n, &mut |off, piece| {
            piece.copy_from_slice(&held[off..off + piece.len()]);
            Ok(())
        });
        *self = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(p: &mut PipeBuf, data: &[u8]) -> usize {
        let (n, e) = p.fill(data.len(), &mut |off, piece| {
            piece.copy_from_slice(&data[off..off + piece.len()]);
            Ok(())
        });
        assert_eq!(e, None);
        n
    }

    fn take(p: &mut PipeBuf, want: usize) -> Vec<u8> {
        let mut out = vec![0u8; want.min(p.len())];
        let (n, e) = p.drain(want, &mut |off, piece| {
            out[off..off + piece.len()].copy_from_slice(piece);
            Ok(())
        });
        assert_eq!(e, None);
        out.truncate(n);
        out
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
    }

    #[test]
    fn peek_keeps_the_bytes_across_the_wrap() {
        let mut p = PipeBuf::new(2 * CHUNK);
        let first: Vec<u8> = (0..CHUNK + 100).map(|i| i as u8).collect();
        assert_eq!(put(&mut p, &first), first.len());
        take(&mut p, CHUNK + 50);
        let second: Vec<u8> = (0..CHUNK).map(|i| (i * 7) as u8).collect();
        assert_eq!(put(&mut p, &second), second.len());
        let mut seen = vec![0u8; p.len()];
        let (n, e) = p.peek(usize::MAX, &mut |off, piece| {
            seen[off..off + piece.len()].copy_from_slice(piece);
            Ok(())
        });
        assert_eq!((n, e), (50 + CHUNK, None));
        assert_eq!(p.len(), 50 + CHUNK);
        assert_eq!(take(&mut p, usize::MAX), seen);
        // A failing copy stops the peek and removes nothing.
        put(&mut p, b"abc");
        assert_eq!(p.peek(3, &mut |_, _| Err(Errno::EFAULT)), (0, Some(Errno::EFAULT)));
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn bytes_come_out_in_order_across_the_wrap() {
        let mut p = PipeBuf::new(4 * CHUNK);
        let a = pattern(3 * CHUNK + 100, 1);
        assert_eq!(put(&mut p, &a), a.len());
        assert_eq!(take(&mut p, 2 * CHUNK), a[..2 * CHUNK]);
        // This write wraps around the end of the ring.
        let b = pattern(2 * CHUNK + 50, 7);
        assert_eq!(put(&mut p, &b), b.len());
        assert_eq!(p.len(), a.len() - 2 * CHUNK + b.len());
        let mut expected = a[2 * CHUNK..].to_vec();
        expected.extend_from_slice(&b);
        assert_eq!(take(&mut p, usize::MAX), expected);
        assert!(p.is_empty());
    }

    #[test]
    fn a_full_ring_takes_no_more() {
        let mut p = PipeBuf::new(2 * CHUNK);
        assert_eq!(put(&mut p, &pattern(3 * CHUNK, 0)), 2 * CHUNK);
        assert_eq!(p.room(), 0);
        assert_eq!(put(&mut p, b"x"), 0);
        assert_eq!(take(&mut p, 1), pattern(1, 0));
        assert_eq!(put(&mut p, b"xy"), 1);
    }

    #[test]
    fn chunks_are_allocated_only_as_data_arrives_and_then_reused() {
        let mut p = PipeBuf::new(16 * CHUNK);
        assert_eq!(p.allocated_chunks(), 0);
        put(&mut p, b"hello");
        assert_eq!(p.allocated_chunks(), 1);
        assert_eq!(take(&mut p, 5), b"hello");
        // Drained: writing starts again at the first chunk.
        for _ in 0..100 {
            put(&mut p, &pattern(CHUNK, 3));
            assert_eq!(take(&mut p, CHUNK), pattern(CHUNK, 3));
        }
        assert_eq!(p.allocated_chunks(), 1);
    }

    #[test]
    fn pieces_never_cross_a_chunk_and_offsets_follow_the_caller_data() {
        let mut p = PipeBuf::new(4 * CHUNK);
        put(&mut p, &pattern(100, 0));
        let mut seen = Vec::new();
        p.fill(2 * CHUNK, &mut |off, piece| {
            seen.push((off, piece.len()));
            Ok(())
        });
        assert_eq!(seen, [(0, CHUNK - 100), (CHUNK - 100, CHUNK), (2 * CHUNK - 100, 100)]);
    }

    #[test]
    fn a_failing_copy_keeps_only_the_pieces_before_it() {
        let mut p = PipeBuf::new(4 * CHUNK);
        let data = pattern(3 * CHUNK, 5);
        let (n, e) = p.fill(data.len(), &mut |off, piece| {
            if off >= CHUNK {
                return Err(Errno::EFAULT);
            }
            piece.copy_from_slice(&data[off..off + piece.len()]);
            Ok(())
        });
        assert_eq!((n, e), (CHUNK, Some(Errno::EFAULT)));
        assert_eq!(p.len(), CHUNK);
        let (n, e) = p.drain(CHUNK, &mut |_, _| Err(Errno::EFAULT));
        assert_eq!((n, e), (0, Some(Errno::EFAULT)));
        assert_eq!(take(&mut p, usize::MAX), data[..CHUNK]);
    }

    #[test]
    fn resizing_keeps_the_bytes_or_refuses() {
        let mut p = PipeBuf::new(4 * CHUNK);
        put(&mut p, &pattern(3 * CHUNK, 9));
        take(&mut p, CHUNK + 10);
        assert_eq!(p.resize(CHUNK), Err(Errno::EBUSY));
        assert_eq!(p.capacity(), 4 * CHUNK);
        p.resize(8 * CHUNK).unwrap();
        assert_eq!(p.capacity(), 8 * CHUNK);
        assert_eq!(take(&mut p, usize::MAX), pattern(3 * CHUNK, 9)[CHUNK + 10..]);
    }
}
