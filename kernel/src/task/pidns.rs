//! PID namespaces: the host's (vpid == kernel pid) and one per container
//! (its first process is PID 1). A process can name only processes of its own
//! namespace: kill, wait4, setpgid and /proc all look up through it.
//! Each member (process or thread) is counted under the real uid it runs
//! as, for RLIMIT_NPROC (per container, where Linux counts per user).

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use errno::{Errno, KResult};
use spin::{Mutex, Once};

use super::Process;

/// Highest vpid handed out before wrapping (as Linux's default pid_max).
const PID_MAX: u32 = 32768;

/// A member: the process a vpid/vtid names, and the real uid it is counted under.
struct Member {
    proc: Weak<Process>,
    uid: u32,
}

#[derive(Default)]
struct Members {
    by_id: BTreeMap<u32, Member>,
    /// Members per real uid.
    per_uid: BTreeMap<u32, u32>,
}

impl Members {
    fn count(&mut self, uid: u32, add: bool) {
        let n = self.per_uid.entry(uid).or_insert(0);
        *n = if add { n.saturating_add(1) } else { n.saturating_sub(1) };
        if *n == 0 {
            self.per_uid.remove(&uid);
        }
    }
}

pub struct PidNs {
    /// True for the host namespace: vpids are the kernel's pids.
    host: bool,
    next: AtomicU32,
    members: Mutex<Members>,
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
        PidNs { host, next: AtomicU32::new(1), members: Mutex::new(Members::default()), limit: AtomicU32::new(0) }
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
        if limit != 0 && members.by_id.len() as u32 >= limit {
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
            if !members.by_id.contains_key(&v) {
                return Ok(v);
            }
        }
        Err(Errno::EAGAIN)
    }

    /// Records `vpid` (a process or thread) of `p`, counted under real uid `uid`.
    pub(super) fn insert(&self, vpid: u32, p: &Arc<Process>, uid: u32) {
        let mut m = self.members.lock();
        m.count(uid, true);
        if let Some(old) = m.by_id.insert(vpid, Member { proc: Arc::downgrade(p), uid }) {
            m.count(old.uid, false);
        }
    }

    pub(super) fn remove(&self, vpid: u32) {
        let mut m = self.members.lock();
        if let Some(old) = m.by_id.remove(&vpid) {
            m.count(old.uid, false);
        }
    }

    /// Counts member `vpid` under real uid `uid` from now on (setuid).
    pub(super) fn recharge(&self, vpid: u32, uid: u32) {
        let mut m = self.members.lock();
        let Some(old) = m.by_id.get_mut(&vpid).map(|e| core::mem::replace(&mut e.uid, uid)) else { return };
        m.count(old, false);
        m.count(uid, true);
    }

    /// Members (processes and threads, zombies included) running as real uid `uid`.
    pub fn user_count(&self, uid: u32) -> u32 {
        self.members.lock().per_uid.get(&uid).copied().unwrap_or(0)
    }

    /// The process with `vpid` here.
    pub fn get(&self, vpid: u32) -> Option<Arc<Process>> {
        self.members.lock().by_id.get(&vpid).and_then(|m| m.proc.upgrade())
    }

    /// Every process here, by vpid.
    pub fn processes(&self) -> Vec<Arc<Process>> {
        self.members.lock().by_id.values().filter_map(|m| m.proc.upgrade()).collect()
    }

    /// The members (zombies included) of process group `pgid` here.
    pub fn group(&self, pgid: u32) -> Vec<Arc<Process>> {
        self.processes().into_iter().filter(|p| p.pgid.load(Ordering::Acquire) == pgid).collect()
    }

    /// Number of processes (and zombies) here.
    pub fn count(&self) -> usize {
        self.members.lock().by_id.len()
    }

    pub fn is_host(&self) -> bool {
        self.host
    }
}
