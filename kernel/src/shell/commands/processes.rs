//! Process commands of the host shell: `ps` (every process, containers
//! included) and `kill`.

use alloc::string::String;
use core::fmt::Write;

use super::CmdResult;
use crate::shell::{Out, Session};
use crate::task;

/// CPU time as `M:SS.mmm` from timer ticks.
pub fn cpu_time(ticks: u64) -> String {
    let ms = ticks * 1000 / u64::from(crate::time::HZ);
    alloc::format!("{}:{:02}.{:03}", ms / 60_000, (ms / 1000) % 60, ms % 1000)
}

pub fn ps(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    if let Some(a) = args.first() {
        return Err(alloc::format!("unexpected argument '{a}'"));
    }
    let mut procs = task::all_processes();
    procs.sort_by_key(|p| p.pid);
    let _ = writeln!(out, "{:>5} {:>5} {:<12} {} {:>10} CMD", "PID", "PPID", "CONTAINER", "S", "TIME");
    for p in procs {
        let ppid = p.parent().map_or(0, |q| q.pid);
        let container = p.container.clone().unwrap_or_else(|| String::from("-"));
        let cmd = p.cmdline.lock().join(" ");
        let _ = writeln!(
            out,
            "{:>5} {:>5} {:<12} {} {:>10} {}",
            p.pid,
            ppid,
            container,
            task::state_letter(&p),
            cpu_time(p.cpu_ticks()),
            cmd
        );
    }
    Ok(())
}

pub fn kill(_: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let (sig, pids) = match args.split_first() {
        Some((first, rest)) if first.starts_with('-') => {
            let name = &first[1..];
            let sig = crate::container::runtime::parse_signal(name).ok_or_else(|| alloc::format!("kill: unknown signal '{name}'"))?;
            (sig, rest)
        }
        _ => (task::signal::SIGTERM, args),
    };
    if pids.is_empty() {
        return Err(String::from("usage: kill [-SIGNAL] <pid...>"));
    }
    let all = task::all_processes();
    for pid in pids {
        let n: u32 = pid.parse().map_err(|_| alloc::format!("kill: '{pid}': not a process id"))?;
        let p = all.iter().find(|p| p.pid == n && !p.is_zombie()).ok_or_else(|| alloc::format!("kill: ({pid}) - No such process"))?;
        task::signal::send_to_process(p, sig);
    }
    crate::sched::yield_now();
    Ok(())
}
