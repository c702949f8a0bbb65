//! Message queues: msgsnd's size limits and msgrcv's type selection.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use errno::Errno;

use crate::perm::Perm;
use crate::registry::Object;

pub const MSGMAX: usize = 8192;
pub const MSGMNB: usize = 16384;
pub const MSGMNI: usize = 32000;
pub const MSGPOOL: usize = MSGMNI * MSGMNB / 1024;
pub const MSGTQL: usize = MSGMNB;
pub const MSGMAP: usize = MSGMNB;
pub const MSGSSZ: usize = 16;
pub const MSGSEG: usize = 0xffff;

/// msgrcv flags.
pub const MSG_NOERROR: i32 = 0o10000;
pub const MSG_EXCEPT: i32 = 0o20000;
pub const MSG_COPY: i32 = 0o40000;

/// msgctl commands.
pub const MSG_STAT: i32 = 11;
pub const MSG_INFO: i32 = 12;
pub const MSG_STAT_ANY: i32 = 13;

pub struct Message {
    pub mtype: i64,
    pub text: Vec<u8>,
}

pub struct Queue {
    pub perm: Perm,
    pub messages: VecDeque<Message>,
    /// Bytes of text queued, and the most allowed.
    pub cbytes: usize,
    pub qbytes: usize,
    pub stime: i64,
    pub rtime: i64,
    pub ctime: i64,
    pub lspid: u32,
    pub lrpid: u32,
}

impl Object for Queue {
    fn perm(&self) -> &Perm {
        &self.perm
    }
    fn perm_mut(&mut self) -> &mut Perm {
        &mut self.perm
    }
}

/// msgsnd's checks before the queue is looked up: EINVAL for a size past
/// MSGMAX or a type below 1.
pub fn check_send(size: usize, mtype: i64) -> Result<(), Errno> {
    if size > MSGMAX || (size as i64) < 0 || mtype < 1 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// How msgrcv chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Select {
    Any,
    Equal(i64),
    NotEqual(i64),
    LessOrEqual(i64),
}

fn select(msgtyp: i64, flags: i32) -> Select {
    if msgtyp == 0 {
        Select::Any
    } else if msgtyp < 0 {
        Select::LessOrEqual(msgtyp.checked_neg().unwrap_or(i64::MAX))
    } else if flags & MSG_EXCEPT != 0 {
        Select::NotEqual(msgtyp)
    } else {
        Select::Equal(msgtyp)
    }
}

impl Queue {
    pub fn new(perm: Perm, now: i64) -> Queue {
        Queue {
            perm,
            messages: VecDeque::new(),
            cbytes: 0,
            qbytes: MSGMNB,
            stime: 0,
            rtime: 0,
            ctime: now,
            lspid: 0,
            lrpid: 0,
        }
    }

    /// Queues a message if it fits (`msg_fits_inqueue`): false means the
    /// sender must wait (or EAGAIN with IPC_NOWAIT).
    pub fn send(&mut self, mtype: i64, text: &[u8], pid: u32, now: i64) -> bool {
        let fits = text.len() + self.cbytes <= self.qbytes && 1 + self.messages.len() <= self.qbytes;
        if fits {
            self.messages.push_back(Message { mtype, text: text.to_vec() });
            self.cbytes += text.len();
            self.lspid = pid;
            self.stime = now;
        }
        fits
    }

