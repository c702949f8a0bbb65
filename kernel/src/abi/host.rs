//! The host OCI-verb table: what host-world programs (`userland/host`,
//! marked by their ELF OSABI byte) call. Each OCI verb is one system call,
//! served by the container runtime directly; there is nothing else here but
//! console output and exit. Only processes started from the host namespace
//! can have this ABI (`task::spawn` refuses a host-world program inside a
//! container, and execve never changes a process's ABI), so a container
//! process can never reach this table.
//!
//! | nr | call | arguments |
//! |---|---|---|
//! | 0 | write | fd (1 or 2), buf, len |
//! | 1 | exit | code |
//! | 2 | create | id, id_len, image, image_len, command, command_len (space-separated; 0 keeps the image's) |
//! | 3 | start | id, id_len (in the background) |
//! | 4 | state | id, id_len, buf, buf_len → JSON length |
//! | 5 | kill | id, id_len, signal |
//! | 6 | delete | id, id_len, force |

use alloc::string::String;
use errno::Errno;
use linux_abi::{SyscallArgs, UserPtr};

use super::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::container::runtime;
use crate::task::Task;

fn string(t: &Task, addr: UserPtr<u8>, len: u64) -> Result<String, Errno> {
    let len = usize::try_from(len).ok().filter(|&n| n <= 4096).ok_or(Errno::ENAMETOOLONG)?;
    let mut buf = alloc::vec![0u8; len];
    t.space.copy_in(addr.array(len)?, &mut buf)?;
    String::from_utf8(buf).map_err(|_| Errno::EINVAL)
}

/// A runtime error as an errno (the message goes to the kernel log).
fn verb_error(verb: &str, e: String) -> Errno {
    log::warn!("host {verb}: {e}");
    if e.contains("does not exist") {
        Errno::ENOENT
    } else if e.contains("already exists") {
        Errno::EEXIST
    } else if e.contains("cannot") {
        Errno::EBUSY
    } else {
        Errno::EINVAL
    }
}

pub fn dispatch(t: &mut Task, frame: &mut TrapFrame) -> Outcome {
    let args = SyscallArgs(frame.args());
    let a = args.0;
    let ptr = |i: usize| args.get::<UserPtr<u8>>(i);
    let result = match frame.nr() {
        0 => match a[0] {
            1 | 2 => (|| {
                let len = args.get::<usize>(2).min(64 * 1024);
                let mut buf = alloc::vec![0u8; len];
                t.space.copy_in(ptr(1).array(len)?, &mut buf)?;
                Ok(crate::file::tty::write(&buf))
            })(),
            _ => Err(Errno::EBADF),
        },
        1 => return Outcome::ExitGroup((a[0] & 0xff) as i32),
        2 => (|| {
            let id = string(t, ptr(0), a[1])?;
            let image = string(t, ptr(2), a[3])?;
            let command = if a[5] > 0 { string(t, ptr(4), a[5])? } else { String::new() };
            let args = command.split_whitespace().map(String::from).collect();
            runtime::create(&id, runtime::Source::Image(image), args).map_err(|e| verb_error("create", e))?;
            Ok(0)
        })(),
        3 => (|| {
            let id = string(t, ptr(0), a[1])?;
            runtime::start(&id, runtime::Attach::Background).map_err(|e| verb_error("start", e))?;
            Ok(0)
        })(),
        4 => (|| {
            let id = string(t, ptr(0), a[1])?;
            let json = runtime::state(&id).map_err(|e| verb_error("state", e))?;
            let n = json.len().min(args.get::<usize>(3));
            t.space.copy_out(ptr(2).array(n)?, &json.as_bytes()[..n])?;
            Ok(n)
        })(),
        5 => (|| {
            let id = string(t, ptr(0), a[1])?;
            let sig = u32::try_from(a[2]).ok().filter(|s| (1..=64).contains(s)).ok_or(Errno::EINVAL)?;
            runtime::kill(&id, sig, false).map_err(|e| verb_error("kill", e))?;
            Ok(0)
        })(),
        6 => (|| {
            let id = string(t, ptr(0), a[1])?;
            runtime::delete(&id, a[2] != 0).map_err(|e| verb_error("delete", e))?;
            Ok(0)
        })(),
        nr => {
            log::warn!("host-world program: no host call {nr}");
            Err(Errno::ENOSYS)
        }
    };
    Outcome::Return(result)
}
