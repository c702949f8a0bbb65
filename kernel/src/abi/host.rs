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
//! | 0 | write | fd, buf, len, flags → bytes written (fd 1 and 2 on the console; a pipe's write end; flags bit 0: non-blocking) |
//! | 1 | exit | code |
//! | 2 | create | id, id_len, image, image_len, command, command_len (space-separated; 0 keeps the image's) |
//! | 3 | start | id, id_len, stdio (0: in the background on the console; else `int[3]` descriptors, -1 for /dev/null) → init's kernel pid |
//! | 4 | state | id, id_len, buf, buf_len → JSON length |
//! | 5 | kill | id, id_len, signal, all |
//! | 6 | delete | id, id_len, force |
//! | 7 | read | fd (a pipe's read end), buf, len, flags (bit 0: non-blocking) → bytes read, 0 at end of file |
//! | 8 | close | fd |
//! | 9 | pipe | `int[2]` → (read end, write end) |
//! | 10 | poll | `pollfd[]`, count, timeout_ms (-1: none), `u32[]` kernel pids, pid count → ready descriptors; also returns (0) when one of the pids has ended |
//! | 11 | channel | index, `int[2]` → the virtio-console channel's (read, write) descriptors |
//! | 12 | create_bundle | id, id_len, path, path_len (a bundle directory or tar in the host namespace) |
//! | 13 | exec | id, id_len, spec, spec_len (`cwd\0argc\0arg…\0env…\0`), stdio `int[3]` → kernel pid |
//! | 14 | wait | kernel pid (of a start or exec) → `$?` (code, or 128 + signal) once it ended; EAGAIN before; the process is forgotten then |
//! | 15 | ps | id, id_len, buf, buf_len → length of the pids (inside the container) separated by spaces |
//! | 16 | signal | kernel pid (of an exec), signal |
//! | 17 | ports | buf, buf_len → length of the TCP ports listened on, separated by spaces |

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use errno::Errno;
use linux_abi::{SyscallArgs, UserPtr};
use spin::Mutex;

use super::Outcome;
use crate::arch::usermode::TrapFrame;
use crate::container::runtime;
use crate::file::{ev, Poller};
use crate::task::files::{FdTable, OpenFile};
use crate::task::pipe::PipeEnd;
use crate::task::{self, Process, Task};

/// Processes started by host calls 3 and 13, by kernel pid, until call 14
/// collects them.
static STARTED: Mutex<BTreeMap<u32, Arc<Process>>> = Mutex::new(BTreeMap::new());

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

/// The pipe end behind descriptor `fd`.
fn pipe_end(t: &Task, fd: u64) -> Result<Arc<OpenFile>, Errno> {
    let file = t.files.get(i64::try_from(fd).map_err(|_| Errno::EBADF)?)?;
    if file.downcast::<PipeEnd>().is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(file)
}

/// A new process's standard descriptors from the caller's `int[3]` at
/// `addr`: each one the caller's open file, or /dev/null of the container
/// for -1 (the container's /dev is a devfs, opened by the runtime).
fn stdio_table(t: &Task, addr: UserPtr<u8>) -> Result<FdTable, Errno> {
    let mut raw = [0u8; 12];
    t.space.copy_in(addr.array(12)?, &mut raw)?;
    let mut table = FdTable::default();
    for (i, chunk) in raw.chunks_exact(4).enumerate() {
        let fd = i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let file = if fd < 0 { null_file()? } else { t.files.get(i64::from(fd))? };
        table.put(i, file, false)?;
    }
    Ok(table)
}

/// An open /dev/null of the host namespace (the same device as a container's).
fn null_file() -> Result<Arc<OpenFile>, Errno> {
    let host = crate::fs::host();
    let loc = host.open(&crate::fs::root_cred(), &host.root(), "/dev/null", vfs::OpenFlags::from_linux(linux_abi::flags::OpenFlags::O_RDWR.bits()), 0)?;
    Ok(OpenFile::new(crate::file::inode::open(loc), true, true, linux_abi::flags::OpenFlags::O_RDWR.bits()))
}

/// Puts two new descriptors for `pair` into the caller's table and writes
/// their numbers to the `int[2]` at `out`.
fn install_pair(t: &Task, out: UserPtr<u8>, pair: (task::pipe::PipeEnd, task::pipe::PipeEnd)) -> Result<usize, Errno> {
    let r = t.files.insert(OpenFile::new(Arc::new(pair.0), true, false, 0), true, 0)?;
    let w = match t.files.insert(OpenFile::new(Arc::new(pair.1), false, true, 1), true, 0) {
        Ok(w) => w,
        Err(e) => {
            let _ = t.files.close(r as i64);
            return Err(e);
        }
    };
    let mut bytes = [0u8; 8];
    bytes[..4].copy_from_slice(&(r as i32).to_le_bytes());
    bytes[4..].copy_from_slice(&(w as i32).to_le_bytes());
    if let Err(e) = t.space.copy_out(out.array(8)?, &bytes) {
        let _ = t.files.close(r as i64);
        let _ = t.files.close(w as i64);
        return Err(e);
    }
    Ok(0)
}