    /// Takes the message msgrcv(msgtyp, flags) selects, of at most
    /// `bufsz` bytes (cut with MSG_NOERROR, else E2BIG and it stays).
    /// `Ok(None)`: none matches (ENOMSG with IPC_NOWAIT, else wait).
    pub fn receive(&mut self, bufsz: usize, msgtyp: i64, flags: i32, pid: u32, now: i64) -> Result<Option<Message>, Errno> {
        let sel = select(msgtyp, flags);
        let index = match sel {
            Select::Any => (!self.messages.is_empty()).then_some(0),
            Select::Equal(t) => self.messages.iter().position(|m| m.mtype == t),
            Select::NotEqual(t) => self.messages.iter().position(|m| m.mtype != t),
            Select::LessOrEqual(t) => {
                let mut best: Option<(usize, i64)> = None;
                for (i, m) in self.messages.iter().enumerate() {
                    if m.mtype <= t && best.is_none_or(|(_, b)| m.mtype < b) {
                        best = Some((i, m.mtype));
                    }
                }
                best.map(|(i, _)| i)
            }
        };
        let Some(i) = index else { return Ok(None) };
        let len = self.messages.get(i).map_or(0, |m| m.text.len());
        if len > bufsz && flags & MSG_NOERROR == 0 {
            return Err(Errno::E2BIG);
        }
        let Some(mut m) = self.messages.remove(i) else { return Ok(None) };
        self.cbytes -= m.text.len();
        m.text.truncate(bufsz);
        self.lrpid = pid;
        self.rtime = now;
        Ok(Some(m))
    }

    /// The message at position `index` (MSG_COPY), copied.
    pub fn peek(&self, index: usize, bufsz: usize, flags: i32) -> Result<Option<Message>, Errno> {
        let Some(m) = self.messages.get(index) else { return Ok(None) };
        if m.text.len() > bufsz && flags & MSG_NOERROR == 0 {
            return Err(Errno::E2BIG);
        }
        Ok(Some(Message { mtype: m.mtype, text: m.text[..m.text.len().min(bufsz)].to_vec() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn q() -> Queue {
        Queue::new(Perm::new(0, &creds::Cred::new(0, 0, Vec::new()), 0o600, 0), 1)
    }

    #[test]
    fn selection() {
        let mut q = q();
        for (t, text) in [(5, "five"), (2, "two"), (7, "seven"), (2, "two again")] {
            assert!(q.send(t, text.as_bytes(), 9, 3));
        }
        assert_eq!((q.cbytes, q.lspid, q.stime), (21, 9, 3));
        let r = q.receive(100, 2, 0, 4, 5).unwrap().unwrap();
        assert_eq!((r.mtype, r.text.as_slice()), (2, &b"two"[..]));
        let r = q.receive(100, 5, MSG_EXCEPT, 4, 5).unwrap().unwrap();
        assert_eq!(r.mtype, 7);
        let r = q.receive(100, -6, 0, 4, 5).unwrap().unwrap();
        assert_eq!(r.mtype, 2);
        assert_eq!(q.receive(100, 3, 0, 4, 5).unwrap().map(|m| m.mtype), None);
        assert_eq!(q.receive(2, 0, 0, 4, 5).err(), Some(Errno::E2BIG));
        assert_eq!(q.peek(0, 100, 0).unwrap().map(|m| m.mtype), Some(5));
        let r = q.receive(2, 0, MSG_NOERROR, 4, 5).unwrap().unwrap();
        assert_eq!(r.text.as_slice(), b"fi");
        assert_eq!((q.cbytes, q.messages.len(), q.lrpid), (0, 0, 4));
        assert_eq!(q.receive(100, i64::MIN, 0, 4, 5).unwrap().map(|m| m.mtype), None);
    }

    #[test]
    fn limits() {
        let mut q = q();
        q.qbytes = 10;
        assert!(q.send(1, &[0; 8], 1, 1));
        assert!(!q.send(1, &[0; 3], 1, 1));
        assert!(q.send(1, &[0; 2], 1, 1));
        assert!(check_send(8193, 1).is_err());
        assert!(check_send(10, 0).is_err());
        assert!(check_send(8192, 1).is_ok());
        // The number of messages is bounded by qbytes too.
        let mut q2 = self::q();
        q2.qbytes = 2;
        assert!(q2.send(1, &[], 1, 1) && q2.send(1, &[], 1, 1));
        assert!(!q2.send(1, &[], 1, 1));
    }
}
