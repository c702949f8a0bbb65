//! The text of each /proc file.

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use crate::{ProcessInfo, SystemInfo, USER_HZ};

/// `/proc/<pid>/stat`: 52 space-separated fields (proc(5)).
pub fn format_stat(p: &ProcessInfo) -> String {
    let mut s = format!(
        "{} ({}) {} {} {} {} {} {} 4194560 0 0 0 0 {} {} 0 0 20 0 {} 0 {} {} {} 18446744073709551615 0 0 0 0 0",
        p.pid, p.comm, p.state, p.ppid, p.pgid, p.sid, p.tty_nr, p.tpgid as i32, p.utime, p.stime, p.threads, p.start_time,
        p.vsize, p.rss_pages
    );
    // signal blocked sigignore sigcatch (decimal, obsolete but present)
    let _ = write!(s, " {} {} {} {}", p.sig_pending & 0x7fff_ffff, p.sig_blocked & 0x7fff_ffff, p.sig_ignored & 0x7fff_ffff, p.sig_caught & 0x7fff_ffff);
    // wchan nswap cnswap exit_signal processor rt_priority policy blkio guest cguest
    s.push_str(" 0 0 0 17 0 0 0 0 0 0");
    // start_data end_data start_brk arg_start arg_end env_start env_end exit_code
    s.push_str(" 0 0 0 0 0 0 0 0\n");
    s
}

fn kb(pages: u64) -> u64 {
    pages * 4
}

/// `/proc/<pid>/status`.
pub fn format_status(p: &ProcessInfo) -> String {
    let state = match p.state {
        'R' => "R (running)",
        'S' => "S (sleeping)",
        'D' => "D (disk sleep)",
        'T' => "T (stopped)",
        'Z' => "Z (zombie)",
        _ => "S (sleeping)",
    };
    format!(
        "Name:\t{}\nUmask:\t{:04o}\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\n\
         Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nGroups:\t{} \n\
         VmPeak:\t{:8} kB\nVmSize:\t{:8} kB\nVmRSS:\t{:8} kB\nThreads:\t{}\n\
         SigQ:\t0/3906\nSigPnd:\t{:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\nSigIgn:\t{:016x}\nSigCgt:\t{:016x}\n\
         CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\nCapAmb:\t{:016x}\nNoNewPrivs:\t{}\n\
         Seccomp:\t{}\nSeccomp_filters:\t{}\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n",
        p.comm,
        p.umask,
        state,
        p.pid,
        p.pid,
        p.ppid,
        p.uids[0],
        p.uids[1],
        p.uids[2],
        p.uids[3],
        p.gids[0],
        p.gids[1],
        p.gids[2],
        p.gids[3],
        p.groups.iter().map(|g| format!("{g}")).collect::<alloc::vec::Vec<_>>().join(" "),
        p.vsize / 1024,
        p.vsize / 1024,
        kb(p.rss_pages),
        p.threads,
        0,
        p.sig_pending,
        p.sig_blocked,
        p.sig_ignored,
        p.sig_caught,
        p.caps[0],
        p.caps[1],
        p.caps[2],
        p.caps[3],
        p.caps[4],
        u8::from(p.no_new_privs),
        p.seccomp_mode,
        p.seccomp_filters,
    )
}

/// `/proc/<pid>/statm`: sizes in pages.
pub fn format_statm(p: &ProcessInfo) -> String {
    format!("{} {} 0 0 0 0 0\n", p.vsize / 4096, p.rss_pages)
}

/// `/proc/<pid>/cmdline`: arguments, each NUL-terminated.
pub fn format_cmdline(p: &ProcessInfo) -> String {
    let mut s = String::new();
    for a in &p.cmdline {
        s.push_str(a);
        s.push('\0');
    }
    s
}

pub fn format_meminfo(s: &SystemInfo) -> String {
    let available = s.mem_free_kb + s.cached_kb;
    format!(
        "MemTotal:       {:8} kB\nMemFree:        {:8} kB\nMemAvailable:   {:8} kB\nBuffers:        {:8} kB\n\
         Cached:         {:8} kB\nSwapCached:            0 kB\nActive:                0 kB\nInactive:              0 kB\n\
         SwapTotal:             0 kB\nSwapFree:              0 kB\nDirty:                 0 kB\nShmem:                 0 kB\n\
         Slab:                  0 kB\nSReclaimable:          0 kB\n",
        s.mem_total_kb, s.mem_free_kb, available, s.buffers_kb, s.cached_kb
    )
}

fn hundredths(ms: u64) -> String {
    format!("{}.{:02}", ms / 1000, (ms % 1000) / 10)
}

pub fn format_uptime(s: &SystemInfo) -> String {
    format!("{} {}\n", hundredths(s.uptime_ms), hundredths(s.idle_ms))
}

pub fn format_stat_global(s: &SystemInfo, processes: usize) -> String {
    let t = |ms: u64| ms * USER_HZ / 1000;
    let (user, system, idle) = (t(s.cpu_user_ms), t(s.cpu_system_ms), t(s.idle_ms));
    format!(
        "cpu  {user} 0 {system} {idle} 0 0 0 0 0 0\ncpu0 {user} 0 {system} {idle} 0 0 0 0 0 0\nintr 0\nctxt {}\nbtime {}\n\
         processes {}\nprocs_running {}\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
        s.context_switches,
        s.boot_time,
        s.forks.max(processes as u64),
        s.running.max(1)
    )
}

pub fn format_loadavg(s: &SystemInfo, processes: usize, last_pid: u32) -> String {
    format!("0.00 0.00 0.00 {}/{} {}\n", s.running.max(1), processes, last_pid)
}

pub fn format_cpuinfo(s: &SystemInfo) -> String {
    format!(
        "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 6\nmodel name\t: {}\nstepping\t: 3\n\
         cpu MHz\t\t: {}.000\ncache size\t: 512 KB\nphysical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n\
         fpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\nflags\t\t: {}\nbogomips\t: {}.00\n\
         clflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 40 bits physical, 48 bits virtual\n\n",
        s.cpu_model,
        s.cpu_mhz,
        s.cpu_flags,
        s.cpu_mhz * 2
    )
}

pub fn format_version(s: &SystemInfo) -> String {
    format!("Linux version {} (cyrius) #1 Cyrius\n", s.kernel_release)
}