const POLLNVAL: u16 = 0x20;

/// Host call 10: poll over descriptors (each file's own readiness), also
/// woken by process exits.
fn poll(t: &Task, fds: UserPtr<u8>, count: usize, timeout: i64, pids: UserPtr<u8>, npids: usize) -> Result<usize, Errno> {
    if count > crate::task::files::MAX_FDS || npids > 1024 {
        return Err(Errno::EINVAL);
    }
    let mut raw = alloc::vec![0u8; count * 8];
    t.space.copy_in(fds.array(raw.len())?, &mut raw)?;
    let mut pid_raw = alloc::vec![0u8; npids * 4];
    t.space.copy_in(pids.array(pid_raw.len())?, &mut pid_raw)?;
    let watched: Vec<Arc<Process>> = {
        let started = STARTED.lock();
        pid_raw
            .chunks_exact(4)
            .filter_map(|c| started.get(&u32::from_le_bytes([c[0], c[1], c[2], c[3]])).cloned())
            .collect()
    };
    let files = t.files.clone();
    let mut poller = Poller::new();
    let scan = |raw: &mut [u8], mut poller: Option<&mut Poller>| -> usize {
        let mut ready = 0;
        for entry in raw.chunks_exact_mut(8) {
            let fd = i32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
            let events = u16::from_le_bytes([entry[4], entry[5]]);
            let revents = if fd < 0 {
                0
            } else {
                match files.get(i64::from(fd)) {
                    Err(_) => POLLNVAL,
                    Ok(file) => {
                        let mask = u32::from(events) | ev::ALWAYS;
                        (file.poll(mask, poller.as_deref_mut().map(Poller::table)) & mask) as u16
                    }
                }
            };
            entry[6..8].copy_from_slice(&revents.to_le_bytes());
            if revents != 0 {
                ready += 1;
            }
        }
        ready
    };
    let deadline = u64::try_from(timeout)
        .ok()
        .map(|ms| crate::time::ticks().saturating_add(ms.saturating_mul(u64::from(crate::time::HZ)) / 1000));
    let exited = || watched.iter().any(|p| p.exit_status().is_some());
    poller.table().add(&crate::task::exit::EXITS);
    let first = scan(&mut raw, Some(&mut poller));
    let result = if first > 0 || timeout == 0 || exited() {
        Ok(first)
    } else {
        poller.wait(
            || {
                let n = scan(&mut raw, None);
                (n > 0 || exited()).then_some(n)
            },
            deadline,
        )
    };
    let n = match result {
        Ok(n) => n,
        Err(crate::sched::wait::Interrupted::TimedOut) => 0,
        Err(crate::sched::wait::Interrupted::Signal) => return Err(Errno::EINTR),
    };
    t.space.copy_out(fds.array(raw.len())?, &raw)?;
    Ok(n)
}

/// Host call 13's spec: `cwd\0argc\0args…\0env…\0`.
fn parse_exec_spec(bytes: &[u8]) -> Result<(String, Vec<String>, Vec<String>), Errno> {
    let body = bytes.strip_suffix(&[0]).ok_or(Errno::EINVAL)?;
    let mut words = body.split(|&b| b == 0).map(|w| core::str::from_utf8(w).map(String::from).map_err(|_| Errno::EINVAL));
    let cwd = words.next().ok_or(Errno::EINVAL)??;
    let argc: usize = words.next().ok_or(Errno::EINVAL)??.parse().map_err(|_| Errno::EINVAL)?;
    let rest: Vec<String> = words.collect::<Result<_, _>>()?;
    if argc == 0 || argc > rest.len() {
        return Err(Errno::EINVAL);
    }
    let env = rest[argc..].to_vec();
    let mut args = rest;
    args.truncate(argc);
    Ok((cwd, args, env))
}

