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
        _ => (u32::from(task::signal::Signal::SIGTERM.number()), args),
    };
    if pids.is_empty() {
        return Err(String::from("usage: kill [-SIGNAL] <pid...>"));
    }
    let all = task::all_processes();
    for pid in pids {
        let n: u32 = pid.parse().map_err(|_| alloc::format!("kill: '{pid}': not a process id"))?;
        let p = all.iter().find(|p| p.pid == n && !p.is_zombie()).ok_or_else(|| alloc::format!("kill: ({pid}) - No such process"))?;
        if let Some(sig) = task::signal::Signal::new(sig as i32) {
            task::signal::send_to_process(p, sig);
        }
    }
    crate::sched::yield_now();
    Ok(())
}

/// `top [-n N] [-d SECONDS]`: per-container CPU %, memory and process count,
/// refreshed every interval until a key is pressed (or N times).
pub fn top(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    let mut iterations: Option<u64> = None;
    let mut delay_ms: u64 = 1000;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = || it.clone().next().cloned().ok_or_else(|| alloc::format!("top: {a} needs a value"));
        match a.as_str() {
            "-n" => iterations = Some(v()?.parse().map_err(|_| String::from("top: -n: not a number"))?),
            "-d" => {
                let ms = ::shell::parse_millis(&v()?).ok_or_else(|| String::from("top: -d: not a number"))?;
                delay_ms = ms.clamp(100, 60_000);
            }
            other => return Err(alloc::format!("top: unknown option '{other}'")),
        }
        it.next();
    }
    let sample = || -> (u64, alloc::vec::Vec<(String, crate::container::limits::Stats, oci::Status)>) {
        let stats = crate::container::runtime::all_stats().into_iter().map(|(id, st, s)| (id, s, st)).collect();
        (crate::time::ticks(), stats)
    };
    let mut prev = sample();
    let mut n = 0u64;
    loop {
        let deadline = crate::time::ticks() + delay_ms * u64::from(crate::time::HZ) / 1000;
        // Sleep the interval; without -n, a key press ends `top`.
        let key = if iterations.is_some() {
            crate::sched::block_until(deadline);
            false
        } else {
            crate::console::input::INPUT.wait_interruptible(crate::console::input::try_read, Some(deadline)).is_ok()
        };
        let now = sample();
        let elapsed_ns = (now.0 - prev.0).max(1) * 1_000_000_000 / u64::from(crate::time::HZ);
        let idle = crate::sched::idle_ticks();
        let _ = writeln!(out, "{:<16} {:<8} {:>6} {:>10} {:>10} {:>6}", "CONTAINER", "STATUS", "CPU%", "MEM", "LIMIT", "PIDS");
        for (id, s, status) in &now.1 {
            let before = prev.1.iter().find(|(pid, _, _)| pid == id).map_or(0, |(_, b, _)| b.cpu_ns);
            let pct = ::shell::Tenths::percent(s.cpu_ns.saturating_sub(before), elapsed_ns);
            let limit = if s.mem_limit == 0 { String::from("-") } else { alloc::format!("{}K", s.mem_limit / 1024) };
            let _ = writeln!(
                out,
                "{:<16} {:<8} {:>6} {:>9}K {:>10} {:>6}",
                id,
                status.as_str(),
                pct,
                s.mem_bytes / 1024,
                limit,
                s.pids
            );
        }
        let _ = writeln!(out, "idle {}%", {
            let prev_idle = IDLE_BEFORE.swap(idle, core::sync::atomic::Ordering::Relaxed);
            ::shell::Tenths::percent(idle.saturating_sub(prev_idle), (now.0 - prev.0).max(1))
        });

        prev = now;
        n += 1;
        if key || iterations.is_some_and(|max| n >= max) {
            return Ok(());
        }
    }
}

static IDLE_BEFORE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
