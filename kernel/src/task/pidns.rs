//! PID namespaces: the host's (vpid == kernel pid) and one per container
//! (its first process is PID 1). A process can name only processes of its own
//! namespace: kill, wait4, setpgid and /proc all look up through it.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use errno::{Errno, KResult};
use spin::{Mutex, Once};

use super::Process;

/// Highest vpid handed out before wrapping (as Linux's default pid_max).
const PID_MAX: u32 = 32768;

pub struct PidNs {
    /// True for the host namespace: vpids are the kernel's pids.
    host: bool,
    next: AtomicU32,
    members: Mutex<BTreeMap<u32, Weak<Process>>>,
    /// Most processes allowed at once (pids.limit), 0 = unlimited.
    pub limit: AtomicU32,
}

static HOST: Once<Arc<PidNs>> = Once::new();

pub fn init() {
    HOST.call_once(|| Arc::new(PidNs::new(true)));
}

/// The host's namespace.
pub fn host() -> Arc<PidNs> {
    HOST.get().expect("task::init ran").clone()
}

impl PidNs {
    fn new(host: bool) -> PidNs {
        PidNs { host, next: AtomicU32::new(1), members: Mutex::new(BTreeMap::new()), limit: AtomicU32::new(0) }
    }

    /// A fresh namespace for a container.
    pub fn new_container() -> Arc<PidNs> {
        Arc::new(PidNs::new(false))
    }

    /// A vpid for a new process or thread whose kernel id is `pid`;
    /// EAGAIN past the namespace's limit.
    pub fn alloc(&self, pid: u32) -> KResult<u32> {
        let members = self.members.lock();
        let limit = self.limit.load(Ordering::Relaxed);
        if limit != 0 && members.len() as u32 >= limit {
            return Err(Errno::EAGAIN);
        }
        if self.host {
            return Ok(pid);
        }
        for _ in 0..PID_MAX {
            let v = self.next.fetch_add(1, Ordering::Relaxed);
            let v = if v >= PID_MAX {
                self.next.store(2, Ordering::Relaxed);
                1
            } else {
                v
            };
            if !members.contains_key(&v) {
                return Ok(v);
            }
        }
        Err(Errno::EAGAIN)
    }

    pub(super) fn insert(&self, vpid: u32, p: &Arc<Process>) {
        self.members.lock().insert(vpid, Arc::downgrade(p));
    }

    pub(super) fn remove(&self, vpid: u32) {
        self.members.lock().remove(&vpid);
    }

    /// The process with `vpid` here.
    pub fn get(&self, vpid: u32) -> Option<Arc<Process>> {
        self.members.lock().get(&vpid).and_then(Weak::upgrade)
    }

    /// Every process here, by vpid.
    pub fn processes(&self) -> Vec<Arc<Process>> {
        self.members.lock().values().filter_map(Weak::upgrade).collect()
    }

    /// The members (zombies included) of process group `pgid` here.
    pub fn group(&self, pgid: u32) -> Vec<Arc<Process>> {
        self.processes().into_iter().filter(|p| p.pgid.load(Ordering::Acquire) == pgid).collect()
    }

    /// Number of processes (and zombies) here.
    pub fn count(&self) -> usize {
        self.members.lock().len()
    }

    pub fn is_host(&self) -> bool {
        self.host
    }
}
