//! Machine commands: help, echo, time, memory, devices, log level, power.

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use super::{CmdResult, COMMANDS};
use crate::shell::{Out, Session};
use crate::{arch, console, dev, mm, power, time};

fn no_args(args: &[String], usage: &str) -> CmdResult {
    match args.first() {
        None => Ok(()),
        Some(extra) => Err(format!("unexpected argument '{extra}' (usage: {usage})")),
    }
}

pub fn help(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    match args {
        [] => {
            for c in COMMANDS {
                let _ = writeln!(out, "  {:<44} {}", c.usage, c.help);
            }
            Ok(())
        }
        [name] => match super::find(name) {
            Some(c) => {
                let _ = writeln!(out, "usage: {}\n  {}", c.usage, c.help);
                Ok(())
            }
            None => Err(format!("no such command: {name}")),
        },
        _ => Err(String::from("usage: help [command]")),
    }
}

pub fn echo(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    let _ = writeln!(out, "{}", args.join(" "));
    Ok(())
}

pub fn uptime(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    no_args(args, "uptime")?;
    let ms = time::uptime_ms();
    let s = ms / 1000;
    let _ = writeln!(out, "up {}:{:02}:{:02}.{:03} ({} ms)", s / 3600, s / 60 % 60, s % 60, ms % 1000, ms);
    Ok(())
}

pub fn date(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    no_args(args, "date")?;
    let _ = writeln!(out, "{} UTC", time::format_utc(time::now().0));
    Ok(())
}

pub fn mem(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    no_args(args, "mem")?;
    let st = mm::stats();
    let used = st.total_frames - st.free_frames;
    let _ = writeln!(
        out,
        "frames: {} total, {} used, {} free ({} KiB free)",
        st.total_frames, used, st.free_frames, st.free_frames * 4
    );
    let _ = writeln!(out, "heap:   {} KiB mapped, {} KiB used", st.heap_size / 1024, st.heap_used / 1024);
    let _ = writeln!(out, "cow:    {} frames shared copy-on-write", crate::mm::user::shared_frames());
    let _ = write!(out, "live:  ");
    for (i, (name, n)) in crate::live::counts().enumerate() {
        let _ = write!(out, "{}{n} {name}", if i == 0 { " " } else { ", " });
    }
    let _ = writeln!(out, ", {} tmpfs instances", vfs::tmpfs::live_instances());
    let _ = writeln!(out, "tmpfs:  {} KiB of file data", crate::fs::tmpfs_pages() * 4);
    let (files, pages, hits, misses) = crate::mm::pagecache::stats();
    let _ = writeln!(out, "pages:  {files} files, {pages} pages cached, {hits} hits, {misses} misses");
    if let Some(c) = crate::fs::disk_cache_stats() {
        let _ = writeln!(
            out,
            "cache:  {} blocks, {} hits, {} misses, {} disk reads, {} disk writes",
            c.cached_blocks, c.hits, c.misses, c.disk_reads, c.disk_writes
        );
    }
    Ok(())
}

pub fn latency(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    let reset = match args {
        [] => false,
        [r] if r == "reset" => true,
        _ => return Err(String::from("usage: latency [reset]")),
    };
    let ms = console::input::max_latency(reset);
    let _ = writeln!(out, "console input: a typed key waited at most {ms} ms for its reader{}", if reset { " (reset)" } else { "" });
    let (run_ms, thread, queued) = crate::sched::max_run_wait(reset);
    let _ = writeln!(out, "scheduler: a runnable host thread waited at most {run_ms} ms for the CPU (thread {thread}, {queued} others queued then)");
    let (stretch, rip) = crate::sched::watchdog::longest_stretch(reset);
    let _ = writeln!(out, "kernel: the CPU stayed at most {stretch} ms in the kernel without a switch (at RIP {rip:#x})");
    Ok(())
}

pub fn lspci(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    no_args(args, "lspci")?;
    for d in dev::pci::devices() {
        let _ = writeln!(out, "{d}");
    }
    Ok(())
}

