//! The host shell's commands: one table, one function each.

use alloc::format;
use alloc::string::String;

use crate::{arch, console, dev, mm, power, time};

pub type CmdResult = Result<(), String>;

pub struct Command {
    pub name: &'static str,
    pub usage: &'static str,
    pub help: &'static str,
    pub run: fn(&[String]) -> CmdResult,
}

pub static COMMANDS: &[Command] = &[
    Command { name: "help", usage: "help [command]", help: "list commands, or show one command's usage", run: help },
    Command { name: "echo", usage: "echo [text...]", help: "print the arguments", run: echo },
    Command { name: "uptime", usage: "uptime", help: "time since boot", run: uptime },
    Command { name: "mem", usage: "mem", help: "physical frames and kernel heap in use", run: mem },
    Command { name: "lspci", usage: "lspci", help: "list PCI devices", run: lspci },
    Command { name: "log", usage: "log [off|error|warn|info|debug|trace]", help: "show or set the kernel log level", run: log_level },
    Command { name: "poweroff", usage: "poweroff", help: "power the machine off", run: poweroff },
    Command { name: "reboot", usage: "reboot", help: "reset the machine", run: reboot },
    Command { name: "crash", usage: "crash <panic|pagefault|gpf|ud|int3>", help: "raise a kernel fault on purpose (tests the fault paths)", run: crash },
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

fn no_args(args: &[String], usage: &str) -> CmdResult {
    match args.first() {
        None => Ok(()),
        Some(extra) => Err(format!("unexpected argument '{extra}' (usage: {usage})")),
    }
}

fn help(args: &[String]) -> CmdResult {
    match args {
        [] => {
            for c in COMMANDS {
                crate::println!("  {:<44} {}", c.usage, c.help);
            }
            Ok(())
        }
        [name] => match find(name) {
            Some(c) => {
                crate::println!("usage: {}\n  {}", c.usage, c.help);
                Ok(())
            }
            None => Err(format!("no such command: {name}")),
        },
        _ => Err(String::from("usage: help [command]")),
    }
}

fn echo(args: &[String]) -> CmdResult {
    let mut line = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(a);
    }
    crate::println!("{line}");
    Ok(())
}

fn uptime(args: &[String]) -> CmdResult {
    no_args(args, "uptime")?;
    let ms = time::uptime_ms();
    let s = ms / 1000;
    crate::println!("up {}:{:02}:{:02}.{:03} ({} ms)", s / 3600, s / 60 % 60, s % 60, ms % 1000, ms);
    Ok(())
}

fn mem(args: &[String]) -> CmdResult {
    no_args(args, "mem")?;
    let st = mm::stats();
    let used = st.total_frames - st.free_frames;
    crate::println!(
        "frames: {} total, {} used, {} free ({} KiB free)",
        st.total_frames,
        used,
        st.free_frames,
        st.free_frames * 4
    );
    crate::println!("heap:   {} KiB mapped, {} KiB used", st.heap_size / 1024, st.heap_used / 1024);
    Ok(())
}

fn lspci(args: &[String]) -> CmdResult {
    no_args(args, "lspci")?;
    for d in dev::pci::devices() {
        crate::println!("{d}");
    }
    Ok(())
}

fn log_level(args: &[String]) -> CmdResult {
    match args {
        [] => {
            crate::println!("log level: {}", console::level_name(log::max_level()));
            Ok(())
        }
        [name] => {
            let level = console::parse_level(name).ok_or_else(|| {
                format!("unknown level '{name}' (off, error, warn, info, debug, trace)")
            })?;
            console::set_level(level);
            crate::println!("log level: {}", console::level_name(level));
            Ok(())
        }
        _ => Err(String::from("usage: log [off|error|warn|info|debug|trace]")),
    }
}

fn poweroff(args: &[String]) -> CmdResult {
    no_args(args, "poweroff")?;
    power::poweroff()
}

fn reboot(args: &[String]) -> CmdResult {
    no_args(args, "reboot")?;
    power::reboot()
}

fn crash(args: &[String]) -> CmdResult {
    use arch::cpu::Fault;
    let kind = match args {
        [k] => k.as_str(),
        _ => return Err(String::from("usage: crash <panic|pagefault|gpf|ud|int3>")),
    };
    match kind {
        "panic" => panic!("crash requested from the shell"),
        "pagefault" => arch::cpu::trigger(Fault::PageFault),
        "gpf" => arch::cpu::trigger(Fault::GeneralProtection),
        "ud" => arch::cpu::trigger(Fault::InvalidOpcode),
        "int3" => arch::cpu::trigger(Fault::Breakpoint),
        other => return Err(format!("unknown fault '{other}'")),
    }
    Ok(())
}
