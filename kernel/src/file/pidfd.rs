//! pidfd_open(2)'s file: a process by reference (not by number, so it
//! cannot name a recycled pid). Poll is readable once the process has
//! exited (a zombie or reaped; its `exit_pollee` is notified at the
//! change). pidfd_send_signal and waitid(P_PIDFD) find the process here.

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
}

impl FileLike for PidFd {
    fn poll(&self, mask: u32, table: Option<&mut PollTable>) -> u32 {
        if let Some(t) = table {
            t.add(&self.proc.exit_pollee);
        }
        let ready = if self.proc.exit_status().is_some() { ev::IN | ev::RDNORM } else { 0 };
        ready & mask
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