pub fn lsblk(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    no_args(args, "lsblk")?;
    let _ = writeln!(out, "NAME  SIZE(MiB)  RO");
    for d in dev::virtio::blk::disks() {
        let _ = writeln!(out, "{:<5} {:>9}  {}", d.name, d.sectors() / 2048, u8::from(d.readonly()));
    }
    Ok(())
}

pub fn log_level(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    match args {
        [] => {
            let _ = writeln!(out, "log level: {}", console::level_name(log::max_level()));
            Ok(())
        }
        [name] => {
            let level = console::parse_level(name)
                .ok_or_else(|| format!("unknown level '{name}' (off, error, warn, info, debug, trace)"))?;
            console::set_level(level);
            let _ = writeln!(out, "log level: {}", console::level_name(level));
            Ok(())
        }
        _ => Err(String::from("usage: log [off|error|warn|info|debug|trace]")),
    }
}

pub fn strace(_: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    use crate::abi::trace::{self, Mode};
    const USAGE: &str = "usage: strace [off|errors|all [CONTAINER]]";
    let (mode, scope) = match args {
        [] => trace::mode(),
        [m, rest @ ..] if rest.len() <= 1 => {
            let mode = match m.as_str() {
                "off" => Mode::Off,
                "errors" => Mode::Errors,
                "all" => Mode::All,
                other => return Err(format!("unknown mode '{other}' (off, errors, all)")),
            };
            let scope = rest.first().cloned();
            if mode == Mode::Off && scope.is_some() {
                return Err(String::from(USAGE));
            }
            trace::set_mode(mode, scope.clone());
            (mode, scope)
        }
        _ => return Err(String::from(USAGE)),
    };
    let name = match mode {
        Mode::Off => "off",
        Mode::Errors => "errors",
        Mode::All => "all",
    };
    let _ = match scope {
        Some(id) if mode != Mode::Off => writeln!(out, "strace: {name} (container {id})"),
        _ => writeln!(out, "strace: {name}"),
    };
    Ok(())
}

pub fn poweroff(_: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    no_args(args, "poweroff")?;
    crate::fs::sync_all();
    power::poweroff()
}

pub fn reboot(_: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    no_args(args, "reboot")?;
    crate::fs::sync_all();
    power::reboot()
}

pub fn crash(_: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    use arch::cpu::Fault;
    let kind = match args {
        [k] => k.as_str(),
        _ => return Err(String::from("usage: crash <panic|thread|stall|lockup|pagefault|gpf|ud|int3>")),
    };
    match kind {
        "panic" => panic!("crash requested from the shell"),
        "thread" => {
            // A panic on a thread's own kernel stack (the shell runs on the boot stack).
            crate::sched::spawn_kernel("crasher", alloc::boxed::Box::new(crash_in_thread));
            crate::sched::yield_now();
        }
        // The watchdog's cases: 7 s in the kernel with interrupts on (reported,
        // then the shell goes on), and forever with interrupts off (only an
        // NMI gets through: QEMU monitor `nmi`).
        "stall" => stall_in_kernel(7000),
        "lockup" => lockup_with_interrupts_off(),
        "pagefault" => arch::cpu::trigger(Fault::PageFault),
        "gpf" => arch::cpu::trigger(Fault::GeneralProtection),
        "ud" => arch::cpu::trigger(Fault::InvalidOpcode),
        "int3" => arch::cpu::trigger(Fault::Breakpoint),
        other => return Err(format!("unknown fault '{other}'")),
    }
    Ok(())
}

#[inline(never)]
fn crash_in_thread() {
    panic!("crash requested in a kernel thread");
}

#[inline(never)]
fn stall_in_kernel(ms: u64) {
    let end = time::uptime_ms() + ms;
    while time::uptime_ms() < end {
        core::hint::spin_loop();
    }
}

#[inline(never)]
fn lockup_with_interrupts_off() {
    x86_64::instructions::interrupts::disable();
    loop {
        core::hint::spin_loop();
    }
}
