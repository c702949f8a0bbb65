//! The kernel's side of /proc: a [`procfs::ProcSource`] over one PID
//! namespace, so each container's /proc lists only its own processes.

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::Ordering;
use linux_abi::signal::Handler;
use procfs::{ProcSource, ProcessInfo, SystemInfo};
use vfs::{MountOptions, Vfs};

use super::{signal, PidNs, Process};

struct NsSource {
    ns: Arc<PidNs>,
    /// The mount namespace this /proc sits in (for `mounts`); weak, as the
    /// namespace holds the mount.
    vfs: Weak<Vfs>,
}

fn clk(ticks: u64) -> u64 {
    ticks * procfs::USER_HZ / u64::from(crate::time::HZ)
}

fn info(p: &Arc<Process>) -> ProcessInfo {
    let rss = p.mm.lock().upgrade().map_or(0, |m| m.resident_pages() as u64);
    let threads = p.live_threads();
    let blocked = threads.first().map_or(0, |t| t.sig_mask.load(Ordering::Acquire));
    let seccomp = threads.first().map_or((0, 0), |t| (u32::from(t.seccomp.mode()), t.seccomp.filter_count() as u32));
    let (ignored, caught) = {
        let d = p.signals.lock();
        let mut ign = 0u64;
        let mut cgt = 0u64;
        for s in (1..=64).filter_map(signal::Signal::new) {
            match d.get(s).handler {
                Handler::Default => {}
                Handler::Ignore => ign |= s.mask(),
                Handler::Catch(_) => cgt |= s.mask(),
            }
        }
        (ign, cgt)
    };
    let fds = p
        .files
        .lock()
        .upgrade()
        .map(|f| f.entries().into_iter().map(|(fd, file)| (fd as u32, file.describe())).collect())
        .unwrap_or_default();
    let cred = p.cred.lock().clone();
    let c = cred.caps;
    ProcessInfo {
        pid: p.vpid,
        ppid: p.ppid(),
        pgid: p.pgid.load(Ordering::Acquire),
        sid: p.sid.load(Ordering::Acquire),
        tpgid: 0,
        tty_nr: 0,
        comm: p.name.lock().clone(),
        state: super::state_letter(p),
        threads: threads.len().max(1) as u32,
        utime: clk(p.cpu_ticks()),
        stime: 0,
        start_time: clk(p.start_ticks),
        vsize: rss * 4096,
        rss_pages: rss,
        cmdline: p.cmdline.lock().clone(),
        exe: p.exe.lock().clone(),
        cwd: p.cwd.lock().clone(),
        uids: [cred.ruid, cred.euid, cred.suid, cred.fsuid],
        gids: [cred.rgid, cred.egid, cred.sgid, cred.fsgid],
        groups: cred.groups.clone(),
        caps: [c.inheritable.bits(), c.permitted.bits(), c.effective.bits(), c.bounding.bits(), c.ambient.bits()],
        no_new_privs: cred.no_new_privs,
        umask: p.umask.load(Ordering::Relaxed),
        sig_pending: p.sig_pending.set().0,
        sig_blocked: blocked,
        sig_ignored: ignored,
        sig_caught: caught,
        seccomp_mode: seccomp.0,
        seccomp_filters: seccomp.1,
        fds,
    }
}

/// The CPU's brand string from CPUID.
fn cpu_model() -> String {
    let mut bytes = Vec::with_capacity(48);
    if core::arch::x86_64::__cpuid(0x8000_0000).eax >= 0x8000_0004 {
        for leaf in 0x8000_0002u32..=0x8000_0004 {
            let r = core::arch::x86_64::__cpuid(leaf);
            for v in [r.eax, r.ebx, r.ecx, r.edx] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    let s: String = bytes.iter().take_while(|b| **b != 0).map(|b| *b as char).collect();
    String::from(s.trim())
}

impl ProcSource for NsSource {
    fn pids(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.ns.processes().iter().map(|p| p.vpid).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn current(&self) -> Option<u32> {
        super::current_process().filter(|p| Arc::ptr_eq(&p.ns, &self.ns)).map(|p| p.vpid)
    }

    fn process(&self, pid: u32) -> Option<ProcessInfo> {
        self.ns.get(pid).filter(|p| p.vpid == pid).map(|p| info(&p))
    }

    fn system(&self) -> SystemInfo {
        let m = crate::mm::stats();
        let uptime_ms = crate::time::uptime_ms();
        let idle_ms = crate::sched::idle_ticks() * 1000 / u64::from(crate::time::HZ);
        SystemInfo {
            mem_total_kb: m.total_frames as u64 * 4,
            mem_free_kb: m.free_frames as u64 * 4,
            buffers_kb: 0,
            cached_kb: 0,
            uptime_ms,
            idle_ms,
            boot_time: crate::time::now().0 - (uptime_ms / 1000) as i64,
            cpu_user_ms: uptime_ms.saturating_sub(idle_ms),
            cpu_system_ms: 0,
            context_switches: crate::sched::switches(),
            forks: u64::from(super::NEXT_PID.load(Ordering::Relaxed)),
            running: crate::sched::runnable() as u32,
            cpu_model: cpu_model(),
            cpu_mhz: 1000,
            cpu_flags: String::from("fpu tsc cx8 cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx lm rdrand"),
            kernel_release: String::from("6.1.0-cyrius"),
            hostname: String::from("cyrius"),
        }
    }

    fn mounts(&self) -> String {
        let mut out = String::new();
        if let Some(vfs) = self.vfs.upgrade() {
            for m in vfs.mounts() {
                let _ = writeln!(out, "{} {} {} {} 0 0", m.source, m.target, m.fs_type, m.options);
            }
        }
        out
    }
}

/// Mounts a /proc for namespace `ns` at `/proc` of `vfs`.
pub fn mount(vfs: &Arc<Vfs>, ns: &Arc<PidNs>) -> Result<(), errno::Errno> {
    if vfs.resolve(&vfs.root(), "/proc", true).is_err() {
        vfs.mkdir(&vfs::Cred::root(), &vfs.root(), "/proc", 0o555)?;
    }
    vfs.mount("/proc", filesystem(vfs, ns), MountOptions::new("proc"))
}

/// A proc filesystem showing the processes of `ns`, for a mount in `vfs`
/// (mount(2) of type "proc").
pub fn filesystem(vfs: &Arc<Vfs>, ns: &Arc<PidNs>) -> Arc<procfs::ProcFs> {
    let source = Arc::new(NsSource { ns: ns.clone(), vfs: Arc::downgrade(vfs) });
    procfs::ProcFs::new(source)
}
