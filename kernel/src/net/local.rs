//! In-kernel transports that never touch the card: a bidirectional byte
//! stream ([`StreamEnd`] pairs: AF_UNIX stream sockets and TCP over
//! loopback), a datagram queue ([`DgramQueue`]: AF_UNIX datagram sockets and
//! UDP over loopback) and a listener's queue of pending connections
//! ([`Backlog`]).
//!
//! Every operation is non-blocking (`EAGAIN` means "not now"); whoever
//! changes a queue calls [`changed`], which wakes [`super::ACTIVITY`] and
//! poll/select/epoll, so the socket layer's blocking waits cover these and
//! the network stack alike. Dropping an end closes its directions: the peer
//! reads end-of-file and its writes fail with `EPIPE`.
//! Invariants: each lock is held only for one queue operation, never while
//! waking or sleeping.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::structs::SocketAddress;
use spin::Mutex;

use super::Readiness;

/// Bytes a stream direction holds (Linux's AF_UNIX default is ~208 KiB).
pub const STREAM_CAPACITY: usize = 128 * 1024;
/// Bytes of datagrams a queue holds, and the largest datagram.
pub const DGRAM_CAPACITY: usize = 256 * 1024;
pub const DGRAM_MAX: usize = 64 * 1024;
/// Datagrams a queue holds.
const DGRAM_COUNT: usize = 128;

/// Something changed: wake every socket waiter and poll/select/epoll.
pub fn changed() {
    super::bump_generation();
    super::ACTIVITY.wake_all();
    crate::task::files::readiness_changed();
}

#[derive(Default)]
struct Direction {
    data: VecDeque<u8>,
    /// The reading side is gone (closed or `shutdown(SHUT_RD)`).
    reader_gone: bool,
    /// The writing side is gone (closed or `shutdown(SHUT_WR)`): EOF after the data.
    writer_gone: bool,
}

/// Two directions; side `s` reads `dirs[s]` and writes `dirs[1 - s]`.
struct Channel {
    dirs: [Mutex<Direction>; 2],
}

/// One end of a byte stream.
pub struct StreamEnd {
    chan: Arc<Channel>,
    side: usize,
}

/// A connected pair of ends.
pub fn stream_pair() -> (StreamEnd, StreamEnd) {
    let chan = Arc::new(Channel { dirs: [Mutex::new(Direction::default()), Mutex::new(Direction::default())] });
    (StreamEnd { chan: chan.clone(), side: 0 }, StreamEnd { chan, side: 1 })
}

impl StreamEnd {
    fn inbound(&self) -> &Mutex<Direction> {
        &self.chan.dirs[self.side]
    }

    fn outbound(&self) -> &Mutex<Direction> {
        &self.chan.dirs[1 - self.side]
    }

    /// Bytes read (at least one), `Ok(0)` at end of stream, or `EAGAIN`.
    pub fn read(&self, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        let n = {
            let mut d = self.inbound().lock();
            if d.data.is_empty() || buf.is_empty() {
                return if d.writer_gone || d.reader_gone || buf.is_empty() { Ok(0) } else { Err(Errno::EAGAIN) };
            }
            let n = buf.len().min(d.data.len());
            for (dst, src) in buf.iter_mut().zip(d.data.iter()) {
                *dst = *src;
            }
            if !peek {
                d.data.drain(..n);
            }
            n
        };
        if !peek {
            changed();
        }
        Ok(n)
    }

    /// Bytes queued (at least one), `EAGAIN` when full, `EPIPE` when
    /// either side closed this direction.
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        let n = {
            let mut d = self.outbound().lock();
            if d.reader_gone || d.writer_gone {
                return Err(Errno::EPIPE);
            }
            if data.is_empty() {
                return Ok(0);
            }
            let room = STREAM_CAPACITY - d.data.len();
            if room == 0 {
                return Err(Errno::EAGAIN);
            }
            let n = room.min(data.len());
            d.data.extend(&data[..n]);
            n
        };
        changed();
        Ok(n)
    }

    /// `shutdown`: stop reading (pending data is dropped) and/or writing.
    pub fn shutdown(&self, read: bool, write: bool) {
        if read {
            let mut d = self.inbound().lock();
            d.reader_gone = true;
            d.data.clear();
        }
        if write {
            self.outbound().lock().writer_gone = true;
        }
        changed();
    }

    /// Bytes waiting (FIONREAD).
    pub fn available(&self) -> usize {
        self.inbound().lock().data.len()
    }

    pub fn readiness(&self) -> Readiness {
        let (readable, eof) = {
            let d = self.inbound().lock();
            (!d.data.is_empty() || d.writer_gone || d.reader_gone, d.writer_gone)
        };
        let (writable, broken) = {
            let d = self.outbound().lock();
            (d.data.len() < STREAM_CAPACITY, d.reader_gone)
        };
        Readiness { readable, writable: writable || broken, hangup: eof && broken, error: false }
    }

    /// The peer shut its writing half (POLLRDHUP).
    pub fn peer_done(&self) -> bool {
        self.inbound().lock().writer_gone
    }
}

impl Drop for StreamEnd {
    fn drop(&mut self) {
        self.shutdown(true, true);
    }
}

