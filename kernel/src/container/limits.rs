//! A container's resource limits (`linux.resources` of config.json, and
//! `oci-runtime update`): CPU bandwidth and weight through a scheduler
//! group, memory through a [`MemLimit`] its address spaces charge, process
//! count through its PID namespace. No cgroupfs: the kernel object holds them.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::Ordering;
use oci::runtime::Resources;

use crate::mm::user::MemLimit;
use crate::sched;
use crate::task::PidNs;

pub struct Limits {
    pub cpu_group: u32,
    pub mem: Arc<MemLimit>,
}

/// Changes to apply; None leaves a value as it is.
#[derive(Clone, Debug, Default)]
pub struct Update {
    pub cpu_quota: Option<i64>,
    pub cpu_period: Option<u64>,
    pub cpu_shares: Option<u64>,
    pub memory: Option<i64>,
    pub pids: Option<i64>,
}

impl Update {
    pub fn from_resources(r: &Resources) -> Update {
        Update {
            cpu_quota: r.cpu.as_ref().and_then(|c| c.quota),
            cpu_period: r.cpu.as_ref().and_then(|c| c.period),
            cpu_shares: r.cpu.as_ref().and_then(|c| c.shares),
            memory: r.memory.as_ref().and_then(|m| m.limit),
            pids: r.pids.as_ref().and_then(|p| p.limit),
        }
    }
}

/// Usage figures (`events --stats`, `top`).
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// CPU time used, in nanoseconds.
    pub cpu_ns: u64,
    /// quota/period in microseconds (quota 0 = none), shares.
    pub cpu_quota_us: u64,
    pub cpu_period_us: u64,
    pub cpu_shares: u64,
    pub mem_bytes: u64,
    /// 0 = unlimited.
    pub mem_limit: u64,
    pub mem_failcnt: u64,
    pub pids: u64,
    /// 0 = unlimited.
    pub pids_limit: u64,
}

impl Stats {
    /// runc's `events --stats` JSON (the fields we have).
    pub fn to_json(&self, id: &str) -> String {
        format!(
            "{{\"type\":\"stats\",\"id\":\"{id}\",\"data\":{{\"cpu\":{{\"usage\":{{\"total\":{}}},\"quota\":{},\"period\":{},\"shares\":{}}},\
             \"memory\":{{\"usage\":{{\"usage\":{},\"limit\":{},\"failcnt\":{}}}}},\"pids\":{{\"current\":{},\"limit\":{}}}}}}}",
            self.cpu_ns,
            self.cpu_quota_us,
            self.cpu_period_us,
            self.cpu_shares,
            self.mem_bytes,
            self.mem_limit,
            self.mem_failcnt,
            self.pids,
            self.pids_limit
        )
    }
}

const US_PER_TICK: u64 = 1_000_000 / crate::time::HZ as u64;

impl Limits {
    pub fn new(_ns: &Arc<PidNs>) -> Limits {
        Limits { cpu_group: sched::new_group(), mem: MemLimit::new() }
    }

    /// Applies `u`; errors name the bad value, as runc's do.
    pub fn apply(&mut self, u: &Update, ns: &Arc<PidNs>) -> Result<(), String> {
        if let Some(q) = u.cpu_quota {
            if q != -1 && q < 1000 && q != 0 {
                return Err(format!("cpu quota {q} is below the minimum of 1000 microseconds"));
            }
        }
        if let Some(p) = u.cpu_period {
            if !(1000..=1_000_000).contains(&p) {
                return Err(format!("cpu period {p} must be between 1000 and 1000000 microseconds"));
            }
        }
        if let Some(m) = u.memory {
            if m != -1 && (0..4 * 1024 * 1024).contains(&m) && m != 0 {
                return Err(format!("memory limit {m} is below the minimum of 4 MiB"));
            }
        }
        let quota = u.cpu_quota.map(|q| if q <= 0 { 0 } else { q as u64 });
        sched::set_cpu_limits(self.cpu_group, quota, u.cpu_period, u.cpu_shares);
        if let Some(m) = u.memory {
            self.mem.set_limit(if m <= 0 { 0 } else { m as u64 });
        }
        if let Some(p) = u.pids {
            ns.limit.store(if p <= 0 { 0 } else { p.min(i64::from(u32::MAX)) as u32 }, Ordering::Relaxed);
        }
        Ok(())
    }

    pub fn stats(&self, ns: &Arc<PidNs>) -> Stats {
        let (quota, period, shares, total) = sched::group_stats(self.cpu_group).unwrap_or((0, 100, 1024, 0));
        Stats {
            cpu_ns: total * US_PER_TICK * 1000,
            cpu_quota_us: quota * US_PER_TICK,
            cpu_period_us: period * US_PER_TICK,
            cpu_shares: shares,
            mem_bytes: self.mem.used_bytes(),
            mem_limit: self.mem.limit_bytes(),
            mem_failcnt: self.mem.failures.load(Ordering::Relaxed),
            pids: ns.count() as u64,
            pids_limit: u64::from(ns.limit.load(Ordering::Relaxed)),
        }
    }

    /// The container is gone: its CPU group goes too.
    pub fn release(&self) {
        sched::remove_group(self.cpu_group);
    }
}
