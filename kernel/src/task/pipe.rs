//! Pipes: a 64 KiB byte ring between a read end and a write end.
//!
//! Semantics as Linux pipe(7): reads block until data or no writers (EOF);
//! writes block until room, and fail with EPIPE (plus SIGPIPE) when no reader
//! is left; writes of at most PIPE_BUF bytes are atomic. The ends count
//! themselves: dropping the last open file of an end wakes the other side.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use errno::{Errno, KResult};
use spin::Mutex;

use crate::sched::wait::Interrupted;
use crate::sched::WaitQueue;

pub const CAPACITY: usize = 64 * 1024;
pub const PIPE_BUF: usize = 4096;

struct State {
    data: VecDeque<u8>,
    readers: usize,
    writers: usize,
    /// Bytes the pipe holds at most (F_SETPIPE_SZ).
    capacity: usize,
}

pub struct Pipe {
    state: Mutex<State>,
    readable: WaitQueue,
    writable: WaitQueue,
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
        state: Mutex::new(State { data: VecDeque::new(), readers: 1, writers: 1, capacity: CAPACITY }),
        readable: WaitQueue::new(),
        writable: WaitQueue::new(),
    });
    (PipeEnd { pipe: pipe.clone(), write: false }, PipeEnd { pipe, write: true })
}


impl Pipe {
    /// Reads what is there (at least one byte), 0 at EOF.
    pub fn read(&self, buf: &mut [u8], nonblock: bool) -> KResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self
            .readable
            .wait_interruptible(
                || {
                    let mut s = self.state.lock();
                    if !s.data.is_empty() {
                        let n = buf.len().min(s.data.len());
                        let (front, back) = s.data.as_slices();
                        let a = n.min(front.len());
                        buf[..a].copy_from_slice(&front[..a]);
                        buf[a..n].copy_from_slice(&back[..n - a]);
                        s.data.drain(..n);
                        return Some(Ok(n));
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
            self.writable.wake_all();
            super::files::readiness_changed();
        }
        Ok(n)
    }

    /// Writes all of `data` (blocking as needed); EPIPE if no reader.
    pub fn write(&self, data: &[u8], nonblock: bool) -> KResult<usize> {
        let mut done = 0;
        while done < data.len() {
            let atomic = data.len() - done <= PIPE_BUF;
            let r = self.writable.wait_interruptible(
                || {
                    let mut s = self.state.lock();
                    if s.readers == 0 {
                        return Some(Err(Errno::EPIPE));
                    }
                    let room = s.capacity.saturating_sub(s.data.len());
                    let want = data.len() - done;
                    if room == 0 || (atomic && room < want) {
                        return if nonblock { Some(Err(Errno::EAGAIN)) } else { None };
                    }
                    let n = room.min(want);
                    s.data.extend(&data[done..done + n]);
                    Some(Ok(n))
                },
                None,
            );
            match r {
                Ok(Ok(n)) => {
                    done += n;
                    self.readable.wake_all();
                    super::files::readiness_changed();
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

    /// (readable, writable, hung up) for poll.
    pub fn poll(&self, write_end: bool) -> (bool, bool, bool) {
        let s = self.state.lock();
        if write_end {
            (false, s.readers == 0 || s.data.len() < s.capacity, s.readers == 0)
        } else {
            // A drained pipe without writers is POLLHUP only (as Linux).
            (!s.data.is_empty(), false, s.writers == 0)
        }
    }

    /// F_GETPIPE_SZ.
    pub fn capacity(&self) -> usize {
        self.state.lock().capacity
    }

    /// F_SETPIPE_SZ: at least `size` (a power of two pages, up to 1 MiB as
    /// Linux's pipe-max-size); EBUSY if the data would not fit.
    pub fn set_capacity(&self, size: usize) -> KResult<usize> {
        if size > 1024 * 1024 {
            return Err(Errno::EPERM);
        }
        let size = size.max(4096).next_power_of_two();
        let mut s = self.state.lock();
        if s.data.len() > size {
            return Err(Errno::EBUSY);
        }
        s.capacity = size;
        drop(s);
        self.writable.wake_all();
        Ok(size)
    }

    /// Bytes waiting (FIONREAD).
    pub fn available(&self) -> usize {
        self.state.lock().data.len()
    }
}
