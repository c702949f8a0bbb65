//! Running Linux programs from the host shell (until containers own them).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::CmdResult;
use crate::shell::{Out, Session};
use crate::task::{self, ExitStatus};

fn signal_name(sig: u8) -> &'static str {
    match sig {
        4 => "Illegal instruction",
        5 => "Trace/breakpoint trap",
        8 => "Floating point exception",
        11 => "Segmentation fault",
        2 => "Interrupt",
        13 => "Broken pipe",
        15 => "Terminated",
        _ => "Killed",
    }
}

pub fn run(s: &mut Session, args: &[String], _: &mut Out) -> CmdResult {
    let Some(path) = args.first() else { return Err(String::from("usage: run <linux-program> [args...]")) };
    let absolute = if path.starts_with('/') { path.clone() } else { format!("{}/{}", s.cwd.path().trim_end_matches('/'), path) };
    let env: Vec<String> = ["PATH=/bin:/usr/bin", "HOME=/", "TERM=vt100"].iter().map(|e| String::from(*e)).collect();
    let process = task::spawn(task::Spawn {
        path: &absolute,
        argv: args,
        envp: &env,
        vfs: crate::fs::host().clone(),
        cwd: s.cwd.clone(),
        ns: task::pidns::host(),
        container: None,
        files: task::files::FdTable::with_console(),
        cred: crate::fs::root_cred(),
        umask: 0o022,
        cpu_group: 0,
        mem: None,
        uts: task::host_uts(),
    })
    .map_err(|e| format!("{path}: {e}"))?;
    match crate::console::terminal::foreground(&process, || task::wait_exit(&process)) {
        ExitStatus::Exited(0) => Ok(()),
        ExitStatus::Exited(code) => Err(format!("{path}: exit status {code}")),
        ExitStatus::Signaled(sig, _) => Err(format!("{path}: {}", signal_name(sig))),
    }
}