struct Queue {
    items: VecDeque<(Vec<u8>, SocketAddress)>,
    bytes: usize,
    closed: bool,
}

/// A socket's incoming datagrams with their senders.
pub struct DgramQueue {
    q: Mutex<Queue>,
}

impl DgramQueue {
    pub fn new() -> Arc<DgramQueue> {
        Arc::new(DgramQueue { q: Mutex::new(Queue { items: VecDeque::new(), bytes: 0, closed: false }) })
    }

    /// Queues a datagram: `EMSGSIZE` if too big, `EAGAIN` when full,
    /// `ECONNREFUSED` once the receiver closed.
    pub fn push(&self, data: &[u8], from: SocketAddress) -> Result<usize, Errno> {
        if data.len() > DGRAM_MAX {
            return Err(Errno::EMSGSIZE);
        }
        {
            let mut q = self.q.lock();
            if q.closed {
                return Err(Errno::ECONNREFUSED);
            }
            if q.items.len() >= DGRAM_COUNT || q.bytes + data.len() > DGRAM_CAPACITY {
                return Err(Errno::EAGAIN);
            }
            q.bytes += data.len();
            q.items.push_back((data.to_vec(), from));
        }
        changed();
        Ok(data.len())
    }

    /// The next datagram accepted by `keep` (others are dropped), copied
    /// into `buf`: (bytes copied, full length, sender); `EAGAIN` if none.
    pub fn pop(
        &self,
        buf: &mut [u8],
        peek: bool,
        keep: impl Fn(&SocketAddress) -> bool,
    ) -> Result<(usize, usize, SocketAddress), Errno> {
        let mut q = self.q.lock();
        loop {
            let Some((data, from)) = q.items.front() else {
                // Shut for reading: end of file, as Linux's recv returns 0.
                return if q.closed { Ok((0, 0, SocketAddress::Unspec)) } else { Err(Errno::EAGAIN) };
            };
            if !keep(from) {
                let len = data.len();
                q.items.pop_front();
                q.bytes -= len;
                continue;
            }
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            let result = (n, data.len(), from.clone());
            if !peek {
                q.bytes -= data.len();
                q.items.pop_front();
                drop(q);
                changed();
            }
            return Ok(result);
        }
    }

    pub fn readable(&self) -> bool {
        !self.q.lock().items.is_empty()
    }

    /// Room for another datagram of `len` bytes.
    pub fn has_room(&self) -> bool {
        let q = self.q.lock();
        q.closed || (q.items.len() < DGRAM_COUNT && q.bytes < DGRAM_CAPACITY)
    }

    /// Size of the next datagram (FIONREAD).
    pub fn next_len(&self) -> usize {
        self.q.lock().items.front().map_or(0, |(d, _)| d.len())
    }

    /// The receiver is gone: senders get `ECONNREFUSED`, queued data is dropped.
    pub fn close(&self) {
        let mut q = self.q.lock();
        q.closed = true;
        q.items.clear();
        q.bytes = 0;
    }

    pub fn is_closed(&self) -> bool {
        self.q.lock().closed
    }
}

/// A listener's connections not yet accepted.
pub struct Backlog<T> {
    q: Mutex<(VecDeque<T>, usize, bool)>,
}

impl<T> Backlog<T> {
    pub fn new(max: usize) -> Arc<Backlog<T>> {
        Arc::new(Backlog { q: Mutex::new((VecDeque::new(), max.max(1), false)) })
    }

    /// Raises the limit (listen again).
    pub fn set_max(&self, max: usize) {
        self.q.lock().1 = max.max(1);
    }

    /// Accepts connections again, up to `max` pending (a bound AF_UNIX
    /// socket's backlog is closed until listen()).
    pub fn reopen(&self, max: usize) {
        let mut q = self.q.lock();
        q.1 = max.max(1);
        q.2 = false;
    }

    /// `EAGAIN` when full, `ECONNREFUSED` once the listener closed.
    pub fn push(&self, item: T) -> Result<(), Errno> {
        {
            let mut q = self.q.lock();
            if q.2 {
                return Err(Errno::ECONNREFUSED);
            }
            if q.0.len() >= q.1 {
                return Err(Errno::EAGAIN);
            }
            q.0.push_back(item);
        }
        changed();
        Ok(())
    }

    /// `Ok` if a push would succeed now, else its error.
    pub fn room(&self) -> Result<(), Errno> {
        let q = self.q.lock();
        if q.2 {
            Err(Errno::ECONNREFUSED)
        } else if q.0.len() >= q.1 {
            Err(Errno::EAGAIN)
        } else {
            Ok(())
        }
    }

    pub fn pop(&self) -> Option<T> {
        let item = self.q.lock().0.pop_front();
        if item.is_some() {
            changed();
        }
        item
    }

    pub fn is_empty(&self) -> bool {
        self.q.lock().0.is_empty()
    }

    /// The listener is gone: pending connections are dropped (their peers see EOF).
    pub fn close(&self) {
        let pending: VecDeque<T> = {
            let mut q = self.q.lock();
            q.2 = true;
            core::mem::take(&mut q.0)
        };
        drop(pending);
        changed();
    }
}
