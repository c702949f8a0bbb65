//! eventfd(2): a 64-bit counter as a file ([`fdkinds::EventCounter`] holds
//! the rules). A read moves 8 bytes (`EINVAL` for a smaller buffer; a
//! larger one gets 8); a write takes exactly 8 (`EINVAL` otherwise); a read of 0 and a write that would pass the
//! ceiling block, or fail with `EAGAIN` when non-blocking. One pollee: a
//! read notifies writers (room), a write notifies readers.

use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;
use errno::{Errno, KResult};
use fdkinds::EventCounter;
use linux_abi::structs;
use spin::Mutex;

use super::{ev, FileLike, OpenFile, PollTable, Pollee, Sink, Source};

pub struct EventFd {
    counter: Mutex<EventCounter>,
    pollee: Pollee,
}

impl EventFd {
    pub fn new(initial: u32, semaphore: bool) -> Arc<EventFd> {
        Arc::new(EventFd { counter: Mutex::new(EventCounter::new(initial, semaphore)), pollee: Pollee::new() })
    }

    fn readiness(&self) -> u32 {
        let c = self.counter.lock();
        let mut r = 0;
        if c.readable() {
            r |= ev::IN | ev::RDNORM;
        }
        if c.writable() {
            r |= ev::OUT | ev::WRNORM;
        }
        r
    }
}

impl FileLike for EventFd {
    fn read(&self, file: &OpenFile, dst: &mut dyn Sink, _at: Option<u64>) -> KResult<usize> {
        if dst.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let take = || self.counter.lock().take();
        let value = match take() {
            Some(v) => v,
            None if file.nonblocking() => return Err(Errno::EAGAIN),
            None => self.pollee.wait(take, None).map_err(|e| e.errno())?,
        };
        self.pollee.notify(ev::OUT | ev::WRNORM);
        // A failed copy loses the value, as Linux's eventfd_read does.
        dst.put(0, &value.to_ne_bytes())?;
        Ok(8)
    }

    fn write(&self, file: &OpenFile, src: &mut dyn Source, _at: Option<u64>) -> KResult<usize> {
        if src.len() != 8 {
            return Err(Errno::EINVAL);
        }
        let mut bytes = [0u8; 8];
        src.get(0, &mut bytes)?;
        let value = u64::from_ne_bytes(bytes);
        let add = || match self.counter.lock().add(value) {
            Ok(true) => Some(Ok(())),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        };
        match add() {
            Some(r) => r?,
            None if file.nonblocking() => return Err(Errno::EAGAIN),
            None => self.pollee.wait(add, None).map_err(|e| e.errno())??,
        }
        // Even a write of 0 wakes readers (and makes an edge), as Linux's.
        self.pollee.notify(ev::IN | ev::RDNORM);
        Ok(8)
    }

    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(&self.pollee);
        }
        self.readiness() & (mask | ev::ALWAYS)
    }

    fn stat(&self) -> KResult<structs::Stat> {
        Ok(super::anon_stat(0o600, 0))
    }

    fn describe(&self) -> String {
        String::from("anon_inode:[eventfd]")
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        Ok((u64::MAX - 3, self as *const EventFd as u64))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
