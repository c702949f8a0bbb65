//! Syscall tracing for diagnosing programs, like `strace -f`: off unless the shell's
//! `strace errors|all [CONTAINER]` turns it on, for every process or for one container's.
//! `errors` prints every call that returned an error (the common question: which call
//! failed, and how), `all` every call; each line names the process, its kernel pid and
//! thread, the syscall, its six argument registers in hex and, for calls that take a path,
//! the path. Lines go straight to the console (independent of the log level).
//! Invariant: when off, the front door pays one relaxed load per syscall.

use alloc::string::String;
use core::sync::atomic::{AtomicU8, Ordering};

use linux_abi::{SyscallArgs, UserCStr};
use spin::Mutex;

use super::Outcome;
use crate::task::Task;

/// What is traced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Off = 0,
    Errors = 1,
    All = 2,
}

static MODE: AtomicU8 = AtomicU8::new(Mode::Off as u8);
/// The container whose processes are traced (None: every process). Read only when on.
static SCOPE: Mutex<Option<String>> = Mutex::new(None);

/// Turns tracing on or off; `scope` limits it to one container's processes.
pub fn set_mode(mode: Mode, scope: Option<String>) {
    *SCOPE.lock() = scope;
    MODE.store(mode as u8, Ordering::Relaxed);
}

/// The mode and the container it is limited to.
pub fn mode() -> (Mode, Option<String>) {
    let mode = match MODE.load(Ordering::Relaxed) {
        1 => Mode::Errors,
        2 => Mode::All,
        _ => Mode::Off,
    };
    (mode, SCOPE.lock().clone())
}

/// Whether calls are traced at all (checked before [`record`]).
#[inline]
pub fn enabled() -> bool {
    MODE.load(Ordering::Relaxed) != Mode::Off as u8
}

/// Which argument of syscall `name` is a path, if one is.
fn path_arg(name: &str) -> Option<usize> {
    match name {
        "open" | "stat" | "lstat" | "access" | "execve" | "readlink" | "mkdir" | "rmdir" | "unlink" | "chdir"
        | "chroot" | "chmod" | "chown" | "lchown" | "creat" | "truncate" | "statfs" | "rename" | "link"
        | "symlink" | "mknod" | "getxattr" | "lgetxattr" | "setxattr" | "lsetxattr" | "listxattr" | "utimes" => {
            Some(0)
        }
        "openat" | "newfstatat" | "faccessat" | "faccessat2" | "readlinkat" | "mkdirat" | "unlinkat"
        | "fchmodat" | "fchownat" | "execveat" | "renameat" | "renameat2" | "linkat" | "mknodat"
        | "utimensat" | "statx" | "openat2" | "futimesat" => Some(1),
        _ => None,
    }
}

/// Prints one call and its outcome, if the mode and scope ask for it.
pub fn record(t: &Task, nr: u64, args: &SyscallArgs, outcome: &Outcome) {
    let (mode, scope) = mode();
    if let Some(id) = scope {
        if t.proc.container.as_deref() != Some(id.as_str()) {
            return;
        }
    }
    let result = match outcome {
        Outcome::Return(Ok(v)) if mode == Mode::All => alloc::format!("= {v:#x}"),
        Outcome::Return(Ok(_)) => return,
        Outcome::Return(Err(e)) => alloc::format!("= -{} ({})", e.code(), e.name()),
        Outcome::Replaced if mode == Mode::All => String::from("(frame replaced)"),
        Outcome::Replaced => return,
        Outcome::ExitThread(c) | Outcome::ExitGroup(c) => alloc::format!("(exit {c})"),
        Outcome::Killed(_) => String::from("(killed)"),
    };
    let name = usize::try_from(nr).ok().and_then(linux_abi::sysno::name).unwrap_or("unknown");
    let a = &args.0;
    // After execve the old image is gone: its path argument is not read back.
    let path = match path_arg(name) {
        Some(i) if !matches!(outcome, Outcome::Replaced) => t
            .space
            .read_cstr_prefix(UserCStr::new(a[i]), 256)
            .map(|b| alloc::format!(" \"{}\"", String::from_utf8_lossy(&b)))
            .unwrap_or_default(),
        _ => String::new(),
    };
    crate::println!(
        "strace: {} {}/{} {name}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}){path} {result}",
        t.proc.name.lock().as_str(),
        t.proc.pid,
        t.tid,
        a[0],
        a[1],
        a[2],
        a[3],
        a[4],
        a[5]
    );
}
