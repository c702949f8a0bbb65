//! pidfd_open(2)'s file: a process by reference (not by number, so it
//! cannot name a recycled pid). Poll is readable once the process has
//! exited (a zombie; its `exit_pollee` is notified at the change), and
//! also hung up once it was reaped. pidfd_send_signal and waitid(P_PIDFD) find the process here.

use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;
use errno::KResult;
use linux_abi::structs;

use super::{ev, FileLike, PollTable};
use crate::task::Process;

pub struct PidFd {
    proc: Arc<Process>,
}

impl PidFd {
    pub fn new(proc: Arc<Process>) -> Arc<PidFd> {
        Arc::new(PidFd { proc })
    }

    pub fn process(&self) -> &Arc<Process> {
        &self.proc
    }

    /// True once the process was reaped (its number is free again).
    pub fn reaped(&self) -> bool {
        !self.proc.ns.get(self.proc.vpid).is_some_and(|q| Arc::ptr_eq(&q, &self.proc))
    }
}

impl FileLike for PidFd {
    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(&self.proc.exit_pollee);
        }
        let ready = match self.proc.exit_status() {
            None => 0,
            // Reaped: the process is gone, not just exited.
            Some(_) if self.reaped() => ev::IN | ev::RDNORM | ev::HUP,
            Some(_) => ev::IN | ev::RDNORM,
        };
        ready & (mask | ev::ALWAYS)
    }

    fn stat(&self) -> KResult<structs::Stat> {
        Ok(super::anon_stat(0o600, 0))
    }

    fn describe(&self) -> String {
        String::from("anon_inode:[pidfd]")
    }

    fn lock_key(&self) -> KResult<(u64, u64)> {
        Ok((u64::MAX - 3, self as *const PidFd as u64))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
