//! signalfd(2): the caller's pending signals of a mask, read as
//! `struct signalfd_siginfo` records. As Linux's, the file names no
//! process: a read dequeues from the reading thread (its own pending set,
//! then its process's), and poll looks at the polling thread's; both wait
//! on the process's `sig_pollee`, which every sent signal notifies.
//! SIGKILL and SIGSTOP are never in the mask.

use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;
use errno::{Errno, KResult};
use linux_abi::signal::SigSet;
use linux_abi::structs::{self, SignalfdSiginfo};
use spin::Mutex;

use super::{ev, FileLike, OpenFile, PollTable, Sink};
use crate::sched;
use crate::task::signal;

pub struct SignalFd {
    mask: Mutex<SigSet>,
}

impl SignalFd {
    pub fn new(mask: SigSet) -> Arc<SignalFd> {
        Arc::new(SignalFd { mask: Mutex::new(mask.blockable()) })
    }

    /// signalfd on an existing descriptor: a new mask.
    pub fn set_mask(&self, mask: SigSet) {
        *self.mask.lock() = mask.blockable();
    }

    fn mask(&self) -> SigSet {
        *self.mask.lock()
    }
}

impl FileLike for SignalFd {
    fn read(&self, file: &OpenFile, dst: &mut dyn Sink, _at: Option<u64>) -> KResult<usize> {
        const SIZE: usize = <SignalfdSiginfo as structs::Abi>::SIZE;
        let count = dst.len() / SIZE;
        if count == 0 {
            return Err(Errno::EINVAL);
        }
        let proc = sched::current().process.clone().ok_or(Errno::EINVAL)?;
        let mut done = 0;
        while done < count {
            let take = || signal::take_from_set(self.mask());
            let info = match take() {
                Some(i) => i,
                None if done > 0 || file.nonblocking() => break,
                None => match proc.sig_pollee.wait(take, None) {
                    Ok(i) => i,
                    Err(e) => return Err(e.errno()),
                },
            };
            dst.put(done * SIZE, &SignalfdSiginfo::from_siginfo(&info).to_bytes())?;
            done += 1;
        }
        if done == 0 {
            return Err(Errno::EAGAIN);
        }
        Ok(done * SIZE)
    }

    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        let t = sched::current();
        let Some(proc) = t.process.clone() else { return 0 };
        if let Some(table) = table {
            table.add(&proc.sig_pollee);
        }
        let pending = signal::pending_of(&t).intersection(self.mask());
        let ready = if pending.is_empty() { 0 } else { ev::IN | ev::RDNORM };
        ready & mask
    }

    fn stat(&self) -> KResult<structs::Stat> {
        Ok(super::anon_stat(0o600, 0))
    }

    fn describe(&self) -> String {
        String::from("anon_inode:[signalfd]")
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        Ok((u64::MAX - 3, self as *const SignalFd as u64))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
