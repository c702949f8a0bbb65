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

pub fn run(s: &mut Session, args: &[String], out: &mut Out) -> CmdResult {
    let Some(path) = args.first() else { return Err(String::from("usage: run <linux-program> [args...]")) };
    let absolute = if path.starts_with('/') { path.clone() } else { format!("{}/{}", s.cwd.path().trim_end_matches('/'), path) };
    let env: Vec<String> = ["PATH=/bin:/usr/bin", "HOME=/", "TERM=vt100"].iter().map(|e| String::from(*e)).collect();
    // With `>`/`>>`, the program's standard output is a pipe the shell drains
    // into the redirection (stderr stays on the console, as in sh).
    let mut files = task::files::FdTable::with_console();
    let reader = if matches!(out, Out::Buffer(_)) {
        let (r, w) = task::pipe::new();
        let stdout = task::files::OpenFile::new(alloc::sync::Arc::new(w), false, true, 1);
        files.put(1, stdout, false).map_err(|e| format!("{path}: {e}"))?;
        Some(r)
    } else {
        None
    };
    let process = task::spawn(task::Spawn {
        path: &absolute,
        argv: args,
        envp: &env,
        vfs: crate::fs::host().clone(),
        cwd: s.cwd.clone(),
        ns: task::pidns::host(),
        container: None,
        files,
        cred: crate::fs::root_cred(),
        umask: 0o022,
        cpu_group: 0,
        mem: None,
        uts: task::host_uts(),
        rlimits: task::default_rlimits(),
        net_ns: 0,
        seccomp: None,
    })
    .map_err(|e| format!("{path}: {e}"))?;
    let status = crate::file::tty::foreground(&process, || {
        if let Some(r) = reader {
            let mut buf = alloc::vec![0u8; 4096];
            while let Ok(n @ 1..) = r.pipe.read(&mut buf, false) {
                out.bytes(&buf[..n]);
            }
        }
        task::wait_exit(&process)
    });
    match status {
        ExitStatus::Exited(0) => Ok(()),
        ExitStatus::Exited(code) => Err(format!("{path}: exit status {code}")),
        ExitStatus::Signaled(sig, _) => Err(format!("{path}: {}", signal_name(sig))),
    }
}
