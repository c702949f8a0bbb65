//! Pipes: a 64 KiB ring (16 page-sized chunks, allocated as data first
//! reaches them: `pipebuf`) between a read end and a write end.
//!
//! Semantics as Linux pipe(7): reads block until data or no writers (EOF);
//! writes block until room, and fail with EPIPE (plus SIGPIPE) when no reader
//! is left; writes of at most PIPE_BUF bytes are atomic. The ends count
//! themselves: dropping the last open file of an end wakes the other side.
//! Copying: [`Pipe::read_to`] and [`Pipe::write_from`] move bytes between
//! the ring and the caller piece by piece (the read/write syscalls copy
//! straight from and to user memory, no bounce buffer); a failing copy
//! (EFAULT) ends the call with the bytes moved before it, or the error if
//! none were.
//! Wake-ups: a wait queue is only touched when a thread waits on it.
//! May call: `sched` (wait queues), `task::files` (readiness), `task::signal`.

use alloc::sync::Arc;
use errno::{Errno, KResult};
use pipebuf::PipeBuf;
use spin::Mutex;

use crate::sched::wait::Interrupted;
use crate::sched::WaitQueue;

pub const CAPACITY: usize = 64 * 1024;
pub use linux_abi::flags::PIPE_BUF;
/// Linux's pipe-max-size: the largest F_SETPIPE_SZ.
const MAX_CAPACITY: usize = 1024 * 1024;

/// Receives a read's bytes: `(offset in the transfer, piece)`.
pub type Sink<'a> = &'a mut dyn FnMut(usize, &[u8]) -> KResult<()>;
/// Supplies a write's bytes: fills `piece` with the bytes at the offset.
pub type Source<'a> = &'a mut dyn FnMut(usize, &mut [u8]) -> KResult<()>;

struct State {
    data: PipeBuf,
    readers: usize,
    writers: usize,
}

pub struct Pipe {
    state: Mutex<State>,
    readable: WaitQueue,
    writable: WaitQueue,
    _live: crate::live::Live,
}

/// One end; the pipe's reader/writer count follows the ends' lifetimes.
pub struct PipeEnd {
    pub pipe: Arc<Pipe>,
    pub write: bool,
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        {
            let mut s = self.pipe.state.lock();
            if self.write {
                s.writers -= 1;
            } else {
                s.readers -= 1;
            }
        }
        self.pipe.readable.wake_all();
        self.pipe.writable.wake_all();
        super::files::readiness_changed();
    }
}

/// A new pipe: (read end, write end).
pub fn new() -> (PipeEnd, PipeEnd) {
    let pipe = Arc::new(Pipe {
        _live: crate::live::Live::new(crate::live::Kind::Pipe),
        state: Mutex::new(State { data: PipeBuf::new(CAPACITY), readers: 1, writers: 1 }),
        readable: WaitQueue::new(),
        writable: WaitQueue::new(),
    });
    (PipeEnd { pipe: pipe.clone(), write: false }, PipeEnd { pipe, write: true })
}

/// Wakes `queue`'s waiters, if it has any.
fn wake(queue: &WaitQueue) {
    if queue.has_waiters() {
        queue.wake_all();
    }
}

impl Pipe {
    /// Reads what is there (at least one byte) into `buf`, 0 at EOF.
    pub fn read(&self, buf: &mut [u8], nonblock: bool) -> KResult<usize> {
        self.read_to(buf.len(), nonblock, &mut |off, piece| {
            buf[off..off + piece.len()].copy_from_slice(piece);
            Ok(())
        })
    }

    /// Reads up to `len` bytes (at least one) into `sink`; 0 at EOF.
    pub fn read_to(&self, len: usize, nonblock: bool, sink: Sink) -> KResult<usize> {
        if len == 0 {
            return Ok(0);
        }
        let n = self
            .readable
            .wait_interruptible(
                || {
                    let mut s = self.state.lock();
                    if !s.data.is_empty() {
                        return Some(match s.data.drain(len, &mut *sink) {
                            (0, Some(e)) => Err(e),
                            (n, _) => Ok(n),
                        });
                    }
                    if s.writers == 0 {
                        return Some(Ok(0));
                    }
                    if nonblock {
                        return Some(Err(Errno::EAGAIN));
                    }
                    None
                },
                None,
            )
            .map_err(Interrupted::errno)??;
        if n > 0 {
            wake(&self.writable);
            super::files::readiness_changed();
        }
        Ok(n)
    }

    /// Writes all of `data` (blocking as needed); EPIPE if no reader.
    pub fn write(&self, data: &[u8], nonblock: bool) -> KResult<usize> {
        self.write_from(data.len(), nonblock, &mut |off, piece| {
            piece.copy_from_slice(&data[off..off + piece.len()]);
            Ok(())
        })
    }