pub fn dispatch(t: &mut Task, frame: &mut TrapFrame) -> Outcome {
    let args = SyscallArgs(frame.args());
    let a = args.0;
    let ptr = |i: usize| args.get::<UserPtr<u8>>(i);
    let nonblock = a[3] & 1 != 0;
    let result = match frame.nr() {
        0 => match a[0] {
            1 | 2 => (|| {
                let len = args.get::<usize>(2).min(64 * 1024);
                let mut buf = alloc::vec![0u8; len];
                t.space.copy_in(ptr(1).array(len)?, &mut buf)?;
                Ok(crate::file::tty::write(&buf))
            })(),
            fd => (|| {
                let file = pipe_end(t, fd)?;
                let Some(end) = file.downcast::<PipeEnd>() else { return Err(Errno::EINVAL) };
                if !end.write {
                    return Err(Errno::EBADF);
                }
                let len = args.get::<usize>(2).min(1024 * 1024);
                let mut buf = alloc::vec![0u8; len];
                t.space.copy_in(ptr(1).array(len)?, &mut buf)?;
                end.pipe.write(&buf, nonblock)
            })(),
        },
        7 => (|| {
            let file = pipe_end(t, a[0])?;
            let Some(end) = file.downcast::<PipeEnd>() else { return Err(Errno::EINVAL) };
            if end.write {
                return Err(Errno::EBADF);
            }
            let len = args.get::<usize>(2).min(1024 * 1024);
            let mut buf = alloc::vec![0u8; len];
            let n = end.pipe.read(&mut buf, nonblock)?;
            t.space.copy_out(ptr(1).array(n)?, &buf[..n])?;
            Ok(n)
        })(),
        8 => t.files.close(i64::try_from(a[0]).map_err(|_| Errno::EBADF).unwrap_or(-1)).map(|()| 0),
        9 => install_pair(t, ptr(0), task::pipe::new()),
        10 => poll(t, ptr(0), args.get::<usize>(1), a[2] as i64, ptr(3), args.get::<usize>(4)),
        11 => match usize::try_from(a[0]).ok().and_then(crate::dev::virtio::console::open) {
            Some(pair) => install_pair(t, ptr(1), pair),
            None => Err(Errno::ENODEV),
        },
        12 => (|| {
            let id = string(t, ptr(0), a[1])?;
            let path = string(t, ptr(2), a[3])?;
            runtime::create(&id, runtime::Source::Bundle(path), Vec::new()).map_err(|e| verb_error("create", e))?;
            Ok(0)
        })(),
        13 => (|| {
            let id = string(t, ptr(0), a[1])?;
            let len = usize::try_from(a[3]).ok().filter(|&n| n <= 256 * 1024).ok_or(Errno::E2BIG)?;
            let mut spec = alloc::vec![0u8; len];
            t.space.copy_in(ptr(2).array(len)?, &mut spec)?;
            let (cwd, argv, env) = parse_exec_spec(&spec)?;
            let files = stdio_table(t, ptr(4))?;
            let p = runtime::exec_with(&id, &argv, &env, &cwd, files).map_err(|e| verb_error("exec", e))?;
            STARTED.lock().insert(p.pid, p.clone());
            Ok(p.pid as usize)
        })(),
        14 => (|| {
            let pid = u32::try_from(a[0]).map_err(|_| Errno::ECHILD)?;
            let p = STARTED.lock().get(&pid).cloned().ok_or(Errno::ECHILD)?;
            let status = p.exit_status().ok_or(Errno::EAGAIN)?;
            STARTED.lock().remove(&pid);
            if p.container.is_some() && p.vpid != 1 {
                task::exit::reap(&p);
            }
            Ok(status.shell_code() as usize)
        })(),
        15 => (|| {
            let id = string(t, ptr(0), a[1])?;
            let rows = runtime::ps(&id).map_err(|e| verb_error("ps", e))?;
            let text = rows.iter().map(|r| alloc::format!("{}", r.1)).collect::<Vec<_>>().join(" ");
            let n = text.len().min(args.get::<usize>(3));
            t.space.copy_out(ptr(2).array(n)?, &text.as_bytes()[..n])?;
            Ok(n)
        })(),
        16 => (|| {
            let pid = u32::try_from(a[0]).map_err(|_| Errno::ESRCH)?;
            let p = STARTED.lock().get(&pid).cloned().ok_or(Errno::ESRCH)?;
            let sig = i32::try_from(a[1]).ok().and_then(task::signal::Signal::new).ok_or(Errno::EINVAL)?;
            if p.exit_status().is_none() {
                task::signal::send_to_process(&p, sig);
            }
            Ok(0)
        })(),
        17 => (|| {
            let ports = crate::net::socket::inet::listening_tcp_ports();
            let text = ports.iter().map(|p| alloc::format!("{p}")).collect::<Vec<_>>().join(" ");
            let n = text.len().min(args.get::<usize>(1));
            t.space.copy_out(ptr(0).array(n)?, &text.as_bytes()[..n])?;
            Ok(n)
        })(),
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
            if a[2] == 0 {
                runtime::start(&id, runtime::Attach::Background).map_err(|e| verb_error("start", e))?;
                return Ok(0);
            }
            let files = stdio_table(t, ptr(2))?;
            let init = runtime::start_with(&id, files).map_err(|e| verb_error("start", e))?;
            STARTED.lock().insert(init.pid, init.clone());
            Ok(init.pid as usize)
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
            runtime::kill(&id, sig, a[3] != 0).map_err(|e| verb_error("kill", e))?;
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
