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
//! Readiness: each end has its own pollee (Linux's `rd_wait`/`wr_wait`):
//! a write notifies the read end (every write, as Linux does since 5.14, so
//! edge-triggered readers see each one), a read from a full pipe notifies
//! the write end (other reads only wake writers blocked in the pipe),
//! closing an end notifies the other. A [`PipeEnd`] is the open file's
//! object (`file::FileLike`).
//! May call: `sched` (wait queues), `file` (pollees), `task::signal`.

use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;
use errno::{Errno, KResult};
use linux_abi::flags::FIONREAD;
use linux_abi::{structs, IoctlArg};
use pipebuf::PipeBuf;
use spin::Mutex;

use crate::file::{self, ev, FileLike, OpenFile, PollTable, Pollee};
use crate::sched::wait::Interrupted;

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
    /// The read end's: data arrived, or the last writer left.
    readable: Pollee,
    /// The write end's: room appeared, or the last reader left.
    writable: Pollee,
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
        if self.write {
            self.pipe.readable.notify(ev::HUP);
        } else {
            self.pipe.writable.notify(ev::ERR);
        }
    }
}

/// A new pipe: (read end, write end).
pub fn new() -> (PipeEnd, PipeEnd) {
    let pipe = Arc::new(Pipe {
        _live: crate::live::Live::new(crate::live::Kind::Pipe),
        state: Mutex::new(State { data: PipeBuf::new(CAPACITY), readers: 1, writers: 1 }),
        readable: Pollee::new(),
        writable: Pollee::new(),
    });
    (PipeEnd { pipe: pipe.clone(), write: false }, PipeEnd { pipe, write: true })
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
        let mut was_full = false;
        let n = self
            .readable
            .wait(
                || {
                    let mut s = self.state.lock();
                    if !s.data.is_empty() {
                        was_full = s.data.room() == 0;
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
        if n > 0 && was_full {
            // Room appeared: an event for the write end (Linux wakes its
            // pollers only when the pipe was full).
            self.writable.notify(ev::OUT | ev::WRNORM);
        } else if n > 0 {
            // A writer may still wait for room for an atomic write.
            self.writable.wake_waiters();
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

    /// True once every read end is closed.
    pub fn no_readers(&self) -> bool {
        self.state.lock().readers == 0
    }

    /// Writes `len` bytes taken from `source` (blocking as needed); EPIPE
    /// (and SIGPIPE) if no reader. Interrupted, non-blocking or faulting
    /// writes return the bytes written so far, if any.
    pub fn write_from(&self, len: usize, nonblock: bool, source: Source) -> KResult<usize> {
        let mut done = 0;
        while done < len {
            let atomic = len - done <= PIPE_BUF;
            let r = self.writable.wait(
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
                    self.readable.notify(ev::IN | ev::RDNORM);
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
            .wait(
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
            .wait(
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

    /// The readiness bits of one end (Linux's `pipe_poll`): the read end
    /// is IN with data, HUP without writers; the write end is OUT with
    /// room, ERR without readers.
    pub fn poll(&self, write_end: bool) -> u32 {
        let s = self.state.lock();
        let mut bits = 0;
        if write_end {
            if s.data.room() > 0 {
                bits |= ev::OUT | ev::WRNORM;
            }
            if s.readers == 0 {
                bits |= ev::ERR;
            }
        } else {
            if !s.data.is_empty() {
                bits |= ev::IN | ev::RDNORM;
            }
            if s.writers == 0 {
                bits |= ev::HUP;
            }
        }
        bits
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
        self.writable.notify(ev::OUT | ev::WRNORM);
        Ok(size)
    }

    /// Bytes waiting (FIONREAD).
    pub fn available(&self) -> usize {
        self.state.lock().data.len()
    }
}

/// A pipe as `fstat` sees it: a FIFO on the pipe filesystem.
fn pipe_stat(pipe: &Arc<Pipe>) -> structs::Stat {
    structs::Stat {
        st_dev: 0xc,
        st_ino: crate::file::object_number(Arc::as_ptr(pipe)),
        st_nlink: 1,
        st_mode: structs::S_IFIFO | 0o600,
        st_blksize: 4096,
        ..structs::Stat::default()
    }
}

impl FileLike for PipeEnd {
    fn read(&self, file: &OpenFile, dst: &mut dyn file::Sink, _at: Option<u64>) -> KResult<usize> {
        if self.write {
            return Err(Errno::EBADF);
        }
        // Straight from the ring into the destination (user memory).
        self.pipe.read_to(dst.len(), file.nonblocking(), &mut |off, piece| dst.put(off, piece))
    }

    fn write(&self, file: &OpenFile, src: &mut dyn file::Source, _at: Option<u64>) -> KResult<usize> {
        if !self.write {
            return Err(Errno::EBADF);
        }
        self.pipe.write_from(src.len(), file.nonblocking(), &mut |off, piece| src.get(off, piece))
    }

    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(if self.write { &self.pipe.writable } else { &self.pipe.readable });
        }
        self.pipe.poll(self.write) & (mask | ev::ALWAYS)
    }

    fn ioctl(&self, _file: &OpenFile, t: &mut super::Task, cmd: u32, arg: IoctlArg) -> KResult<usize> {
        match cmd {
            FIONREAD => {
                let n = u32::try_from(self.pipe.available()).unwrap_or(u32::MAX);
                t.space.write(arg.ptr::<u32>(), &n)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn stat(&self) -> KResult<structs::Stat> {
        Ok(pipe_stat(&self.pipe))
    }

    fn fs_magic(&self) -> i64 {
        structs::PIPEFS_MAGIC
    }

    fn describe(&self) -> String {
        alloc::format!("pipe:[{}]", crate::file::object_number(Arc::as_ptr(&self.pipe)))
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        Ok((u64::MAX, Arc::as_ptr(&self.pipe) as u64))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Both ends as open files: (read end, write end) with `status` flags.
pub fn open_files(status: u32) -> (Arc<OpenFile>, Arc<OpenFile>) {
    let (r, w) = new();
    let wronly = linux_abi::flags::OpenFlags::O_WRONLY.bits();
    (OpenFile::new(Arc::new(r), true, false, status), OpenFile::new(Arc::new(w), false, true, status | wronly))
}