    /// Writes `len` bytes taken from `source` (blocking as needed); EPIPE
    /// (and SIGPIPE) if no reader. Interrupted, non-blocking or faulting
    /// writes return the bytes written so far, if any.
    pub fn write_from(&self, len: usize, nonblock: bool, source: Source) -> KResult<usize> {
        let mut done = 0;
        while done < len {
            let atomic = len - done <= PIPE_BUF;
            let r = self.writable.wait_interruptible(
                || {
                    let mut s = self.state.lock();
                    if s.readers == 0 {
                        return Some(Err(Errno::EPIPE));
                    }
                    let room = s.data.room();
                    let want = len - done;
                    if room == 0 || (atomic && room < want) {
                        return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
                    }
                    Some(match s.data.fill(want, &mut |off, piece| source(done + off, piece)) {
                        (0, Some(e)) => Err(e),
                        (n, fault) => Ok((n, fault)),
                    })
                },
                None,
            );
            match r {
                Ok(Ok((n, fault))) => {
                    done += n;
                    wake(&self.readable);
                    super::files::readiness_changed();
                    if let Some(e) = fault {
                        return if done > 0 { Ok(done) } else { Err(e) };
                    }
                }
                Ok(Err(_)) if done > 0 => return Ok(done),
                Ok(Err(Errno::EPIPE)) => {
                    super::signal::send_to_current(super::signal::Signal::SIGPIPE);
                    return Err(Errno::EPIPE);
                }
                Ok(Err(e)) => return Err(e),
                Err(i) => return if done > 0 { Ok(done) } else { Err(i.errno()) },
            }
        }
        Ok(done)
    }

    /// Waits until bytes are held (splice, tee, vmsplice): how many; 0 at
    /// EOF (empty, no writer); EAGAIN if `nonblock` and empty.
    pub fn wait_data(&self, nonblock: bool) -> KResult<usize> {
        self.readable
            .wait_interruptible(
                || {
                    let s = self.state.lock();
                    match (s.data.len(), s.writers) {
                        (0, 0) => Some(Ok(0)),
                        (0, _) if nonblock => Some(Err(Errno::EAGAIN)),
                        (0, _) => None,
                        (n, _) => Some(Ok(n)),
                    }
                },
                None,
            )
            .map_err(Interrupted::errno)?
    }

    /// Waits until there is room (splice, tee, vmsplice): how much; EPIPE
    /// (and SIGPIPE) without a reader; EAGAIN if `nonblock` and full.
    pub fn wait_room(&self, nonblock: bool) -> KResult<usize> {
        let r = self
            .writable
            .wait_interruptible(
                || {
                    let s = self.state.lock();
                    match (s.readers, s.data.room()) {
                        (0, _) => Some(Err(Errno::EPIPE)),
                        (_, 0) if nonblock => Some(Err(Errno::EAGAIN)),
                        (_, 0) => None,
                        (_, n) => Some(Ok(n)),
                    }
                },
                None,
            )
            .map_err(Interrupted::errno)?;
        if r == Err(Errno::EPIPE) {
            super::signal::send_to_current(super::signal::Signal::SIGPIPE);
        }
        r
    }

    /// Copies up to `len` held bytes into `sink` without taking them (tee).
    pub fn peek_to(&self, len: usize, sink: Sink) -> KResult<usize> {
        match self.state.lock().data.peek(len, sink) {
            (0, Some(e)) => Err(e),
            (n, _) => Ok(n),
        }
    }

    /// (readable, writable, hung up) for poll.
    pub fn poll(&self, write_end: bool) -> (bool, bool, bool) {
        let s = self.state.lock();
        if write_end {
            (false, s.readers == 0 || s.data.room() > 0, s.readers == 0)
        } else {
            // A drained pipe without writers is POLLHUP only (as Linux).
            (!s.data.is_empty(), false, s.writers == 0)
        }
    }

    /// F_GETPIPE_SZ.
    pub fn capacity(&self) -> usize {
        self.state.lock().data.capacity()
    }

    /// F_SETPIPE_SZ: at least `size` (a power of two pages, up to 1 MiB as
    /// Linux's pipe-max-size); EBUSY if the data would not fit.
    pub fn set_capacity(&self, size: usize) -> KResult<usize> {
        if size > MAX_CAPACITY {
            return Err(Errno::EPERM);
        }
        let size = size.max(pipebuf::CHUNK).next_power_of_two();
        self.state.lock().data.resize(size)?;
        wake(&self.writable);
        Ok(size)
    }

    /// Bytes waiting (FIONREAD).
    pub fn available(&self) -> usize {
        self.state.lock().data.len()
    }
}
