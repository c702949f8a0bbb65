//! In-kernel transports that never touch the card: a bidirectional byte
//! stream ([`StreamEnd`] pairs: AF_UNIX stream sockets and TCP over
//! loopback), a datagram queue ([`DgramQueue`]: AF_UNIX datagram sockets and
//! UDP over loopback) and a listener's queue of pending connections
//! ([`Backlog`]).
//!
//! Every operation is non-blocking (`EAGAIN` means "not now"). Readiness:
//! each queue knows the pollees of the sockets it serves and notifies only
//! them: a stream end its own socket's and its peer's ([`StreamEnd::attach`]),
//! a datagram queue its receiver's (and its `room` pollee, which blocked
//! senders wait on), a backlog its listener's (and its `room`). Dropping an
//! end closes its directions: the peer reads end-of-file and its writes
//! fail with `EPIPE`.
//! Invariants: each lock is held only for one queue operation, never while
//! notifying or sleeping.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::structs::SocketAddress;
use spin::Mutex;

use super::Readiness;
use crate::file::{ev, Pollee};

/// Bytes a stream direction holds (Linux's AF_UNIX default is ~208 KiB).
pub const STREAM_CAPACITY: usize = 128 * 1024;
/// Bytes of datagrams a queue holds, and the largest datagram.
pub const DGRAM_CAPACITY: usize = 256 * 1024;
pub const DGRAM_MAX: usize = 64 * 1024;
/// Datagrams a queue holds.
const DGRAM_COUNT: usize = 128;

const IN: u32 = ev::IN | ev::RDNORM;
const OUT: u32 = ev::OUT | ev::WRNORM;

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
    /// The pollee of the socket at each side.
    owners: [Mutex<Option<Pollee>>; 2],
}

impl Channel {
    fn notify(&self, side: usize, events: u32) {
        let owner = self.owners[side].lock().clone();
        if let Some(p) = owner {
            p.notify(events);
        }
    }
}

/// One end of a byte stream.
pub struct StreamEnd {
    chan: Arc<Channel>,
    side: usize,
}

/// A connected pair of ends.
pub fn stream_pair() -> (StreamEnd, StreamEnd) {
    let chan = Arc::new(Channel {
        dirs: [Mutex::new(Direction::default()), Mutex::new(Direction::default())],
        owners: [Mutex::new(None), Mutex::new(None)],
    });
    (StreamEnd { chan: chan.clone(), side: 0 }, StreamEnd { chan, side: 1 })
}

impl StreamEnd {
    /// The socket holding this end: its pollee hears of this end's changes.
    pub fn attach(&self, pollee: &Pollee) {
        *self.chan.owners[self.side].lock() = Some(pollee.clone());
        // Whatever arrived before (a connection in a backlog) is news to it.
        pollee.notify(0);
    }

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
            self.chan.notify(1 - self.side, OUT);
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
        self.chan.notify(1 - self.side, IN);
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
        self.chan.notify(1 - self.side, 0);
        self.chan.notify(self.side, 0);
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
    /// The receiving socket's pollee.
    owner: Pollee,
    /// Notified when room appears (or the queue closes): senders wait here.
    room: Pollee,
}

impl DgramQueue {
    /// The queue of the socket whose pollee is `owner`.
    pub fn new(owner: &Pollee) -> Arc<DgramQueue> {
        Arc::new(DgramQueue {
            q: Mutex::new(Queue { items: VecDeque::new(), bytes: 0, closed: false }),
            owner: owner.clone(),
            room: Pollee::new(),
        })
    }

    /// What senders blocked on a full queue wait on (and poll for OUT).
    pub fn room(&self) -> &Pollee {
        &self.room
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
        self.owner.notify(IN);
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
        let mut dropped = false;
        loop {
            let Some((data, from)) = q.items.front() else {
                // Shut for reading: end of file, as Linux's recv returns 0.
                return if q.closed { Ok((0, 0, SocketAddress::Unspec)) } else { Err(Errno::EAGAIN) };
            };
            if !keep(from) {
                let len = data.len();
                q.items.pop_front();
                q.bytes -= len;
                dropped = true;
                continue;
            }
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            let result = (n, data.len(), from.clone());
            if !peek {
                q.bytes -= data.len();
                q.items.pop_front();
                drop(q);
                self.room.notify(OUT);
            } else if dropped {
                drop(q);
                self.room.notify(OUT);
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

    /// The receiver is gone (or shut for reading): senders get
    /// `ECONNREFUSED`, queued data is dropped.
    pub fn close(&self) {
        {
            let mut q = self.q.lock();
            q.closed = true;
            q.items.clear();
            q.bytes = 0;
        }
        self.room.notify(ev::OUT | ev::ERR);
        self.owner.notify(IN);
    }

    pub fn is_closed(&self) -> bool {
        self.q.lock().closed
    }
}

/// A listener's connections not yet accepted.
pub struct Backlog<T> {
    q: Mutex<(VecDeque<T>, usize, bool)>,
    /// The listening socket's pollee.
    owner: Pollee,
    /// Notified when room appears: connectors blocked on a full backlog.
    room: Pollee,
}

impl<T> Backlog<T> {
    pub fn new(max: usize, owner: &Pollee) -> Arc<Backlog<T>> {
        Arc::new(Backlog { q: Mutex::new((VecDeque::new(), max.max(1), false)), owner: owner.clone(), room: Pollee::new() })
    }

    /// What connectors wait on for room.
    pub fn room_pollee(&self) -> &Pollee {
        &self.room
    }

    /// Raises the limit (listen again).
    pub fn set_max(&self, max: usize) {
        self.q.lock().1 = max.max(1);
        self.room.notify(OUT);
    }

    /// Accepts connections again, up to `max` pending (a bound AF_UNIX
    /// socket's backlog is closed until listen()).
    pub fn reopen(&self, max: usize) {
        {
            let mut q = self.q.lock();
            q.1 = max.max(1);
            q.2 = false;
        }
        self.room.notify(OUT);
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
        self.owner.notify(IN);
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
            self.room.notify(OUT);
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
        self.room.notify(ev::ERR);
        self.owner.notify(0);
    }
}
