//! An inotify instance's event queue, as Linux's `fs/notify/inotify`:
//! an event equal to the last one queued is dropped (coalesced); past
//! [`MAX_QUEUED`] events one `IN_Q_OVERFLOW` (wd -1) is queued and the
//! rest are lost; a record is `struct inotify_event` followed by the name
//! NUL-padded to a multiple of 16 bytes (`len` counts the padding); a read
//! takes whole records that fit, `EINVAL` if the first does not.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use errno::{Errno, KResult};

/// `fs.inotify.max_queued_events`' default.
pub const MAX_QUEUED: usize = 16384;
/// `IN_Q_OVERFLOW`.
pub const Q_OVERFLOW: u32 = 0x4000;
/// `sizeof(struct inotify_event)`.
pub const HEADER: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub wd: i32,
    pub mask: u32,
    pub cookie: u32,
    pub name: String,
}

impl Event {
    /// The padded name length (`len`): 0 without a name.
    pub fn name_len(&self) -> usize {
        if self.name.is_empty() {
            0
        } else {
            (self.name.len() + 1).div_ceil(HEADER) * HEADER
        }
    }

    /// Bytes of the record.
    pub fn size(&self) -> usize {
        HEADER + self.name_len()
    }

    /// The record's bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.wd.to_ne_bytes());
        out.extend_from_slice(&self.mask.to_ne_bytes());
        out.extend_from_slice(&self.cookie.to_ne_bytes());
        out.extend_from_slice(&(self.name_len() as u32).to_ne_bytes());
        let start = out.len();
        out.extend_from_slice(self.name.as_bytes());
        out.resize(start + self.name_len(), 0);
    }
}

#[derive(Default)]
pub struct Queue {
    events: VecDeque<Event>,
    bytes: usize,
}

impl Queue {
    pub const fn new() -> Queue {
        Queue { events: VecDeque::new(), bytes: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Bytes a read could take (FIONREAD).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Queues `e`; false if it was coalesced or lost.
    pub fn push(&mut self, e: Event) -> bool {
        if self.events.back() == Some(&e) {
            return false;
        }
        let e = if self.events.len() >= MAX_QUEUED {
            let overflow = Event { wd: -1, mask: Q_OVERFLOW, cookie: 0, name: String::new() };
            if self.events.back() == Some(&overflow) {
                return false;
            }
            overflow
        } else {
            e
        };
        self.bytes += e.size();
        self.events.push_back(e);
        true
    }

    /// Takes the records that fit in `room` bytes: `EINVAL` if the first
    /// does not, None if the queue is empty.
    pub fn take(&mut self, room: usize) -> KResult<Option<Vec<u8>>> {
        let Some(first) = self.events.front() else { return Ok(None) };
        if first.size() > room {
            return Err(Errno::EINVAL);
        }
        let mut out = Vec::new();
        while let Some(e) = self.events.front() {
            if out.len() + e.size() > room {
                break;
            }
            e.encode(&mut out);
            self.bytes -= e.size();
            self.events.pop_front();
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(wd: i32, mask: u32, name: &str) -> Event {
        Event { wd, mask, cookie: 0, name: String::from(name) }
    }

    #[test]
    fn records_pad_names_to_16() {
        assert_eq!(ev(1, 2, "").size(), 16);
        assert_eq!(ev(1, 2, "a").size(), 32);
        assert_eq!(ev(1, 2, "0123456789abcde").size(), 32);
        assert_eq!(ev(1, 2, "0123456789abcdef").size(), 48);
        let mut out = Vec::new();
        ev(3, 0x100, "f").encode(&mut out);
        assert_eq!(&out[..16], &[3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0]);
        assert_eq!(out[16], b'f');
        assert!(out[17..].iter().all(|&b| b == 0));
    }

    #[test]
    fn coalesces_and_reads_whole_records() {
        let mut q = Queue::new();
        assert!(q.push(ev(1, 2, "x")));
        assert!(!q.push(ev(1, 2, "x")));
        assert!(q.push(ev(1, 8, "x")));
        assert_eq!(q.bytes(), 64);
        assert_eq!(q.take(31), Err(Errno::EINVAL));
        assert_eq!(q.take(40).unwrap().unwrap().len(), 32);
        assert_eq!(q.take(4096).unwrap().unwrap().len(), 32);
        assert_eq!(q.take(4096), Ok(None));
    }

    #[test]
    fn overflows_once() {
        let mut q = Queue::new();
        for i in 0..MAX_QUEUED + 5 {
            q.push(ev(1, 2, if i % 2 == 0 { "a" } else { "b" }));
        }
        let mut n = 0;
        let mut last = None;
        while let Ok(Some(b)) = q.take(32) {
            n += 1;
            last = Some(b);
        }
        assert_eq!(n, MAX_QUEUED + 1);
        let last = last.unwrap();
        assert_eq!(i32::from_ne_bytes(last[0..4].try_into().unwrap()), -1);
        assert_eq!(u32::from_ne_bytes(last[4..8].try_into().unwrap()), Q_OVERFLOW);
    }
}
