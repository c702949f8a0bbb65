//! `/proc` as Linux shows it, for one PID namespace: a read-only
//! [`vfs::FileSystem`] whose files are generated on each read from a
//! [`ProcSource`] (the kernel's process table, seen from one namespace).
//!
//! Role: the formats (`stat`'s 52 fields, `status`, `meminfo`, `uptime`,
//! `stat`, `loadavg`, `cpuinfo`, `mounts`) and the tree (`self`, `<pid>/`,
//! `<pid>/fd/`); the kernel supplies numbers only. Only processes the source
//! lists exist here, so a container's /proc shows its own processes.
//! Invariants: no `unsafe`; nothing here can be written; a vanished process
//! reads as ENOENT/ESRCH, never as a panic.
//! May call: `vfs`, `errno`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod format;
mod tree;

pub use format::{format_stat, format_status};
pub use tree::ProcFs;

use alloc::string::String;
use alloc::vec::Vec;

/// Clock ticks per second in `stat` files (Linux's USER_HZ).
pub const USER_HZ: u64 = 100;

/// What `/proc/<pid>` shows about one process (pids as its namespace sees them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    pub sid: u32,
    /// Foreground process group of its terminal (0: none).
    pub tpgid: u32,
    /// `tty_nr` (0: no terminal).
    pub tty_nr: u32,
    pub comm: String,
    /// R, S, D, T, Z.
    pub state: char,
    pub threads: u32,
    /// CPU time in USER_HZ ticks.
    pub utime: u64,
    pub stime: u64,
    /// Start time in USER_HZ ticks since boot.
    pub start_time: u64,
    pub vsize: u64,
    pub rss_pages: u64,
    pub cmdline: Vec<String>,
    pub exe: String,
    pub cwd: String,
    /// Real, effective, saved and filesystem uids (and gids).
    pub uids: [u32; 4],
    pub gids: [u32; 4],
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// Capability sets: inheritable, permitted, effective, bounding, ambient.
    pub caps: [u64; 5],
    pub no_new_privs: bool,
    pub umask: u32,
    pub sig_pending: u64,
    pub sig_blocked: u64,
    pub sig_ignored: u64,
    pub sig_caught: u64,
    /// The main thread's seccomp mode (0 disabled, 1 strict, 2 filter) and filter count.
    pub seccomp_mode: u32,
    pub seccomp_filters: u32,
    /// Open descriptors and what they name (`/dev/console`, `pipe:[123]`, a path).
    pub fds: Vec<(u32, String)>,
}

/// Machine-wide figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemInfo {
    pub mem_total_kb: u64,
    pub mem_free_kb: u64,
    /// Page cache / buffers (disk cache).
    pub buffers_kb: u64,
    pub cached_kb: u64,
    pub uptime_ms: u64,
    pub idle_ms: u64,
    /// Boot time, Unix seconds.
    pub boot_time: i64,
    pub cpu_user_ms: u64,
    pub cpu_system_ms: u64,
    pub context_switches: u64,
    pub forks: u64,
    pub running: u32,
    pub cpu_model: String,
    pub cpu_mhz: u32,
    pub cpu_flags: String,
    pub kernel_release: String,
    pub hostname: String,
}

/// The data behind one /proc instance.
pub trait ProcSource: Send + Sync {
    /// Every pid visible here, ascending.
    fn pids(&self) -> Vec<u32>;
    /// The calling process's pid here (for `self`), if it is in this namespace.
    fn current(&self) -> Option<u32>;
    fn process(&self, pid: u32) -> Option<ProcessInfo>;
    fn system(&self) -> SystemInfo;
    /// `/proc/mounts` of the caller's mount namespace.
    fn mounts(&self) -> String;
}
